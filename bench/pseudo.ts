/**
 * Throughput of the pseudo-label pass with the confident filter's jittered copies (issue 5): every
 * street image goes through the shipped checkpoint with its K copies, (K + 1) forward passes per
 * image. Run by hand: `node dist/bench/pseudo.js [images=500] [K=8]`; prints a markdown table for
 * bench/RESULTS.md. The bar: the default 5000-image run in at most 10 minutes.
 *
 * Rows: the whole pass (`pseudoLabelPass`: rendering, jitter, forward, decoding, spreads, truth
 * matching) at batch sizes 4, 8 (default) and 16 originals; and its parts on one batch of 8
 * originals: the jitter (fused per-pixel, and the op-by-op tensor reference), the forward pass of
 * the 72 images, the decoding.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/core/backend";
import { Rng } from "../lib/core/rng";
import { resolveConfig } from "../lib/config";
import { domainDataset } from "../lib/data/datasets";
import { decodeMaps } from "../lib/model/decode";
import { imagesTensor, modelGeometry } from "../lib/model/regressor";
import { applyJitter, applyJitterOps, drawJitterParams } from "../lib/semi/jitter";
import { pseudoLabelPass } from "../lib/semi/pseudo";
import { loadPretrained } from "../lib/stages/pretrain";

const time = (fn: () => void, reps = 3) => {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
};

async function main(): Promise<void> {
  const info = await initBackend({ quiet: true });
  const n = Number(process.argv[2] ?? 500), K = Number(process.argv[3] ?? 8);
  const cfg = resolveConfig({ quick: false });
  const { model } = await loadPretrained();
  const street = domainDataset("street", cfg, cfg.seed);
  console.log(`backend ${info.name}; ${n} street images, K = ${K}, ${cfg.world.imageSize} px, shipped checkpoint\n`);
  console.log("| what | batch (originals) | seconds | images/s | 5000 images, min |");
  console.log("|---|---:|---:|---:|---:|");
  for (const bs of [4, 8, 16]) {
    const t0 = performance.now();
    const recs = pseudoLabelPass(model, street, { K, jitter: cfg.filter.jitter, scoreThreshold: 0.5, minIou: 0.3, batchSize: bs, seed: 0, provenance: "bench", limit: n, quiet: true });
    const s = (performance.now() - t0) / 1000;
    console.log(`| pseudo labels + ${K} copies, whole pass | ${bs} | ${s.toFixed(1)} | ${(recs.length / s).toFixed(1)} | ${((5000 / (recs.length / s)) / 60).toFixed(1)} |`);
  }
  const samples = Array.from({ length: 8 }, (_, i) => street.get(i));
  const x = imagesTensor(samples, 128);
  const tiled = tf.gather(x, tf.tensor1d(samples.flatMap((_, b) => new Array(K).fill(b)), "int32")) as tf.Tensor4D;
  const params = samples.flatMap((s) => drawJitterParams(new Rng(`0/jitter/${s.index}`), K, cfg.filter.jitter));
  const fused = time(() => applyJitter(tiled, params).dispose());
  const ops = time(() => applyJitterOps(tiled, params).dispose());
  const all = tf.concat([x, tiled]);
  const fwd = time(() => (model.predict(all) as tf.Tensor).dispose());
  const maps = model.predict(all) as tf.Tensor4D;
  const dec = time(() => decodeMaps(maps, new Array(8 * (K + 1)).fill(samples[0].camera), modelGeometry(model), { scoreThreshold: 0.5 }));
  console.log(`\nParts, one batch of 8 originals + ${8 * K} copies (min of 3):\n`);
  console.log("| part | ms |\n|---|---:|");
  console.log(`| jitter, fused per-pixel (used) | ${fused.toFixed(0)} |`);
  console.log(`| jitter, op-by-op tensor reference | ${ops.toFixed(0)} |`);
  console.log(`| forward, ${8 * (K + 1)} images | ${fwd.toFixed(0)} |`);
  console.log(`| decode, ${8 * (K + 1)} images | ${dec.toFixed(0)} |`);
  tf.dispose([x, tiled, all, maps]);
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
