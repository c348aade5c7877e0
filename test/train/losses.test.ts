import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/core/rng";
import type { Sample } from "../../lib/data/records";
import { MAP, MAP_CHANNELS, TINY_MODEL, buildRegressor, modelGeometry } from "../../lib/model/regressor";
import { DEFAULT_LOSS, LOSS_NAMES, computeLosses, focalLoss, giouLoss, slotRows, maskedCrossEntropy, maskedL1, maskedL2, posePrior, shapePrior, type LossConfig } from "../../lib/train/losses";
import { buildBatch, disposeBatch } from "../../lib/train/targets";
import { fakeSample, tensorsLeaked, useBackend } from "./fixtures";

const close = (a: number, b: number, tol = 1e-5, what = "") => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what} ${a} vs ${b}`);
const LN2 = Math.log(2);

describe("train/losses", () => {
  before(useBackend);

  it("slotRows reads each slot's cell and sends its gradient back there, summed over slots sharing a cell", () => {
    // 2 images of a 2x2 grid, 3 channels; slots: image 0 cell 3, image 0 cell 3 again, empty, image 1 cell 0.
    const maps = tf.tensor4d(Array.from({ length: 24 }, (_, i) => i - 7.5), [2, 2, 2, 3]);
    const cell = tf.tensor1d([3, 3, -1, 4], "int32"), mask = tf.tensor1d([1, 1, 0, 1]);
    const w = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [4, 3]);
    const rows = slotRows(maps, cell, mask);
    const m = maps.dataSync();
    const expect = [3, 3, -1, 4].flatMap((c) => (c < 0 ? [0, 0, 0] : [m[c * 3], m[c * 3 + 1], m[c * 3 + 2]]));
    assert.deepEqual(Array.from(rows.dataSync(), (v) => v + 0), expect); // + 0: an empty slot reads -0 from a negative row
    const g = tf.grad((x: tf.Tensor) => slotRows(x, cell, mask).mul(w).sum())(maps);
    const want = new Array(24).fill(0);
    [[3, 0], [3, 1], [4, 3]].forEach(([c, k]) => { for (let d = 0; d < 3; d++) want[c * 3 + d] += (k * 3 + d + 1); });
    assert.deepEqual(Array.from(g.dataSync(), (v) => v + 0), want, "the empty slot sends nothing, the shared cell gets both slots' gradients");
    assert.equal(tensorsLeaked(() => tf.grad((x: tf.Tensor) => slotRows(x, cell, mask).sum())(maps)), 0);
    tf.dispose([maps, cell, mask, w, rows, g]);
  });

  it("focal loss equals CenterNet's formula computed by hand", () => {
    // Image 0: cells (gt 1, p 0.5) and (gt 0.5, p 0.5); image 1: no person, two cells with p = 0.25.
    const logits = tf.tensor4d([0, 0, Math.log(1 / 3), Math.log(1 / 3)], [2, 1, 2, 1]);
    const gt = tf.tensor4d([1, 0.5, 0, 0], [2, 1, 2, 1]);
    const pos = 0.25 * LN2; // (1 - p)^2 (-log p)
    const neg = 0.5 ** 4 * 0.25 * LN2; // (1 - y)^4 p^2 (-log(1 - p))
    const empty = 2 * 0.0625 * -Math.log(0.75);
    const f = (w: number[]) => {
      const wt = tf.tensor1d(w);
      const v = focalLoss(logits, gt, wt).dataSync()[0];
      wt.dispose();
      return v;
    };
    close(f([1, 1]), pos + neg + empty, 1e-5, "focal");
    close(f([2, 0]), 2 * (pos + neg), 1e-5, "image weights");
    close(f([0, 0]), 0, 0, "all weights 0");
    const w = tf.tensor1d([1, 1]);
    assert.equal(tensorsLeaked(() => focalLoss(logits, gt, w)), 0);
    tf.dispose([logits, gt, w]);
  });

  it("masked L1 / L2 are sum(w m e) / max(sum m, 1), with prefix masks", () => {
    const pred = tf.tensor2d([[1, 2], [3, 4]]), zero = tf.zeros([2, 2]);
    const m = tf.tensor2d([[1, 0], [1, 1]]), w = tf.tensor1d([1, 0.5]);
    close(maskedL1(pred, zero, m, w).dataSync()[0], (1 + 0.5 * (3 + 4)) / 3);
    close(maskedL2(pred, zero, m, w).dataSync()[0], (1 + 0.5 * (9 + 16)) / 3);
    const mp = tf.tensor1d([1, 0]), w2 = tf.tensor1d([2, 1]);
    close(maskedL1(pred, zero, mp, w2).dataSync()[0], (2 * (1 + 2)) / 2, 1e-6, "person mask over both coordinates");
    const off = tf.zeros([2, 2]);
    assert.equal(maskedL1(pred, zero, off, w).dataSync()[0], 0);
    assert.equal(tensorsLeaked(() => [maskedL1(pred, zero, m, w), maskedL2(pred, zero, mp, w2)]), 0);
    tf.dispose([pred, zero, m, w, mp, w2, off]);
  });

  it("yaw-class cross-entropy is -log softmax of the true class, masked and weighted", () => {
    const logits = tf.tensor2d([[0, Math.log(3)], [1, 1], [5, -5]]), onehot = tf.tensor2d([[0, 1], [1, 0], [0, 1]]);
    const on = tf.tensor1d([1, 1, 0]), w = tf.tensor1d([1, 0.5, 1]);
    // row 0: p = 3/4; row 1: p = 1/2 at weight 0.5; row 2 masked off.
    close(maskedCrossEntropy(logits, onehot, on, w).dataSync()[0], (-Math.log(0.75) + 0.5 * LN2) / 2);
    assert.equal(tensorsLeaked(() => maskedCrossEntropy(logits, onehot, on, w)), 0);
    tf.dispose([logits, onehot, on, w]);
  });

  it("GIoU loss equals 1 - (IoU - (hull - union) / hull) computed by hand, masked and weighted", () => {
    // [cx, cy, w, h]. Row 0: pred [0,0]-[2,2] vs truth [1,1]-[3,3]: inter 1, union 7, hull 9.
    // Row 1: the same box: loss 0. Row 2: disjoint, [0,0]-[1,1] vs [2,0]-[3,1]: IoU 0, hull 3, union 2.
    // Row 3: a negative predicted width counts as 0 width: IoU 0, hull = the truth's 4, union 4.
    // Row 4: masked off (a huge error that must not count).
    const pred = tf.tensor2d([[1, 1, 2, 2], [5, 5, 2, 4], [0.5, 0.5, 1, 1], [1, 1, -3, 2], [0, 0, 100, 100]]);
    const target = tf.tensor2d([[2, 2, 2, 2], [5, 5, 2, 4], [2.5, 0.5, 1, 1], [1, 1, 2, 2], [9, 9, 1, 1]]);
    const mask = tf.tensor1d([1, 1, 1, 1, 0]), weight = tf.tensor1d([1, 2, 1, 0.5, 1]);
    const want = [1 - (1 / 7 - 2 / 9), 0, 1 - (0 - 1 / 3), 1 - (0 - 0)];
    const got = giouLoss(pred, target, mask, weight);
    close(got.dataSync()[0], (want[0] * 1 + want[1] * 2 + want[2] * 1 + want[3] * 0.5) / 4, 1e-6, "giou");
    // Its gradient moves the predicted centre toward the truth's.
    const g = tf.grad((x: tf.Tensor) => giouLoss(x as tf.Tensor2D, target, mask, weight))(pred).arraySync() as number[][];
    assert.ok(g[0][0] < 0 && g[0][1] < 0, `centre gradient ${g[0]}`);
    tf.dispose([pred, target, mask, weight, got]);
  });

  it("shape prior is the mean beta^2 over people", () => {
    const b = tf.tensor2d([[1, 2, 0, 0, 0], [3, 0, 0, 0, 0]]), on = tf.ones([2]), off = tf.tensor1d([1, 0]);
    close(shapePrior(b, on, on).dataSync()[0], (1 + 4 + 9) / 10);
    close(shapePrior(b, off, on).dataSync()[0], (1 + 4) / 5);
    tf.dispose([b, on, off]);
  });

  it("pose prior: 0 at rest, the angle limit beyond 150 degrees, and 6D conditioning", () => {
    const I = [1, 0, 0, 1, 0, 0], flipX = [1, 0, 0, -1, 0, 0];
    const rest = Array.from({ length: 24 }, (_, r) => (r === 0 ? flipX : I));
    const bent = rest.map((v, r) => (r === 5 ? flipX : v)); // joint 5 turned 180 degrees: cos = -1
    const scaled = rest.map((v, r) => (r === 7 ? [2, 0, 0, 1, 0, 0] : v)); // |a1|^2 = 4: (4 - 1)^2 = 9, still identity
    const t = tf.tensor3d([rest, bent, scaled]);
    const one = (k: number) => tf.tidy(() => posePrior(t, tf.oneHot(tf.tensor1d([k], "int32"), 3).reshape([3]), tf.ones([3]), 150).dataSync()[0]);
    close(one(0), 0, 1e-6, "rest");
    close(one(1), (1 - Math.cos((30 * Math.PI) / 180)) ** 2 / 23, 1e-4, "angle limit"); // relu(cos150 - (-1))^2 over 23 joints
    close(one(2), 9 / 24, 1e-5, "conditioning");
    const on = tf.ones([3]);
    assert.equal(tensorsLeaked(() => posePrior(t, on, on)), 0);
    tf.dispose([t, on]);
  });

  describe("computeLosses", () => {
    const rng = new Rng("losses/batch");
    const samples: Sample[] = Array.from({ length: 3 }, (_, i) => fakeSample(rng.fork(i), { size: 32, people: [1, 2] }));
    const geom = { inputSize: 32, grid: 4, stride: 8 };
    let maps: tf.Variable, model: tf.LayersModel;
    before(() => {
      model = buildRegressor(TINY_MODEL, 2);
      assert.deepEqual(modelGeometry(model), { ...geom, channels: MAP_CHANNELS, anchorY: 0.5 });
      maps = tf.variable(tf.tidy(() => (model.predict(tf.randomUniform([3, 32, 32, 3], 0, 1, "float32", 4)) as tf.Tensor).add(tf.randomNormal([3, 4, 4, MAP_CHANNELS], 0, 0.3, "float32", 5))));
    });
    after(() => {
      maps.dispose();
      model.dispose();
    });

    const terms = (ss: Sample[], cfg: LossConfig = DEFAULT_LOSS) => {
      const batch = buildBatch(ss, geom, cfg);
      const L = computeLosses(maps, batch, cfg);
      const out = Object.fromEntries(LOSS_NAMES.map((k) => [k, L.terms[k].dataSync()[0]])) as Record<string, number>;
      out.total = L.total.dataSync()[0];
      tf.dispose([L.total, ...Object.values(L.terms)]);
      disposeBatch(batch);
      return out;
    };
    const edit = (f: (p: Sample["people"][number]) => void) => samples.map((s) => ({ ...s, people: s.people.map((p) => { const q = { ...p }; f(q); return q; }) }));

    it("every term is finite and positive, and the total is their weighted sum", () => {
      const t = terms(samples);
      // The partner terms need a model with partner rows (test/model/partner.test.ts): exactly 0 here.
      for (const k of LOSS_NAMES) assert.ok(k.startsWith("partner") ? t[k] === 0 : Number.isFinite(t[k]) && t[k] > 0, `${k} = ${t[k]}`);
      close(t.total, LOSS_NAMES.reduce((s, k) => s + DEFAULT_LOSS.weights[k] * t[k], 0), 1e-5, "total");
    });

    it("has2d / has3d / hasShape = false switch their terms off, values and gradients", () => {
      const base = terms(samples);
      const no2d = terms(edit((p) => (p.has2d = false)));
      assert.equal(no2d.joints2d, 0);
      close(no2d.joints3d, base.joints3d, 1e-6);
      const no3d = terms(edit((p) => (p.has3d = false)));
      assert.equal(no3d.joints3d, 0);
      assert.equal(no3d.depth, 0);
      for (const k of ["joints3dDirect", "yawBin", "yawResidual", "tilt"] as const) assert.equal(no3d[k], 0, `${k} without 3D labels`);
      close(no3d.joints2d, base.joints2d, 1e-6);
      const noShape = terms(edit((p) => (p.hasShape = false)));
      assert.equal(noShape.shape, 0);
      close(noShape.shapePrior, base.shapePrior, 1e-6, "the prior still applies");
      // No gradient reaches the 2D-joint channels when no label has 2D joints.
      const batch = buildBatch(edit((p) => (p.has2d = false)), geom, DEFAULT_LOSS);
      const g = tf.variableGrads(() => computeLosses(maps, batch, DEFAULT_LOSS).terms.joints2d, [maps]);
      const gj = tf.tidy(() => g.grads[maps.name].slice([0, 0, 0, MAP.joints2d[0]], [-1, -1, -1, MAP.joints2d[1]]).abs().sum());
      assert.equal(gj.dataSync()[0], 0);
      tf.dispose([gj, g.value, ...Object.values(g.grads)]);
      disposeBatch(batch);
    });

    it("the yaw terms read the true class's residual and the tilt, as computed by hand from the maps", () => {
      const batch = buildBatch(samples, geom, DEFAULT_LOSS);
      const L = computeLosses(maps, batch, DEFAULT_LOSS);
      const M = batch.personMask.shape[0] / 3, G = 4, C = MAP_CHANNELS;
      const sel = batch.cell.dataSync(), m = maps.dataSync(), on = batch.maskOrient.dataSync();
      const bins = batch.yawBin.arraySync(), res = batch.yawResidual.dataSync(), tilt = batch.tilt6d.arraySync();
      let ce = 0, r = 0, t = 0, n = 0;
      for (let b = 0; b < 3; b++) {
        for (let k = 0; k < M; k++) {
          const slot = b * M + k, cell = sel[slot] - b * G * G;
          if (!on[slot]) continue;
          const row = (c: number) => m[(b * G * G + cell) * C + c];
          const logits = Array.from({ length: 8 }, (_, i) => row(MAP.yawLogits[0] + i));
          const bin = bins[slot].indexOf(1), top = Math.max(...logits);
          ce += -(logits[bin] - top - Math.log(logits.reduce((s, l) => s + Math.exp(l - top), 0)));
          r += Math.abs(row(MAP.yawResidual[0] + bin) - res[slot]);
          t += tilt[slot].reduce((s, v, i) => s + Math.abs(row(MAP.tilt6d[0] + i) - v), 0);
          n++;
        }
      }
      assert.ok(n >= 3);
      close(L.terms.yawBin.dataSync()[0], ce / n, 1e-5, "yawBin");
      close(L.terms.yawResidual.dataSync()[0], r / n, 1e-5, "yawResidual");
      close(L.terms.tilt.dataSync()[0], t / (6 * n), 1e-5, "tilt");
      tf.dispose([L.total, ...Object.values(L.terms)]);
      disposeBatch(batch);
    });

    /** Each active slot's predicted box, read by hand from its map row, and its target box. */
    const slotBoxes = (batch: ReturnType<typeof buildBatch>) => {
      const sel = batch.cell.dataSync(), m = maps.dataSync(), on = batch.personMask.dataSync(), box = batch.box.arraySync();
      const out: { pred: number[]; truth: number[] }[] = [];
      on.forEach((active, slot) => {
        if (!active) return;
        const row = (c: number) => m[sel[slot] * MAP_CHANNELS + c];
        out.push({ pred: [row(MAP.boxOffset[0]), row(MAP.boxOffset[0] + 1), row(MAP.boxSize[0]), row(MAP.boxSize[0] + 1)], truth: box[slot] });
      });
      return out;
    };

    it("the box term is the mean L1 of offsets (cells) and sizes times boxSizeScale, by hand from the maps", () => {
      for (const scale of [1, 16]) {
        const cfg = { ...DEFAULT_LOSS, boxSizeScale: scale };
        const batch = buildBatch(samples, geom, cfg);
        const L = computeLosses(maps, batch, cfg);
        const boxes = slotBoxes(batch);
        assert.ok(boxes.length >= 3);
        const sum = boxes.reduce((s, { pred, truth }) => s + pred.reduce((a, v, i) => a + Math.abs(v - truth[i]) * (i >= 2 ? scale : 1), 0), 0);
        close(L.terms.box.dataSync()[0], sum / (4 * boxes.length), 1e-5, `box at boxSizeScale ${scale}`);
        tf.dispose([L.total, ...Object.values(L.terms)]);
        disposeBatch(batch);
      }
    });

    it("the boxIou term is the mean 1 - GIoU of each slot's box, sizes in cells, by hand from the maps", () => {
      const batch = buildBatch(samples, geom, DEFAULT_LOSS);
      const L = computeLosses(maps, batch, DEFAULT_LOSS);
      const G = 4;
      const corners = (b: number[]) => [b[0] - (b[2] * G) / 2, b[1] - (b[3] * G) / 2, b[0] + (b[2] * G) / 2, b[1] + (b[3] * G) / 2];
      const area = (q: number[]) => (q[2] - q[0]) * (q[3] - q[1]);
      const boxes = slotBoxes(batch);
      assert.ok(boxes.length >= 3);
      const sum = boxes.reduce((s, { pred, truth }) => {
        const p = corners([pred[0], pred[1], Math.max(0, pred[2]), Math.max(0, pred[3])]), t = corners(truth);
        const inter = Math.max(0, Math.min(p[2], t[2]) - Math.max(p[0], t[0])) * Math.max(0, Math.min(p[3], t[3]) - Math.max(p[1], t[1]));
        const union = area(p) + area(t) - inter;
        const hull = (Math.max(p[2], t[2]) - Math.min(p[0], t[0])) * (Math.max(p[3], t[3]) - Math.min(p[1], t[1]));
        return s + 1 - (inter / union - (hull - union) / hull);
      }, 0);
      close(L.terms.boxIou.dataSync()[0], sum / boxes.length, 1e-5, "boxIou");
      tf.dispose([L.total, ...Object.values(L.terms)]);
      disposeBatch(batch);
    });

    it("source weights scale the terms of pseudo labels (0 switches them off)", () => {
      const base = terms(samples);
      const pseudo = edit((p) => (p.source = "pseudo"));
      const half = terms(pseudo, { ...DEFAULT_LOSS, sourceWeight: { gt: 1, pseudo: 0.5 } });
      for (const k of LOSS_NAMES) close(half[k], 0.5 * base[k], 1e-5, k);
      const zero = terms(pseudo, { ...DEFAULT_LOSS, sourceWeight: { gt: 1, pseudo: 0 } });
      for (const k of LOSS_NAMES) assert.equal(zero[k], 0, k);
    });

    it("leaks no tensors", () => {
      const batch = buildBatch(samples, geom, DEFAULT_LOSS);
      assert.equal(tensorsLeaked(() => {
        const L = computeLosses(maps, batch, DEFAULT_LOSS);
        return [L.total, ...Object.values(L.terms)];
      }), 0);
      disposeBatch(batch);
    });
  });
});
