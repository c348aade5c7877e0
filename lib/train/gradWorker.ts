/**
 * The worker side of lib/train/parallel.ts: loads the model topology once, then answers each
 * (weights, batch) message with that batch's gradients and loss terms.
 */
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../core/backend";
import { LOSS_NAMES, computeLosses, type LossConfig } from "./losses";
import { deserialiseBatch, type SerialBatch } from "./parallel";
import { disposeBatch } from "./targets";

const { modelTopology, loss } = workerData as { modelTopology: string; loss: LossConfig };

const ready = (async () => {
  await initBackend({ quiet: true });
  const model = await tf.models.modelFromJSON(JSON.parse(modelTopology));
  return { model, vars: model.trainableWeights.map((w) => w.read() as tf.Variable) };
})();

parentPort!.on("message", async (m: { weights: Float32Array[]; batch: SerialBatch }) => {
  try {
    const { model, vars } = await ready;
    const ws = m.weights.map((d, i) => tf.tensor(d, model.weights[i].shape as number[]));
    model.setWeights(ws);
    tf.dispose(ws);
    const batch = deserialiseBatch(m.batch);
    const kept: tf.Tensor[] = [];
    try {
      const { value, grads } = tf.variableGrads(() => {
        const maps = model.apply(batch.images, { training: true }) as tf.Tensor;
        const L = computeLosses(maps, batch, loss);
        kept.push(tf.keep(tf.stack(LOSS_NAMES.map((k) => L.terms[k]))));
        return L.total;
      }, vars);
      const ordered = vars.map((v) => grads[v.name]);
      const result = { grads: ordered.map((g) => g.dataSync() as Float32Array), terms: kept[0].dataSync() as Float32Array, total: value.dataSync()[0] };
      tf.dispose([value, ...ordered]);
      parentPort!.postMessage({ ok: true, result });
    } finally {
      tf.dispose(kept);
      disposeBatch(batch);
    }
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
