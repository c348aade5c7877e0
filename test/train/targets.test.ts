import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { H36M_17 } from "../../lib/body/joints";
import { Rng } from "../../lib/core/rng";
import type { Sample } from "../../lib/data/records";
import { DEFAULT_LOSS } from "../../lib/train/losses";
import { augmentSample, buildBatch, colourNoise, depthCode, disposeBatch, flipSample, zoomSample } from "../../lib/train/targets";
import { fakeCamera, fakePerson, fakeSample, useBackend } from "./fixtures";

const J = (n: (typeof H36M_17)[number]) => H36M_17.indexOf(n);
const geom = { inputSize: 32, grid: 4, stride: 8 };

/** The packed heatmap (regressor.ts HEAT_SUB: 4 sub-cells per stride-8 cell) of image b at stride-4 cell (x, y); grid 4. */
const heatAt = (heat: ArrayLike<number>, x: number, y: number, b = 0) => heat[((b * 4 + (y >> 1)) * 4 + (x >> 1)) * 4 + (y & 1) * 2 + (x & 1)];

/** Deep equality with numbers compared to `tol` (x - (W - (W - x)) is not always 0 in floating point). */
function closeDeep(a: unknown, b: unknown, tol = 1e-9, path = "$"): void {
  if (typeof a === "number" && typeof b === "number") return assert.ok(Math.abs(a - b) <= tol || (Number.isNaN(a) && Number.isNaN(b)), `${path}: ${a} vs ${b}`);
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), path);
    for (const k of Object.keys(a)) closeDeep((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol, `${path}.${k}`);
    return;
  }
  assert.equal(a, b, path);
}

describe("train/targets", () => {
  before(useBackend);

  it("flip mirrors the image, swaps left and right joints, negates 3D x, and stays consistent with its camera", () => {
    const s = fakeSample(new Rng("targets/flip"), { size: 32, people: [2, 2] });
    const f = flipSample(s);
    assert.equal(f.image[(5 * 32 + 31) * 3 + 1], s.image[(5 * 32 + 0) * 3 + 1]);
    const p = s.people[0], q = f.people[0];
    assert.deepEqual(q.joints2d[J("l_hip")], [32 - p.joints2d[J("r_hip")][0], p.joints2d[J("r_hip")][1]]);
    assert.deepEqual(q.joints3d[J("r_wrist")], [-p.joints3d[J("l_wrist")][0], p.joints3d[J("l_wrist")][1], p.joints3d[J("l_wrist")][2]]);
    assert.deepEqual(q.joints3dRel[J("neck")], [-p.joints3dRel[J("neck")][0], p.joints3dRel[J("neck")][1], p.joints3dRel[J("neck")][2]]);
    assert.deepEqual(q.box, [32 - p.box[2], p.box[1], 32 - p.box[0], p.box[3]]);
    // The flipped 3D joints project onto the flipped 2D joints through the flipped camera.
    const c = f.camera;
    q.joints3d.forEach((X, j) => {
      assert.ok(Math.abs((c.fx * X[0]) / X[2] + c.cx - q.joints2d[j][0]) < 1e-9);
      assert.ok(Math.abs((c.fy * X[1]) / X[2] + c.cy - q.joints2d[j][1]) < 1e-9);
    });
    // And twice is the identity.
    const ff = flipSample(f);
    assert.deepEqual(Array.from(ff.image), Array.from(s.image));
    closeDeep(ff.people, s.people);
    closeDeep(ff.camera, s.camera);
  });

  it("zoom crops a window, resamples it as tf's half-pixel bilinear resize does, and keeps labels consistent with its camera", () => {
    const s = fakeSample(new Rng("targets/zoom"), { size: 32, people: [2, 2] });
    const z = zoomSample(s, 2, 8, 4); // the 16 x 16 window at (8, 4)
    const ref = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(s.image, [1, 32, 32, 3]).slice([0, 4, 8, 0], [1, 16, 16, 3]), [32, 32], false, true).dataSync());
    // Rows and columns 1-30 sample inside the window; at its edges tf clamps to the window, the zoom reads the pixels beyond it.
    let worst = 0;
    z.image.forEach((v, i) => {
      const x = Math.floor(i / 3) % 32, y = Math.floor(i / 96);
      if (x >= 1 && x <= 30 && y >= 1 && y <= 30) worst = Math.max(worst, Math.abs(v - ref[i]));
    });
    assert.ok(worst < 1e-5, `max |zoom - tf resize| = ${worst}`);
    const c = z.camera;
    assert.deepEqual([c.fx, c.cx, c.cy], [2 * s.camera.fx, (s.camera.cx - 8) * 2, (s.camera.cy - 4) * 2]);
    for (const q of z.people) {
      const p = s.people.find((o) => o.joints3d[0][0] === q.joints3d[0][0]);
      assert.ok(p, "3D labels unchanged");
      assert.deepEqual(q.joints3dRel, p.joints3dRel);
      q.joints3d.forEach((X, j) => {
        // 2D labels are the projection of the unchanged 3D joints through the zoomed camera.
        assert.ok(Math.abs((c.fx * X[0]) / X[2] + c.cx - q.joints2d[j][0]) < 1e-9);
        assert.ok(Math.abs((c.fy * X[1]) / X[2] + c.cy - q.joints2d[j][1]) < 1e-9);
        const inside = q.joints2d[j][0] >= 0 && q.joints2d[j][0] < 32 && q.joints2d[j][1] >= 0 && q.joints2d[j][1] < 32;
        assert.equal(q.visible[j], inside && p.visible[j] ? 1 : 0);
      });
      q.box.forEach((v, k) => assert.ok(v >= 0 && v <= 32 && Math.abs(v - Math.min(32, Math.max(0, (p.box[k] - (k % 2 ? 4 : 8)) * 2))) < 1e-9));
    }
    // people whose box leaves the window entirely are dropped
    const gone = zoomSample({ ...s, people: [{ ...s.people[0], box: [0, 0, 3, 3] }] }, 2, 16, 16);
    assert.equal(gone.people.length, 0);
  });

  it("augmentSample with zoomProb 0 draws what it drew before the zoom existed; with zoomProb 1 it zooms", () => {
    const s = fakeSample(new Rng("targets/aug-zoom"), { size: 32 });
    const base = { flipProb: 0.5, colourNoise: [0.6, 1.4] as [number, number] };
    assert.deepEqual(Array.from(augmentSample(s, new Rng("z"), { ...base, zoomProb: 0 }).image), Array.from(augmentSample(s, new Rng("z"), base).image));
    const z = augmentSample(s, new Rng("z"), { ...base, zoomProb: 1, zoomMax: 2 });
    assert.ok(z.camera.fx > s.camera.fx && z.camera.fx <= 2 * s.camera.fx);
  });

  it("zoomBelowPx zooms only samples whose tallest person is shorter, and draws the same numbers either way", () => {
    const s = fakeSample(new Rng("targets/aug-zoom"), { size: 32 });
    const tallest = Math.max(...s.people.map((p) => p.box[3] - p.box[1]));
    const base = { flipProb: 0.5, colourNoise: [0.6, 1.4] as [number, number], zoomProb: 1, zoomMax: 2 };
    const zoomed = augmentSample(s, new Rng("z"), { ...base, zoomBelowPx: tallest + 0.5 });
    assert.ok(zoomed.camera.fx > s.camera.fx, "tallest under the limit: zoomed");
    const kept = augmentSample(s, new Rng("z"), { ...base, zoomBelowPx: tallest });
    assert.equal(kept.camera.fx, s.camera.fx, "tallest at the limit: not zoomed");
    // Same draws: after the four zoom numbers, the flip and colour draws are those of a sample never zoomed.
    const rngAfter = new Rng("z"); for (let i = 0; i < 4; i++) rngAfter.next();
    const flip = rngAfter.next() < base.flipProb;
    assert.deepEqual(Array.from(kept.image), Array.from(colourNoise((flip ? flipSample(s) : s).image, rngAfter, base.colourNoise)));
  });

  it("colour noise multiplies each channel by its own U[lo, hi] factor and clips to [0, 1]", () => {
    const img = Float32Array.from({ length: 30 }, (_, i) => (i % 10) / 10 + 0.05);
    const out = colourNoise(img, new Rng("targets/colour"), [0.6, 1.4]);
    const g = [0, 1, 2].map((c) => out[c + 3] / img[c + 3]);
    g.forEach((x) => assert.ok(x >= 0.6 && x <= 1.4, `factor ${x}`));
    assert.ok(new Set(g.map((x) => x.toFixed(6))).size === 3, "one factor per channel");
    out.forEach((v, i) => assert.ok(Math.abs(v - Math.min(1, img[i] * g[i % 3])) < 1e-6 && v >= 0 && v <= 1));
  });

  it("augmentSample is deterministic in its Rng and honours flipProb 0 / 1 and colour [1, 1]", () => {
    const s = fakeSample(new Rng("targets/aug"), { size: 32 });
    const cfg = { flipProb: 0.5, colourNoise: [0.6, 1.4] as [number, number] };
    assert.deepEqual(augmentSample(s, new Rng(5), cfg), augmentSample(s, new Rng(5), cfg));
    assert.equal(augmentSample(s, new Rng(1), { flipProb: 0, colourNoise: [1, 1] }).image, s.image);
    assert.deepEqual(augmentSample(s, new Rng(1), { flipProb: 1, colourNoise: [1, 1] }).people, flipSample(s).people);
  });

  it("builds the centre heatmap, the cell selection and masked, weighted targets", () => {
    const cam = fakeCamera(64);
    const a = fakePerson(cam, [0, 0.2, 5], [0, 0, 0, 0, 0]);
    const b = { ...fakePerson(cam, [-0.8, 0, 6], [1, 0, 0, 0, 0], "pseudo"), has2d: false, hasShape: false };
    b.joints3dRel = b.joints3dRel.map((q, j) => (j === 3 ? [NaN, NaN, NaN] : q)); // a missing 3D joint
    const empty: Sample = { domain: "street", index: 1, image: new Float32Array(64 * 64 * 3), width: 64, height: 64, camera: cam, people: [] };
    const s: Sample = { ...empty, index: 0, people: [a, b, { ...a, box: [10, 10, 10, 20] }] };
    const cfg = { ...DEFAULT_LOSS, sourceWeight: { gt: 1, pseudo: 0.25 }, regressAt: "centre" as const };
    const batch = buildBatch([s, empty], geom, cfg);
    assert.deepEqual([batch.numPeople, batch.skipped], [2, 1]);
    assert.deepEqual(batch.cell.shape, [4]);
    assert.equal(batch.cell.dtype, "int32");
    assert.deepEqual(batch.images.shape, [2, 32, 32, 3]);
    const heat = batch.heat.dataSync(), sel = Array.from(batch.cell.dataSync());
    // Person a: box centre in model px = centre / 2; its stride-4 heat cell holds exactly 1, and its
    // stride-8 cell is the regression row.
    const cx = (a.box[0] + a.box[2]) / 4, cy = (a.box[1] + a.box[3]) / 4;
    const cell = Math.floor(cy / 8) * 4 + Math.floor(cx / 8);
    assert.deepEqual(batch.heat.shape, [2, 4, 4, 4]);
    assert.equal(heatAt(heat, Math.floor(cx / 4), Math.floor(cy / 4)), 1);
    assert.equal(Array.from(heat).filter((v) => v === 1).length, 2, "one 1 per person");
    assert.equal(sel[0], cell, "slot 0 reads person a's cell of image 0");
    assert.deepEqual(sel.slice(2), [-1, -1], "the empty image's slots read no cell");
    assert.ok(heat.slice(64).every((v) => v === 0), "an image without people has an empty heatmap");
    assert.deepEqual(Array.from(batch.personMask.dataSync()), [1, 1, 0, 0]);
    assert.deepEqual(Array.from(batch.weight.dataSync()), [1, 0.25, 0, 0]);
    assert.deepEqual(Array.from(batch.imageWeight.dataSync()), [(1 + 0.25) / 2, 1]);
    const box = batch.box.arraySync()[0];
    [cx / 8 - Math.floor(cx / 8), cy / 8 - Math.floor(cy / 8), (a.box[2] - a.box[0]) / 64, (a.box[3] - a.box[1]) / 64].forEach((v, i) => assert.ok(Math.abs(box[i] - v) < 1e-6));
    const j2 = batch.joints2d.arraySync()[0];
    assert.ok(Math.abs(j2[0][0] - (a.joints2d[0][0] / 2 - (Math.floor(cx / 8) + 0.5) * 8) / 32) < 1e-6, "2D offsets from the cell centre, / S");
    const m2 = batch.mask2d.arraySync(), m3 = batch.mask3d.arraySync();
    assert.ok(m2[0].every((v) => v === 1) && m2[1].every((v) => v === 0), "has2d");
    m3[1].forEach((v, j) => assert.equal(v, j === 3 ? 0 : 1, "a NaN joint is masked, the rest are not"));
    assert.ok(batch.joints3dCanon.dataSync().every(Number.isFinite));
    // Both face the camera, upright: yaw class 4 (relative yaw 0), a residual within the bin from the ray's angle, no tilt.
    const yb = batch.yawBin.arraySync(), yr = batch.yawResidual.dataSync(), tl = batch.tilt6d.arraySync();
    assert.deepEqual(yb[0], [0, 0, 0, 0, 1, 0, 0, 0]);
    assert.deepEqual(yb[1], [0, 0, 0, 0, 1, 0, 0, 0]);
    assert.ok(Math.abs(yr[0]) < 1e-6, "person a is on the optical axis");
    assert.ok(Math.abs(yr[1] - Math.atan2(0.8, 6) / (Math.PI / 4)) < 1e-5, "person b, left of the axis, is seen turned by the ray's angle");
    [0, 1].forEach((k) => tl[k].forEach((v, i) => assert.ok(Math.abs(v - [1, 0, 0, 1, 0, 0][i]) < 0.03))); // the template leans ~1 degree
    assert.deepEqual(Array.from(batch.maskOrient.dataSync()), [1, 1, 0, 0]);
    assert.deepEqual(Array.from(batch.maskShape.dataSync()), [1, 0, 0, 0]);
    assert.deepEqual(Array.from(batch.maskDepth.dataSync()), [1, 1, 0, 0]);
    assert.ok(Math.abs(batch.depth.dataSync()[0] - depthCode(a.joints3d[0][2], cam.fx, 64)) < 1e-5);
    assert.ok(Math.abs(depthCode(5, cam.fx, 64) - Math.log(5 / (cam.fx / 64))) < 1e-12);
    const before = tf.memory().numTensors;
    disposeBatch(batch);
    assert.equal(before - tf.memory().numTensors, 23, "every tensor of the batch is freed (19 + the 4 partner targets)");
  });

  it("nearest4: regresses each person at the 2x2 cells around its centre, one person per cell; exact gaussians", () => {
    // Model px = sample px / 2 (64 -> 32), stride 8, grid 4. a's box centre (13, 22) lies in cell
    // (1, 2) at (0.625, 0.75) of it, so its block is x in {1, 2}, y in {2, 3}. b's centre (19, 20) is
    // in cell (2, 2): a's row there goes, and (2, 3) is nearer b's centre (65 px^2 vs 85), (1, 3) nearer a's.
    const cam = fakeCamera(64);
    const a = { ...fakePerson(cam, [0, 0.2, 5], [0, 0, 0, 0, 0]), box: [18, 28, 34, 60] as [number, number, number, number] };
    const b = { ...fakePerson(cam, [0.3, 0, 5], [0, 0, 0, 0, 0]), box: [30, 24, 46, 56] as [number, number, number, number] };
    const s: Sample = { domain: "pretrain", index: 0, image: new Float32Array(64 * 64 * 3), width: 64, height: 64, camera: cam, people: [a, b] };
    const batch = buildBatch([s], geom, { ...DEFAULT_LOSS, regressAt: "nearest4", centreGaussian: "exact", centreSigmaMin: 0.5, orientAt: "all" });
    assert.deepEqual(batch.cell.shape, [8]);
    const sel = Array.from(batch.cell.dataSync());
    const cellOf = (x: number, y: number) => y * 4 + x;
    assert.deepEqual(sel, [cellOf(1, 2), -1, cellOf(1, 3), -1, cellOf(2, 2), -1, cellOf(2, 3), -1]);
    assert.deepEqual(Array.from(batch.personMask.dataSync()), [1, 0, 1, 0, 1, 0, 1, 0]);
    const box = batch.box.arraySync();
    [[0.625, 0.75], [0, 0], [0.625, -0.25], [0, 0], [19 / 8 - 2, 0.5], [0, 0], [19 / 8 - 2, -0.5], [0, 0]].forEach((o, k) =>
      o.forEach((v, i) => assert.ok(Math.abs(box[k][i] - v) < 1e-6, `row ${k} offset ${i}: ${box[k][i]} vs ${v}`)));
    assert.ok(Math.abs(box[2][2] - 8 / 32) < 1e-6 && Math.abs(box[2][3] - 16 / 32) < 1e-6, "the size is the same in every row");
    const j2 = batch.joints2d.arraySync();
    assert.ok(Math.abs(j2[2][0][1] - (a.joints2d[0][1] / 2 - 3.5 * 8) / 32) < 1e-6, "2D offsets from the row's own cell centre");
    const y3 = batch.joints3dCanon.arraySync();
    assert.deepEqual(y3[2], y3[0], "3D targets do not depend on the cell");
    assert.deepEqual(Array.from(batch.maskOrient.dataSync()), [1, 0, 1, 0, 1, 0, 1, 0]);
    const centreOrient = buildBatch([s], geom, { ...DEFAULT_LOSS, regressAt: "nearest4", orientAt: "centre" });
    assert.deepEqual(Array.from(centreOrient.maskOrient.dataSync()), [1, 0, 0, 0, 1, 0, 0, 0], "orientAt centre: the centre rows only");
    assert.deepEqual(Array.from(centreOrient.mask3d.dataSync()), Array.from(batch.mask3d.dataSync()), "3D stays at every row");
    disposeBatch(centreOrient);
    // Exact gaussians on the stride-4 heat grid. Sigma: 0.1 sqrt(8 * 16) / 4 = 0.28 heat cells, so the
    // minimum, set to 0.5 here. Centred at (13/4 - 0.5, 22/4 - 0.5) heat cells for a, exactly 1 at (3, 5); b's at (4, 5).
    const heat = batch.heat.dataSync();
    assert.equal(heatAt(heat, 3, 5), 1);
    assert.equal(heatAt(heat, 4, 5), 1);
    const g = (x: number, y: number, cx: number, cy: number) => Math.exp(-((x - (cx / 4 - 0.5)) ** 2 + (y - (cy / 4 - 0.5)) ** 2) / 0.5);
    assert.ok(Math.abs(heatAt(heat, 3, 6) - Math.max(g(3, 6, 13, 22), g(3, 6, 19, 20))) < 1e-6);
    assert.ok(Math.abs(heatAt(heat, 0, 0) - Math.max(g(0, 0, 13, 22), g(0, 0, 19, 20))) < 1e-6);
    assert.ok(Math.abs(heatAt(heat, 5, 4) - Math.max(g(5, 4, 13, 22), g(5, 4, 19, 20))) < 1e-6);
    // The same person alone keeps all four rows; at the grid's edge the off-grid rows are dropped.
    const alone = buildBatch([{ ...s, people: [a] }], geom, { ...DEFAULT_LOSS, regressAt: "nearest4" });
    assert.deepEqual(Array.from(alone.personMask.dataSync()), [1, 1, 1, 1]);
    const corner = buildBatch([{ ...s, people: [{ ...a, box: [0, 0, 6, 10] as [number, number, number, number] }] }], geom, { ...DEFAULT_LOSS, regressAt: "nearest4" });
    assert.deepEqual(Array.from(corner.personMask.dataSync()), [1, 0, 0, 0]);
    // nearest9: the 3x3 cells around the centre cell (centre, left, right, up, down, then the corners).
    const nine = buildBatch([{ ...s, people: [a] }], geom, { ...DEFAULT_LOSS, regressAt: "nearest9" });
    assert.deepEqual(Array.from(nine.cell.dataSync()), [[1, 2], [0, 2], [2, 2], [1, 1], [1, 3], [0, 1], [2, 1], [0, 3], [2, 3]].map(([x, y]) => cellOf(x, y)));
    const nineCorner = buildBatch([{ ...s, people: [{ ...a, box: [0, 0, 6, 10] as [number, number, number, number] }] }], geom, { ...DEFAULT_LOSS, regressAt: "nearest9" });
    assert.deepEqual(Array.from(nineCorner.personMask.dataSync()), [1, 0, 1, 0, 1, 0, 0, 0, 1]);
    [batch, alone, corner, nine, nineCorner].forEach(disposeBatch);
  });
});
