import { strict as assert } from "node:assert";
import { rotateJoints } from "../../lib/body/orientation";
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BODY_TO_H36M } from "../../lib/body/joints";
import { fk, rot6dToMat3 } from "../../lib/body/kinematics";
import { restOffsets } from "../../lib/body/shape";
import { loadCheckpoint, saveCheckpoint } from "../../lib/core/checkpoint";
import { Rng } from "../../lib/core/rng";
import {
  DEFAULT_MODEL, DEPTH_PRIOR_BIAS, HEAT_PRIOR_BIAS, MAP, MAP_CHANNELS, TINY_MODEL, bodyJoints, buildRegressor, imagesTensor, modelGeometry, modelStats, splitParams,
} from "../../lib/model/regressor";
import { restJoints17, tensorsLeaked, useBackend } from "../train/fixtures";

describe("model/regressor", () => {
  before(useBackend);

  it("maps have the documented shape for the tiny and the default config", () => {
    for (const cfg of [TINY_MODEL, { ...TINY_MODEL, fineWidth: 8 }, { ...DEFAULT_MODEL, inputSize: 96 }, DEFAULT_MODEL, { ...DEFAULT_MODEL, fineWidth: 0 }]) {
      const model = buildRegressor(cfg);
      const S = cfg.inputSize;
      assert.deepEqual(modelGeometry(model), { inputSize: S, grid: S / 8, stride: 8, channels: MAP_CHANNELS, anchorY: 0.5 });
      const y = tf.tidy(() => model.predict(tf.zeros([2, S, S, 3])) as tf.Tensor);
      assert.deepEqual(y.shape, [2, S / 8, S / 8, MAP_CHANNELS]);
      y.dispose();
      model.dispose();
    }
    assert.equal(MAP_CHANNELS, 265);
    assert.throws(() => buildRegressor({ ...TINY_MODEL, inputSize: 40 }), /multiple of 16/);
  });

  it("modelStats counts params, FLOPs and receptive field by hand for the tiny model", () => {
    const model = buildRegressor(TINY_MODEL);
    const st = modelStats(model);
    assert.equal(st.params, model.countParams());
    // Tiny: 32 -> s2 8ch (16x16) -> s4 16ch (8x8) -> s8 24ch (4x4) + 1 conv -> s16 32ch (2x2) -> up, concat 56 -> 1x1 32 -> heads 4 (the stride-4 heat sub-cells) + 261.
    const conv = (h: number, cin: number, cout: number, k = 3) => 2 * h * h * cout * k * k * cin;
    const flops = conv(16, 3, 8) + conv(8, 8, 16) + conv(4, 16, 24) + conv(4, 24, 24) + conv(2, 24, 32) + conv(4, 56, 32, 1) + conv(4, 32, 4, 1) + conv(4, 32, 261, 1);
    assert.equal(st.flopsPerImage, flops);
    const params = (cin: number, cout: number, k = 3) => k * k * cin * cout + cout;
    assert.equal(st.params, params(3, 8) + params(8, 16) + params(16, 24) + params(24, 24) + params(24, 32) + params(56, 32, 1) + params(32, 4, 1) + params(32, 261, 1));
    // RF: 3 (s2) -> 7 (s4) -> 15 (s8) -> 31 (s8 conv) -> 47 (s16), the 1x1 head adds nothing.
    assert.equal(st.receptiveField, 47);
    assert.equal(st.stride, 8);
    model.dispose();
  });

  it("modelStats counts the stride-4 detection path by hand (fineWidth)", () => {
    const model = buildRegressor({ ...TINY_MODEL, fineWidth: 8 });
    const st = modelStats(model);
    const conv = (h: number, cin: number, cout: number, k = 3) => 2 * h * h * cout * k * k * cin;
    // Trunk as above; then 1x1 32 -> 16 at 4x4 (fine_top), upsample and add to the 8x8x16 stride-4
    // features, 3x3 16 -> 8 at 8x8 (fine_conv), 2x2 stride-2 8 -> 8 at 4x4 (heat sub-cells + box), and
    // the params head now makes 265 - 8 channels.
    const trunk = conv(16, 3, 8) + conv(8, 8, 16) + conv(4, 16, 24) + conv(4, 24, 24) + conv(2, 24, 32) + conv(4, 56, 32, 1);
    assert.equal(st.flopsPerImage, trunk + conv(4, 32, 16, 1) + conv(8, 16, 8) + conv(4, 8, 8, 2) + conv(4, 32, 257, 1));
    const params = (cin: number, cout: number, k = 3) => k * k * cin * cout + cout;
    assert.equal(st.params, params(3, 8) + params(8, 16) + params(16, 24) + params(24, 24) + params(24, 32) + params(56, 32, 1)
      + params(32, 16, 1) + params(16, 8) + params(8, 8, 2) + params(32, 257, 1));
    // The heat path: 47 px at jump 8, upsampled to jump 4, +2*4 (3x3), +1*4 (2x2) = 59.
    assert.equal(st.receptiveField, 59);
    model.dispose();
  });

  it("the heat and box of a cell come from the stride-4 features of its own 2x2 block (fineWidth)", () => {
    // Recompute the first 8 map channels by hand from the stride-4 features (fine_conv's output) and the
    // 2x2 head's weights: cell (x, y) must read the stride-4 cells (2x + dx, 2y + dy), the sub-cells
    // that HEAT_SUB's packing gives it, and no others.
    const model = buildRegressor({ ...TINY_MODEL, fineWidth: 8 }, 2);
    const features = tf.model({ inputs: model.inputs, outputs: model.getLayer("fine_conv").output as tf.SymbolicTensor });
    const x = tf.randomUniform([1, 32, 32, 3], 0, 1, "float32", 5);
    const fT = features.predict(x) as tf.Tensor, mT = model.predict(x) as tf.Tensor;
    const F = fT.arraySync() as number[][][][], maps = mT.arraySync() as number[][][][];
    const [W, b] = model.getLayer("heat").getWeights().map((w) => w.arraySync()) as [number[][][][], number[]];
    assert.equal(F[0].length, 8);
    let checked = 0;
    for (let y = 0; y < 4; y++)
      for (let cx = 0; cx < 4; cx++)
        for (let c = 0; c < 8; c++) {
          let v = b[c];
          for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) for (let ci = 0; ci < 8; ci++) v += W[dy][dx][ci][c] * F[0][2 * y + dy][2 * cx + dx][ci];
          assert.ok(Math.abs(maps[0][y][cx][c] - v) < 1e-5, `cell (${cx}, ${y}) channel ${c}: ${maps[0][y][cx][c]} vs ${v}`);
          checked++;
        }
    assert.equal(checked, 128);
    tf.dispose([x, fT, mT]);
    model.dispose();
  });

  it("fineParams: a cell's parameters are the stride-8 head plus a 2x2 conv of its own stride-4 block; the rest of the net is unchanged", () => {
    const cfg = { ...TINY_MODEL, fineWidth: 8 };
    const plain = buildRegressor(cfg, 2), model = buildRegressor({ ...cfg, fineParams: true }, 2);
    // Every layer but the new one starts with the same weights (its seed is drawn last).
    for (const l of plain.layers) {
      const a = l.getWeights(), b = model.getLayer(l.name).getWeights();
      assert.equal(a.length, b.length, l.name);
      a.forEach((w, i) => assert.deepEqual(w.dataSync(), b[i].dataSync(), `${l.name} weight ${i}`));
    }
    const conv = (h: number, cin: number, cout: number, k = 3) => 2 * h * h * cout * k * k * cin;
    assert.equal(modelStats(model).flopsPerImage, modelStats(plain).flopsPerImage + conv(4, 8, 257, 2));
    assert.equal(modelStats(model).params, modelStats(plain).params + 2 * 2 * 8 * 257);
    // By hand: channels 8.. of cell (x, y) = the 1x1 "params" head on head_conv0 + "params_fine" on the 2x2 block.
    const sub = tf.model({ inputs: model.inputs, outputs: [model.getLayer("head_conv0").output as tf.SymbolicTensor, model.getLayer("fine_conv").output as tf.SymbolicTensor] });
    const x = tf.randomUniform([1, 32, 32, 3], 0, 1, "float32", 6);
    const [hT, fT] = sub.predict(x) as tf.Tensor[], mT = model.predict(x) as tf.Tensor;
    const [Hf, F, maps] = [hT, fT, mT].map((t) => t.arraySync()) as number[][][][][];
    const [W1, b1] = model.getLayer("params").getWeights().map((w) => w.arraySync()) as [number[][][][], number[]];
    const [W2] = model.getLayer("params_fine").getWeights().map((w) => w.arraySync()) as [number[][][][]];
    assert.equal(model.getLayer("params_fine").getWeights().length, 1, "no second bias");
    let checked = 0;
    for (let y = 0; y < 4; y++)
      for (let cx = 0; cx < 4; cx++)
        for (const c of [0, 5, 100, 256]) {
          let v = b1[c];
          for (let ci = 0; ci < Hf[0][y][cx].length; ci++) v += W1[0][0][ci][c] * Hf[0][y][cx][ci];
          for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) for (let ci = 0; ci < 8; ci++) v += W2[dy][dx][ci][c] * F[0][2 * y + dy][2 * cx + dx][ci];
          assert.ok(Math.abs(maps[0][y][cx][8 + c] - v) < 1e-5, `cell (${cx}, ${y}) channel ${8 + c}: ${maps[0][y][cx][8 + c]} vs ${v}`);
          checked++;
        }
    assert.equal(checked, 64);
    assert.throws(() => buildRegressor({ ...TINY_MODEL, fineWidth: 0, fineParams: true }), /fineParams needs the stride-4 path/);
    tf.dispose([x, hT, fT, mT]);
    plain.dispose();
    model.dispose();
  });

  it("the default model fits the 8 MB checkpoint budget", () => {
    const model = buildRegressor(DEFAULT_MODEL);
    const st = modelStats(model);
    assert.ok(st.weightBytes <= 8e6, `${st.weightBytes} bytes`);
    assert.ok(st.receptiveField >= 100, `receptive field ${st.receptiveField} px`);
    model.dispose();
  });

  for (const fineWidth of [0, 8]) it(`starts at the heatmap prior, the rest pose in the torso frame and an upright torso (fineWidth ${fineWidth})`, () => {
    const model = buildRegressor({ ...TINY_MODEL, fineWidth });
    // A black image gives zero features (zero conv biases, ReLU), so the maps are the head biases.
    const rows = tf.tidy(() => (model.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor).reshape([-1, MAP_CHANNELS]).slice([0, 0], [1, MAP_CHANNELS]) as tf.Tensor2D);
    const q = splitParams(rows);
    assert.ok(Math.abs(q.heat.dataSync()[0] - HEAT_PRIOR_BIAS) < 1e-6);
    const j = bodyJoints(q.rot6d, q.betas);
    const got = j.arraySync()[0];
    // The fixture's camera-frame rest pose faces the camera: diag(1, -1, -1) turns it back into the template's axes.
    rotateJoints([1, 0, 0, 0, -1, 0, 0, 0, -1], restJoints17([0, 0, 0, 0, 0])).forEach((p, k) => p.forEach((v, d) => assert.ok(Math.abs(got[k][d] - v) < 1e-5, `joint ${k}[${d}] ${got[k][d]} vs ${v}`)));
    Array.from(q.tilt6d.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [1, 0, 0, 1, 0, 0][i]) < 1e-6, "tilt starts at the identity"));
    [...q.boxOffset.dataSync(), ...q.boxSize.dataSync()].forEach((v) => assert.equal(v, 0, "box starts at zero"));
    assert.ok(Math.abs(q.depth.dataSync()[0] - DEPTH_PRIOR_BIAS) < 1e-6, "depth starts at the prior");
    tf.dispose([rows, j, ...Object.values(q)]);
    model.dispose();
  });

  it("bodyJoints matches the float64 FK of the body model, picked into H36M order", () => {
    const rng = new Rng("regressor/fk");
    const N = 3;
    const rot = Float32Array.from({ length: N * 24 * 6 }, () => rng.normal());
    const betas = Float32Array.from({ length: N * 5 }, () => rng.normal());
    const t = tf.tidy(() => bodyJoints(tf.tensor3d(rot, [N, 24, 6]), tf.tensor2d(betas, [N, 5])));
    const got = t.arraySync();
    t.dispose();
    for (let n = 0; n < N; n++) {
      const R = new Float64Array(24 * 9);
      for (let r = 0; r < 24; r++) R.set(rot6dToMat3(rot, (n * 24 + r) * 6), r * 9);
      const P = fk(R, restOffsets({ betas: Array.from(betas.subarray(n * 5, n * 5 + 5)) }));
      BODY_TO_H36M.forEach((b, k) => [0, 1, 2].forEach((d) => assert.ok(Math.abs(got[n][k][d] - P[b * 3 + d]) < 1e-4, `person ${n} joint ${k}`)));
    }
  });

  it("imagesTensor resizes with half-pixel centres and passes same-size images through", () => {
    const img = Float32Array.from({ length: 4 * 4 * 3 }, (_, i) => Math.floor(i / 3) % 4); // value = column
    const t = imagesTensor([{ image: img, width: 4, height: 4 }, { image: img, width: 4, height: 4 }], 2);
    assert.deepEqual(t.shape, [2, 2, 2, 3]);
    // Output column c's centre (c + 0.5) * 2 = input position 1.0 / 3.0, i.e. between input pixel centres 0.5 and 1.5 (values 0, 1).
    assert.deepEqual(Array.from(t.dataSync().slice(0, 6)), [0.5, 0.5, 0.5, 2.5, 2.5, 2.5]);
    t.dispose();
    const same = imagesTensor([{ image: img, width: 4, height: 4 }], 4);
    assert.deepEqual(Array.from(same.dataSync()), Array.from(img));
    same.dispose();
  });

  it("the same seed gives the same initial weights, seed 0 included; another seed gives others", () => {
    // tfjs reads an initialiser seed of 0 as "no seed": the default seed once drew its first conv afresh.
    const bytes = (m: tf.LayersModel) => m.getWeights().map((w) => Buffer.from(w.dataSync().buffer));
    const [a, b, c] = [buildRegressor(TINY_MODEL, 0), buildRegressor(TINY_MODEL, 0), buildRegressor(TINY_MODEL, 1)];
    const [wa, wb, wc] = [a, b, c].map(bytes);
    wa.forEach((w, i) => assert.ok(w.equals(wb[i]), `seed 0, weight ${a.weights[i].name} differs between two builds`));
    assert.ok(!wa[0].equals(wc[0]), "seeds 0 and 1 gave the same first kernel");
    [a, b, c].forEach((m) => m.dispose());
  });

  it("a checkpoint round-trips as plain layers (bit-identical maps)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wb-regressor-"));
    try {
      const model = buildRegressor(TINY_MODEL, 3);
      const x = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 1);
      const a = model.predict(x) as tf.Tensor;
      await saveCheckpoint(model, join(dir, "ck"), { step: 1 });
      const { model: loaded } = await loadCheckpoint(join(dir, "ck"));
      const b = loaded.predict(x) as tf.Tensor;
      assert.deepEqual(Buffer.from(b.dataSync().buffer), Buffer.from(a.dataSync().buffer));
      assert.equal(statSync(join(dir, "ck", "weights.bin")).size, model.countParams() * 4);
      tf.dispose([x, a, b]);
      model.dispose();
      loaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaks no tensors", () => {
    const rot = tf.randomNormal([2, 24, 6]), betas = tf.randomNormal([2, 5]), rows = tf.randomNormal([2, MAP_CHANNELS]) as tf.Tensor2D;
    assert.equal(tensorsLeaked(() => bodyJoints(rot, betas)), 0);
    assert.equal(tensorsLeaked(() => Object.values(splitParams(rows))), 0);
    assert.equal(tensorsLeaked(() => imagesTensor([{ image: new Float32Array(8 * 8 * 3), width: 8, height: 8 }], 16)), 0);
    tf.dispose([rot, betas, rows]);
    assert.equal(MAP.tilt6d[0] + MAP.tilt6d[1], MAP_CHANNELS);
  });
});
