/**
 * The box anchor (regressor.ts `ModelConfig.boxAnchorY`): it travels with the weights, the targets put
 * the heat peak and the box offset at it, and the decoder builds the box back around it.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { Sample } from "../../lib/data/records";
import { loadCheckpoint, saveCheckpoint } from "../../lib/core/checkpoint";
import { decodeMaps } from "../../lib/model/decode";
import { HEAT_SUB, MAP, MAP_CHANNELS, TINY_MODEL, buildRegressor, modelGeometry } from "../../lib/model/regressor";
import { DEFAULT_LOSS } from "../../lib/train/losses";
import { buildBatch, disposeBatch } from "../../lib/train/targets";
import { fakeCamera, fakePerson, useBackend } from "../train/fixtures";

describe("model/box anchor", () => {
  before(useBackend);

  it("is the model's metadata: read by modelGeometry, kept by a checkpoint, absent for the default 0.5", async () => {
    const plain = buildRegressor(TINY_MODEL, 0);
    assert.equal(modelGeometry(plain).anchorY, 0.5);
    assert.equal(plain.getUserDefinedMetadata(), undefined, "the default recipe saves as before");
    const top = buildRegressor({ ...TINY_MODEL, boxAnchorY: 0.2 }, 0);
    assert.equal(modelGeometry(top).anchorY, 0.2);
    const dir = mkdtempSync(join(tmpdir(), "wb-anchor-"));
    try {
      await saveCheckpoint(top, join(dir, "ck"), { step: 1 });
      assert.equal(JSON.parse(readFileSync(join(dir, "ck", "model.json"), "utf8")).userDefinedMetadata.boxAnchorY, 0.2);
      const { model } = await loadCheckpoint(join(dir, "ck"));
      assert.equal(modelGeometry(model).anchorY, 0.2);
      model.dispose();
      // A bad anchor in a checkpoint's model.json: the loader's check names the file and the field.
      const mj = JSON.parse(readFileSync(join(dir, "ck", "model.json"), "utf8"));
      mj.userDefinedMetadata.boxAnchorY = 2;
      writeFileSync(join(dir, "ck", "model.json"), JSON.stringify(mj));
      const before = tf.memory().numTensors;
      await assert.rejects(loadCheckpoint(join(dir, "ck"), { check: modelGeometry }), (e: Error) => e.message.startsWith(join(dir, "ck", "model.json") + ": ") && /metadata boxAnchorY must be in \(0, 1\), got 2/.test(e.message));
      assert.equal(tf.memory().numTensors, before, "the rejected model is disposed");
      await saveCheckpoint(plain, join(dir, "plain"), { step: 1 });
      assert.equal(JSON.parse(readFileSync(join(dir, "plain", "model.json"), "utf8")).userDefinedMetadata, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      plain.dispose();
      top.dispose();
    }
    assert.throws(() => buildRegressor({ ...TINY_MODEL, boxAnchorY: 1 }, 0), /boxAnchorY must be in \(0, 1\)/);
  });

  it("targets put the peak and the box offset at the anchor, and the decoder builds the label's box back from them", () => {
    const cam = fakeCamera(64, 55);
    const person = fakePerson(cam, [0.3, 0.1, 4], [0, 0, 0, 0, 0]);
    const sample: Sample = { domain: "lab", index: 0, image: new Float32Array(64 * 64 * 3), width: 64, height: 64, camera: cam, people: [person] };
    const s = 32 / 64, [x0, y0, x1, y1] = person.box;
    for (const anchorY of [0.5, 0.2]) {
      const geom = { inputSize: 32, grid: 4, stride: 8, anchorY };
      const batch = buildBatch([sample], geom, DEFAULT_LOSS);
      const cell = batch.cell.dataSync()[0], box = batch.box.dataSync().slice(0, 4);
      const jx = cell % 4, jy = Math.floor(cell / 4);
      // The offset channels hold the anchor minus the cell's corner, in cells.
      assert.ok(Math.abs((jx + box[0]) * 8 - ((x0 + x1) / 2) * s) < 1e-4, `anchor x at ${anchorY}`);
      assert.ok(Math.abs((jy + box[1]) * 8 - (y0 + anchorY * (y1 - y0)) * s) < 1e-4, `anchor y at ${anchorY}`);
      // The heat is exactly 1 at the stride-4 cell holding the anchor (packed: channel sy * 2 + sx of cell (jx, jy)).
      const heat = batch.heat.dataSync();
      const hx = Math.floor(((x0 + x1) / 2) * s / 4), hy = Math.floor((y0 + anchorY * (y1 - y0)) * s / 4);
      const at = (Math.floor(hy / HEAT_SUB) * 4 + Math.floor(hx / HEAT_SUB)) * 4 + (hy % HEAT_SUB) * HEAT_SUB + (hx % HEAT_SUB);
      assert.equal(heat[at], 1, `heat peak at the anchor's cell for ${anchorY}`);
      // Maps holding that row decode to the label's box.
      const m = new Float32Array(16 * MAP_CHANNELS);
      for (let c = 0; c < 16; c++) m.fill(-10, c * MAP_CHANNELS + MAP.heat[0], c * MAP_CHANNELS + MAP.heat[0] + MAP.heat[1]);
      m[cell * MAP_CHANNELS + MAP.heat[0]] = 4;
      m.set(box, cell * MAP_CHANNELS + MAP.boxOffset[0]);
      const t = tf.tensor4d(m, [1, 4, 4, MAP_CHANNELS]);
      const [[q]] = decodeMaps(t, [cam], geom, { boxCentre: "regressed", pose: "direct" });
      t.dispose();
      disposeBatch(batch);
      q.box.forEach((v, i) => assert.ok(Math.abs(v - person.box[i]) < 1e-3, `anchor ${anchorY}: box[${i}] ${v} vs ${person.box[i]}`));
    }
  });
});
