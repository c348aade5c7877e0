import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from "../../lib/core/checkpoint";
import { atomicWriteDir, atomicWrite } from "../../lib/core/io";
import { DEFAULTS } from "../../lib/config";
import { initBackend } from "../../lib/core/backend";

function tinyConvNet(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 4, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }));
  m.add(tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: "same" }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3 }));
  return m;
}

describe("core/checkpoint", () => {
  let dir: string;
  before(async () => {
    await initBackend({ quiet: true });
    dir = mkdtempSync(join(tmpdir(), "wb-ckpt-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("round-trips a LayersModel with bit-identical predictions, config and meta", async () => {
    const model = tinyConvNet();
    const x = tf.randomUniform([2, 12, 12, 3], 0, 1, "float32", 3);
    const before = (model.predict(x) as tf.Tensor).dataSync().slice();
    const ck = join(dir, "ck");
    await saveCheckpoint(model, ck, { config: DEFAULTS, step: 17, metrics: { loss: 0.5 } });
    assert.deepEqual(readdirSync(ck).sort(), ["config.json", "meta.json", "model.json", "weights.bin"]);
    const { model: loaded, meta, config } = await loadCheckpoint(ck);
    const after = (loaded.predict(x) as tf.Tensor).dataSync();
    assert.deepEqual(Buffer.from(after.buffer), Buffer.from(before.buffer), "predictions must be bit-identical");
    assert.equal(meta.step, 17);
    assert.equal(meta.metrics!.loss, 0.5);
    assert.ok(meta.codeVersion.length > 0);
    assert.deepEqual(config, DEFAULTS);
    tf.dispose([x, model.predict(x) as tf.Tensor]);
    model.dispose();
    loaded.dispose();
  });

  it("a failed save leaves the previous checkpoint intact", async () => {
    const ck = join(dir, "ck2");
    const model = tinyConvNet();
    await saveCheckpoint(model, ck, { step: 1 });
    const bytes = readFileSync(join(ck, "weights.bin"));
    assert.throws(() => atomicWriteDir(ck, (tmp) => {
      writeFileSync(join(tmp, "model.json"), "{");
      throw new Error("interrupted");
    }), /interrupted/);
    assert.ok(hasCheckpoint(ck));
    assert.deepEqual(readFileSync(join(ck, "weights.bin")), bytes);
    assert.equal(readdirSync(dir).filter((n) => n.includes(".tmp")).length, 0, "temporary folders are cleaned up");
    model.dispose();
  });

  it("names the file and the field on a broken checkpoint", async () => {
    const ck = join(dir, "bad");
    atomicWrite(join(ck, "model.json"), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ["weights.bin"], weights: [{ name: "w", shape: [4], dtype: "float32" }] }] }));
    atomicWrite(join(ck, "weights.bin"), new Uint8Array(8));
    await assert.rejects(loadCheckpoint(ck), /weights\.bin: 8 bytes, but model\.json's weightsManifest needs 16/);
    atomicWrite(join(ck, "model.json"), "{not json");
    await assert.rejects(loadCheckpoint(ck), /model\.json: invalid JSON/);
    assert.ok(!existsSync(join(dir, "nope", "model.json")));
    await assert.rejects(loadCheckpoint(join(dir, "nope")), /not a checkpoint/);
  });
});
