import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { decodeMaps, findPeaks, forward, heatPeaks, predict, unflipMaps } from "../../lib/model/decode";
import { flipPerson } from "../../lib/data/records";
import { Rng } from "../../lib/core/rng";
import { MAP, MAP_CHANNELS, TINY_MODEL, buildRegressor, modelGeometry } from "../../lib/model/regressor";
import { DEFAULT_LOSS } from "../../lib/train/losses";
import { buildBatch, disposeBatch } from "../../lib/train/targets";
import type { Sample } from "../../lib/data/records";
import { fakeCamera, fakePerson, useBackend } from "../train/fixtures";

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const close2 = (a: number[], b: number[], what: string) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-3, `${what}[${i}]: ${v} vs ${b[i]}`));

describe("model/decode", () => {
  before(useBackend);

  it("findPeaks keeps 3x3 local maxima above the threshold, best first, at most maxPeople", () => {
    const logits = new Float32Array(16).fill(-5);
    logits[5] = 3; // (1, 1)
    logits[6] = 2; // its neighbour: suppressed
    logits[15] = 1; // (3, 3): a second person
    logits[12] = -1; // (0, 3): a peak, but score 0.27
    const t = tf.tensor4d(logits, [1, 4, 4, 1]);
    const peaks = findPeaks(t, 0.5, 8)[0];
    assert.deepEqual(peaks.map((p) => p.cell), [5, 15]);
    assert.ok(Math.abs(peaks[0].score - sig(3)) < 1e-6);
    assert.deepEqual(findPeaks(t, 0.2, 8)[0].map((p) => p.cell), [5, 15, 12]);
    assert.deepEqual(findPeaks(t, 0.5, 1)[0].map((p) => p.cell), [5]);
    t.dispose();
  });

  it("heatPeaks finds peaks on the unpacked stride-4 heatmap and names each by its stride-8 cell", () => {
    // Grid 4 (stride 8), so the heat grid is 8 x 8; heat cell (x, y) is channel (y % 2) * 2 + x % 2 of cell (x >> 1, y >> 1).
    const m = new Float32Array(16 * MAP_CHANNELS);
    for (let c = 0; c < 16; c++) m.fill(-10, c * MAP_CHANNELS + MAP.heat[0], c * MAP_CHANNELS + MAP.heat[0] + MAP.heat[1]);
    const put = (x: number, y: number, v: number) => (m[((y >> 1) * 4 + (x >> 1)) * MAP_CHANNELS + MAP.heat[0] + (y % 2) * 2 + (x % 2)] = v);
    put(5, 2, 3); // cell (2, 1) = 6, sub-cell (1, 0): channel 1
    put(0, 7, 2); // cell (0, 3) = 12, sub-cell (0, 1): channel 2
    put(7, 7, 1); // cell (3, 3) = 15
    put(6, 6, 0.5); // the same cell, and 3x3-adjacent to (7, 7) with a lower score: suppressed
    put(2, 0, 1.5); // cell (1, 0) = 1, twice at one value: both survive NMS (a tie), and merge into one
    put(3, 1, 1.5);
    const t = tf.tensor4d(m, [1, 4, 4, MAP_CHANNELS]);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const got = heatPeaks(t, 0.5, 8)[0];
    assert.deepEqual(got.map((p) => p.cell), [6, 12, 1, 15]);
    got.forEach((p, i) => assert.ok(Math.abs(p.score - sig([3, 2, 1.5, 1][i])) < 1e-6));
    assert.deepEqual(heatPeaks(t, 0.5, 2)[0].map((p) => p.cell), [6, 12]);
    t.dispose();
  });

  it("heatPeaks refines a peak to the centre of the gaussian around it, to a fraction of a heat cell", () => {
    const m = new Float32Array(16 * MAP_CHANNELS);
    const [gx, gy, sigma] = [4.3, 2.8, 1.2]; // heat-cell indices, as targets.ts draws them
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const p = 0.9 * Math.exp(-((x - gx) ** 2 + (y - gy) ** 2) / (2 * sigma * sigma));
        m[((y >> 1) * 4 + (x >> 1)) * MAP_CHANNELS + MAP.heat[0] + (y % 2) * 2 + (x % 2)] = Math.log(p / (1 - p));
      }
    }
    const t = tf.tensor4d(m, [1, 4, 4, MAP_CHANNELS]);
    const [p] = heatPeaks(t, 0.5, 8)[0];
    t.dispose();
    assert.equal(p.cell, 1 * 4 + 2, "heat cell (4, 3) is in cell (2, 1)");
    assert.ok(Math.abs(p.hx! - gx) < 1e-3 && Math.abs(p.hy! - gy) < 1e-3, `refined to (${p.hx}, ${p.hy})`);
    // Saturated logits around a peak (log p = -1000 or -Infinity in float32) leave it unrefined, not NaN.
    const sharp = new Float32Array(16 * MAP_CHANNELS).fill(-1000);
    sharp[(1 * 4 + 2) * MAP_CHANNELS + MAP.heat[0] + 2] = 5; // heat cell (4, 3)
    sharp[(1 * 4 + 2) * MAP_CHANNELS + MAP.heat[0] + 3] = -Infinity; // its right neighbour (5, 3)
    const t2 = tf.tensor4d(sharp, [1, 4, 4, MAP_CHANNELS]);
    const [q] = heatPeaks(t2, 0.5, 8)[0];
    t2.dispose();
    assert.ok(Number.isFinite(q.hx) && Number.isFinite(q.hy) && Math.abs(q.hx! - 4) <= 0.5 && q.hy === 3, `(${q.hx}, ${q.hy})`);
  });

  it("decodes the training targets of a person back into its label (64 px image, 32 px model input)", () => {
    const geom = { inputSize: 32, grid: 4, stride: 8 };
    const cam = fakeCamera(64, 55);
    const betas = [0.5, -1, 0.3, 0.2, 0];
    const person = fakePerson(cam, [0.3, 0.1, 4], betas);
    const sample: Sample = { domain: "lab", index: 0, image: new Float32Array(64 * 64 * 3), width: 64, height: 64, camera: cam, people: [person] };
    const batch = buildBatch([sample], geom, DEFAULT_LOSS);
    // Row k of a [P, ...] target (nearest4: the person has a row per cell of its 2x2 block, centre first).
    const P = batch.personMask.shape[0];
    const row = (x: tf.Tensor, k: number) => { const d = x.dataSync(), n = d.length / P; return d.slice(k * n, (k + 1) * n); };
    const sel = batch.cell.dataSync(); // one image: a slot's flat row is its cell
    const cell = sel[0];
    const blank = () => {
      const m = new Float32Array(16 * MAP_CHANNELS);
      for (let c = 0; c < 16; c++) m.fill(-10, c * MAP_CHANNELS + MAP.heat[0], c * MAP_CHANNELS + MAP.heat[0] + MAP.heat[1]);
      return m;
    };
    const maps = blank();
    const put = ([c]: readonly [number, number], vals: ArrayLike<number>) => maps.set(vals, cell * MAP_CHANNELS + c);
    put(MAP.heat, [4]);
    put(MAP.boxOffset, row(batch.box, 0).slice(0, 2));
    put(MAP.boxSize, row(batch.box, 0).slice(2, 4));
    put(MAP.depth, row(batch.depth, 0));
    put(MAP.betas, betas);
    put(MAP.joints2d, row(batch.joints2d, 0));
    // The rest pose in the torso frame (every rotation the identity), and the orientation targets
    // (the fixture faces the camera): the decoder turns it into the fixture's camera-frame pose.
    put(MAP.rot6d, Array.from({ length: 24 }, () => [1, 0, 0, 1, 0, 0]).flat());
    put(MAP.yawLogits, Array.from(row(batch.yawBin, 0)).map((v) => 20 * v));
    put(MAP.yawResidual, new Array(MAP.yawResidual[1]).fill(batch.yawResidual.dataSync()[0]));
    put(MAP.tilt6d, row(batch.tilt6d, 0));
    put(MAP.joints3d, row(batch.joints3dCanon, 0));
    assert.ok(Math.abs(batch.yawResidual.dataSync()[0]) > 0.01, "the person is off-axis, so the ray matters");
    // Every other regression row, written at its own cell alone, decodes to the same box and 2D joints.
    const others = Array.from(batch.personMask.dataSync()).flatMap((m, k) => (m && k > 0 ? [k] : []));
    assert.ok(others.length >= 1, "nearest4 gives the person more than its centre row");
    for (const k of others) {
      const m = blank(), at = sel[k] * MAP_CHANNELS;
      m[at + MAP.heat[0]] = 4;
      m.set(row(batch.box, k), at + MAP.boxOffset[0]);
      m.set(row(batch.joints2d, k), at + MAP.joints2d[0]);
      const tk = tf.tensor4d(m, [1, 4, 4, MAP_CHANNELS]);
      const [[q]] = decodeMaps(tk, [cam], geom, { joints2d: "regressed", pose: "direct", boxCentre: "regressed" });
      tk.dispose();
      q.box.forEach((v, i) => assert.ok(Math.abs(v - person.box[i]) < 1e-3, `row ${k} box[${i}] ${v} vs ${person.box[i]}`));
      q.joints2d.forEach((p2, j) => p2.forEach((v, d) => assert.ok(Math.abs(v - person.joints2d[j][d]) < 2e-3, `row ${k} joints2d[${j}][${d}]`)));
    }
    // cells: "block": all the person's rows written at their cells (heat 4 at the centre, 1 at the
    // others) average back to the label; an error on one row enters with its heat weight.
    const full = Float32Array.from(maps);
    const nb = others[0], nbAt = sel[nb] * MAP_CHANNELS;
    for (const k of others) {
      const at = sel[k] * MAP_CHANNELS;
      full.set(maps.subarray(cell * MAP_CHANNELS, (cell + 1) * MAP_CHANNELS), at);
      full[at + MAP.heat[0]] = 1;
      full.set(row(batch.box, k).slice(0, 2), at + MAP.boxOffset[0]);
      full.set(row(batch.joints2d, k), at + MAP.joints2d[0]);
    }
    const decodeFull = (m: Float32Array) => {
      const tk = tf.tensor4d(m, [1, 4, 4, MAP_CHANNELS]);
      const [[q]] = decodeMaps(tk, [cam], geom, { joints2d: "regressed", pose: "direct", cells: "block", boxCentre: "regressed" });
      tk.dispose();
      return q;
    };
    const qb = decodeFull(full);
    qb.box.forEach((v, i) => assert.ok(Math.abs(v - person.box[i]) < 1e-3, `block box[${i}] ${v} vs ${person.box[i]}`));
    qb.joints2d.forEach((p2, j) => p2.forEach((v, d) => assert.ok(Math.abs(v - person.joints2d[j][d]) < 2e-3, `block joints2d[${j}][${d}]`)));
    qb.joints3dRel.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - person.joints3dRel[j][d]) < 1e-4, `block joints3dRel[${j}][${d}]`)));
    const off = Float32Array.from(full);
    off[nbAt + MAP.boxOffset[0]] += 0.5; // half a cell = 4 model px = 8 image px
    const qo = decodeFull(off);
    const wsum = sig(4) + others.length * sig(1);
    assert.ok(Math.abs((qo.box[0] + qo.box[2]) / 2 - (person.box[0] + person.box[2]) / 2 - (8 * sig(1)) / wsum) < 1e-3, "the error enters with weight sig(1) / sum");
    disposeBatch(batch);
    const t = tf.tensor4d(maps, [1, 4, 4, MAP_CHANNELS]);
    // The direct head holds the exact torso-frame target; the body model's identity pose is the
    // template, whose torso frame is ~1 degree off its axes (orientation.test.ts): up to 2 cm at the feet.
    for (const [mode, pose, tol] of [["projected", "direct", 1e-4], ["regressed", "direct", 1e-4], ["projected", "fk", 0.02]] as const) {
      const [people] = decodeMaps(t, [cam], geom, { joints2d: mode, pose, provenance: "test", boxCentre: "regressed" });
      assert.equal(people.length, 1);
      const p = people[0];
      assert.ok(Math.abs(p.score - sig(4)) < 1e-6);
      p.box.forEach((v, i) => assert.ok(Math.abs(v - person.box[i]) < 1e-3, `box[${i}] ${v} vs ${person.box[i]}`));
      p.joints3d.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - person.joints3d[j][d]) < tol, `${pose} joints3d[${j}][${d}] ${v} vs ${person.joints3d[j][d]}`)));
      p.joints3dRel.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - person.joints3dRel[j][d]) < tol)));
      p.joints2d.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - person.joints2d[j][d]) < (pose === "fk" ? 0.2 : 2e-3), `${mode} joints2d[${j}][${d}] ${v} vs ${person.joints2d[j][d]}`)));
      p.shape.forEach((v, i) => assert.ok(Math.abs(v - betas[i]) < 1e-6));
      assert.deepEqual(p.visible, person.visible);
      assert.equal(p.source, "pseudo");
      assert.equal(p.provenance, "test");
      assert.equal(p.hasShape, false);
      assert.ok(p.has2d && p.has3d);
    }
    // boxCentre: "heat" centres the box on the heat peak (here heat sub-cell 0 of the centre cell, with
    // nothing around it to refine towards), "mean" (the default) midway; the size is the row's either way.
    const hx = (cell % 4) * 8 + 2, hy = Math.floor(cell / 4) * 8 + 2; // model px at 32 = image px / 2
    const centreOfBox = (b: readonly number[]) => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
    const [[onHeat]] = decodeMaps(t, [cam], geom, { boxCentre: "heat" }), [[dflt2]] = decodeMaps(t, [cam], geom, {});
    const [cx, cy] = centreOfBox(person.box);
    assert.ok(cx > 4 && cx < 60 && cy > 4 && cy < 51, "the box is not clipped");
    close2(centreOfBox(onHeat.box), [2 * hx, 2 * hy], "heat");
    close2(centreOfBox(dflt2.box), [(cx + 2 * hx) / 2, (cy + 2 * hy) / 2], "mean");
    close2([onHeat.box[2] - onHeat.box[0], onHeat.box[3] - onHeat.box[1]], [person.box[2] - person.box[0], person.box[3] - person.box[1]], "size");
    // Yaw decodings: a confident class gives the same pose either way; front and back at equal odds
    // give argmax one of them, and "expected" their average (x and z cancel, y stays).
    const [sure] = decodeMaps(t, [cam], geom, { pose: "direct", yaw: "expected" });
    sure[0].joints3dRel.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - person.joints3dRel[j][d]) < 1e-3, `expected, confident: ${v} vs ${person.joints3dRel[j][d]}`)));
    const bin = Array.from(maps.slice(cell * MAP_CHANNELS + MAP.yawLogits[0], cell * MAP_CHANNELS + MAP.yawLogits[0] + 8)).indexOf(20);
    const torn = Float32Array.from(maps);
    torn.set(Array.from({ length: 8 }, (_, b) => (b === bin || b === (bin + 4) % 8 ? 5 : -20)), cell * MAP_CHANNELS + MAP.yawLogits[0]);
    torn.set(new Array(8).fill(0), cell * MAP_CHANNELS + MAP.yawResidual[0]);
    const t2 = tf.tensor4d(torn, [1, 4, 4, MAP_CHANNELS]);
    const [a] = decodeMaps(t2, [cam], geom, { pose: "direct" }), [e] = decodeMaps(t2, [cam], geom, { pose: "direct", yaw: "expected" });
    t2.dispose();
    const lhip = 1, neck = 8; // H36M_17
    assert.ok(Math.abs(a[0].joints3dRel[lhip][0]) > 0.05, "argmax: a whole body, hips apart");
    e[0].joints3dRel.forEach((q) => assert.ok(Math.abs(q[0]) < 1e-3 && Math.abs(q[2]) < 1e-3, `expected: x and z cancel, got ${q}`));
    assert.ok(Math.abs(e[0].joints3dRel[neck][1] - a[0].joints3dRel[neck][1]) < 1e-4);
    // "flip2d": the class opposite the true one is the more likely, but the regressed 2D joints are the
    // person's own; the true class's pose projects onto them, the argmax's turned pose does not.
    const back = Float32Array.from(maps);
    back.set(Array.from({ length: 8 }, (_, b) => (b === (bin + 4) % 8 ? 20 : b === bin ? 10 : -20)), cell * MAP_CHANNELS + MAP.yawLogits[0]);
    const t3 = tf.tensor4d(back, [1, 4, 4, MAP_CHANNELS]);
    const [am] = decodeMaps(t3, [cam], geom, { pose: "direct", yaw: "argmax" }), [fl] = decodeMaps(t3, [cam], geom, { pose: "direct", yaw: "flip2d" });
    const [dflt] = decodeMaps(t3, [cam], geom, { pose: "direct" });
    t3.dispose();
    assert.ok(Math.abs(am[0].joints3dRel[lhip][0] + person.joints3dRel[lhip][0]) < 0.02, "argmax: turned round, the left hip on the other side");
    fl[0].joints3dRel.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - person.joints3dRel[j][d]) < 1e-3, `flip2d: ${v} vs ${person.joints3dRel[j][d]}`)));
    assert.deepEqual(dflt[0].joints3dRel, am[0].joints3dRel, "argmax is the default");
    // "local": a confident class gives the person itself; two neighbouring classes at equal odds give
    // the mean of their own yaws (centre plus residual), here bin + (0.1 + 1 - 0.3) / 2 = bin + 0.4,
    // which argmax decodes from a confident bin with residual 0.4.
    const [loc] = decodeMaps(t, [cam], geom, { pose: "direct", yaw: "local" });
    loc[0].joints3dRel.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - person.joints3dRel[j][d]) < 1e-3, `local, confident: ${v} vs ${person.joints3dRel[j][d]}`)));
    const yawMaps = (logit: (b: number) => number, res: (b: number) => number) => {
      const m = Float32Array.from(maps);
      m.set(Array.from({ length: 8 }, (_, b) => logit(b)), cell * MAP_CHANNELS + MAP.yawLogits[0]);
      m.set(Array.from({ length: 8 }, (_, b) => res(b)), cell * MAP_CHANNELS + MAP.yawResidual[0]);
      return tf.tensor4d(m, [1, 4, 4, MAP_CHANNELS]);
    };
    const next = (bin + 1) % 8;
    const t4 = yawMaps((b) => (b === bin || b === next ? 5 : -20), (b) => (b === bin ? 0.1 : b === next ? -0.3 : 0.45));
    const t5 = yawMaps((b) => (b === bin ? 20 : -20), (b) => (b === bin ? 0.4 : 0));
    const [[midway]] = decodeMaps(t4, [cam], geom, { pose: "direct", yaw: "local" }), [[ref]] = decodeMaps(t5, [cam], geom, { pose: "direct" });
    const [[either]] = decodeMaps(t4, [cam], geom, { pose: "direct" });
    tf.dispose([t4, t5]);
    midway.joints3dRel.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - ref.joints3dRel[j][d]) < 1e-4, `local, midway: ${v} vs ${ref.joints3dRel[j][d]}`)));
    const apart = Math.max(...either.joints3dRel.map((q, j) => Math.hypot(...q.map((v, d) => v - midway.joints3dRel[j][d]))));
    assert.ok(apart > 0.02, `argmax takes one of the two classes, not the midway yaw (joints at most ${apart} m apart)`);
    t.dispose();
  });

  it("unflipMaps: the maps it gives decode, on the mirror camera, to the mirror images of the people", () => {
    // Random maps with a few strong heat peaks: every channel's meaning is checked through the whole
    // decoder (box, 2D, FK and direct 3D, yaw class and residual, tilt, the viewing ray), against
    // flipPerson, the training augmentation's mirror. Off-centre principal point: the mirror moves it.
    const rng = new Rng("unflip");
    const G = 4, m = Float32Array.from({ length: G * G * MAP_CHANNELS }, () => rng.uniform(-1, 1));
    for (let c = 0; c < G * G; c++) {
      for (let k = 0; k < MAP.heat[1]; k++) m[c * MAP_CHANNELS + MAP.heat[0] + k] = -6 + rng.uniform(0, 1);
      m[c * MAP_CHANNELS + MAP.depth[0]] = 1.6 + rng.uniform(0, 0.2);
      m[c * MAP_CHANNELS + MAP.boxSize[0]] = m[c * MAP_CHANNELS + MAP.boxSize[0] + 1] = 0.3;
    }
    for (const [cell, sub, v] of [[5, 1, 4], [10, 2, 3], [15, 0, 2.5]]) m[cell * MAP_CHANNELS + MAP.heat[0] + sub] = v;
    const maps = tf.tensor4d(m, [1, G, G, MAP_CHANNELS]);
    const geom = { inputSize: 32, grid: G, stride: 8 };
    const cam = { ...fakeCamera(64), cx: 29 };
    const mirrorCam = { ...cam, cx: cam.width - cam.cx };
    const back = unflipMaps(maps);
    for (const opts of [{ pose: "fk" }, { pose: "direct" }, { pose: "fk", joints2d: "regressed" }, { pose: "direct", yaw: "flip2d" }, { pose: "fk", boxCentre: "heat" }] as const) {
      const [people] = decodeMaps(maps, [cam], geom, { ...opts, flipTest: false });
      const [mirrored] = decodeMaps(back, [mirrorCam], geom, opts);
      assert.equal(people.length, 3);
      assert.equal(mirrored.length, 3);
      people.forEach((p, n) => {
        const want = flipPerson(p, cam.width), got = mirrored[n];
        const near = (a: number[][], b: number[][], tol: number, what: string) =>
          a.forEach((r, j) => r.forEach((v, d) => assert.ok(Math.abs(v - b[j][d]) < tol, `${JSON.stringify(opts)} person ${n} ${what}[${j}][${d}]: ${v} vs ${b[j][d]}`)));
        assert.ok(Math.abs(got.score - p.score) < 1e-6);
        near([got.box], [want.box], 1e-3, "box");
        near(got.joints2d, want.joints2d, 1e-3, "joints2d");
        near(got.joints3d, want.joints3d, 1e-4, "joints3d");
        near(got.joints3dRel, want.joints3dRel, 1e-4, "joints3dRel");
        assert.deepEqual(got.visible, want.visible);
        near([got.shape], [want.shape], 1e-6, "shape");
      });
    }
    // An involution: mirroring back twice gives the maps.
    const twice = unflipMaps(back);
    assert.ok(tf.max(tf.abs(twice.sub(maps))).dataSync()[0] < 1e-6);
    // decodeMaps on both passes maps back only the rows it reads: the same people as decoding the
    // mean of the maps and the whole mapped-back mirror maps.
    // (a mirror pass that roughly agrees: the mirror maps of `maps`, plus noise)
    const other = tf.tidy(() => back.add(tf.randomUniform(maps.shape, -0.3, 0.3, "float32", 3)) as tf.Tensor4D);
    const mean = tf.tidy(() => maps.add(unflipMaps(other)).div(2) as tf.Tensor4D);
    for (const opts of [{}, { cells: "block" }, { pose: "direct", boxCentre: "heat" }] as const) {
      const [fast] = decodeMaps({ maps, mirrored: other }, [cam], geom, opts), [whole] = decodeMaps(mean, [cam], geom, opts);
      assert.equal(fast.length, 3);
      assert.equal(whole.length, 3);
      fast.forEach((p, n) => {
        assert.ok(Math.abs(p.score - whole[n].score) < 1e-6);
        [...p.box, ...p.joints3d.flat(), ...p.joints2d.flat()].forEach((v, i) => assert.ok(Math.abs(v - [...whole[n].box, ...whole[n].joints3d.flat(), ...whole[n].joints2d.flat()][i]) < 1e-4, `${JSON.stringify(opts)} person ${n} value ${i}`));
      });
    }
    tf.dispose([maps, back, twice, other, mean]);
  });

  it("flip test: predict decodes the mean of both passes, the same people mirrored for a mirrored image", () => {
    const model = buildRegressor(TINY_MODEL, 9);
    const cam = fakeCamera(32), mirrorCam = { ...cam, cx: cam.width - cam.cx };
    const rng = new Rng("flip-image");
    const image = Float32Array.from({ length: 32 * 32 * 3 }, () => rng.uniform(0, 1));
    const mirror = new Float32Array(image.length);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) mirror[(y * 32 + 31 - x) * 3 + c] = image[(y * 32 + x) * 3 + c];
    const before = tf.memory().numTensors;
    const [people] = predict(model, [image], [cam], { scoreThreshold: 0, maxPeople: 3 });
    const [onMirror] = predict(model, [mirror], [mirrorCam], { scoreThreshold: 0, maxPeople: 3 });
    const [plain] = predict(model, [image], [cam], { scoreThreshold: 0, maxPeople: 3, flipTest: false });
    assert.equal(tf.memory().numTensors, before, "no tensors leak");
    assert.ok(people.length >= 1);
    assert.equal(onMirror.length, people.length);
    people.forEach((p, n) => {
      const want = flipPerson(p, cam.width);
      want.box.forEach((v, i) => assert.ok(Math.abs(v - onMirror[n].box[i]) < 1e-3, `box[${i}]`));
      want.joints3dRel.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - onMirror[n].joints3dRel[j][d]) < 1e-4, `joints3dRel[${j}][${d}]`)));
    });
    // The mean is not either pass alone: the model is not mirror-symmetric.
    assert.notDeepEqual(people.map((p) => p.box), plain.map((p) => p.box));
    const x = tf.tensor4d(image, [1, 32, 32, 3]);
    const both = forward(model, x, true);
    assert.ok(both.mirrored, "forward runs the mirror pass when asked");
    tf.dispose([x, both.maps, both.mirrored!]);
    model.dispose();
  });

  it("predict is batched, honours the threshold, and leaks nothing", () => {
    const model = buildRegressor(TINY_MODEL, 5);
    const cams = [fakeCamera(64), fakeCamera(64), fakeCamera(64)];
    const images = cams.map(() => Float32Array.from({ length: 64 * 64 * 3 }, (_, i) => (i % 7) / 7));
    const before = tf.memory().numTensors;
    const all = predict(model, images, cams, { scoreThreshold: 0, maxPeople: 3, batchSize: 2 });
    assert.equal(all.length, 3);
    all.forEach((people) => assert.ok(people.length >= 1 && people.length <= 3)); // threshold 0: every local maximum, capped at 3
    predict(model, images, cams, { scoreThreshold: 0, maxPeople: 1 }).forEach((people) => assert.equal(people.length, 1));
    assert.deepEqual(predict(model, images, cams, { scoreThreshold: 1.01 }), [[], [], []]);
    const x = tf.tensor4d(Float32Array.from(images.flatMap((im) => Array.from(im))), [3, 64, 64, 3]);
    const fromTensor = predict(model, x, cams, { scoreThreshold: 0, maxPeople: 3 });
    assert.deepEqual(fromTensor.map((ps) => ps.map((p) => p.score)), all.map((ps) => ps.map((p) => p.score)));
    x.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(modelGeometry(model), { inputSize: 32, grid: 4, stride: 8, channels: MAP_CHANNELS, anchorY: 0.5 });
    model.dispose();
  });
});
