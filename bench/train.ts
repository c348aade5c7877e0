/**
 * Training and inference speed of the regressor, and peak memory. Run by hand:
 * `node dist/bench/train.js [steps]`; prints a markdown table for bench/RESULTS.md.
 *
 * - training: the real loop (`train`: sampling, augmentation, targets, forward, losses with the body
 *   model, backward, clipping, Adam), DEFAULT_PRETRAIN's batch, at the default input (128) and at 96;
 *   images/s is the median over the steps after 2 warm-up steps. Samples are the test fixture's
 *   rectangles, made in ~0.1 ms: the world's renderer adds its own cost (bench/render.ts).
 * - inference: `predict` (resize, forward, peak finding, body model, decoding to PersonLabels),
 *   latency per image at batch 1 and throughput at batch 32, one pass and with the flip test (default).
 * - memory: peak process RSS sampled after every step and call, and tfjs' own tensor bytes.
 */
import * as tf from "@tensorflow/tfjs";
import { cpus } from "node:os";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initBackend } from "../lib/core/backend";
import { Rng } from "../lib/core/rng";
import { predict } from "../lib/model/decode";
import { DEFAULT_MODEL, buildRegressor, modelStats } from "../lib/model/regressor";
import { DEFAULT_LOSS } from "../lib/train/losses";
import { DEFAULT_PRETRAIN, readLossCsv, train } from "../lib/train/loop";
import { fakeCamera, fakeSample, fakeSource } from "../test/train/fixtures";

let peakRss = 0, peakTfBytes = 0;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  peakTfBytes = Math.max(peakTfBytes, tf.memory().numBytes);
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b: number) => (b / 2 ** 20).toFixed(0);

async function main(): Promise<void> {
  const info = await initBackend({ quiet: true });
  const steps = Number(process.argv[2] ?? 12);
  const dir = mkdtempSync(join(tmpdir(), "wb-bench-train-"));
  const rows: string[] = [];
  const src = fakeSource("bench/train", 512, { size: 128, people: [1, 4] });
  try {
    for (const inputSize of [DEFAULT_MODEL.inputSize, 96]) {
      const cfg = { ...DEFAULT_MODEL, inputSize };
      const model = buildRegressor(cfg, 0);
      const st = modelStats(model);
      // Training with 1 thread and with DEFAULT_PRETRAIN's worker threads (data parallel, lib/train/parallel.ts).
      const speed: string[] = [];
      for (const workers of [...new Set([1, DEFAULT_PRETRAIN.workers])]) {
        const runDir = join(dir, `s${inputSize}w${workers}`);
        await train({
          model, sources: [{ source: src, weight: 1 }], runDir, seed: 0, plot: "none", quiet: true, onStep: sample,
          cfg: { train: { ...DEFAULT_PRETRAIN, epochs: 1, stepsPerEpoch: steps, maxMinutes: 0, workers }, loss: DEFAULT_LOSS },
        });
        const log = readLossCsv(join(runDir, "losses.csv")).slice(2);
        speed.push(`${median(log.map((r) => r.imagesPerSec)).toFixed(1)} (${median(log.map((r) => r.stepMs)).toFixed(0)} / ${median(log.map((r) => r.dataMs)).toFixed(0)})`);
      }
      // Inference on 128 px world-sized images (resized to the model's input inside predict).
      const rng = new Rng("bench/infer");
      const imgs = Array.from({ length: 32 }, () => fakeSample(rng, { size: 128, people: [1, 4] }).image);
      const cams = imgs.map(() => fakeCamera(128));
      // One pass and the flip test (the decoder's default: two forward passes, lib/model/decode.ts).
      const infer: string[] = [];
      for (const flipTest of [false, true]) {
        const one = (i: number) => predict(model, [imgs[i % 32]], [cams[i % 32]], { scoreThreshold: 0.3, flipTest });
        for (let i = 0; i < 3; i++) one(i);
        const lat = median(Array.from({ length: 20 }, (_, i) => {
          const t0 = performance.now();
          one(i);
          sample();
          return performance.now() - t0;
        }));
        predict(model, imgs, cams, { batchSize: 32, flipTest });
        const thr = median(Array.from({ length: 5 }, () => {
          const t0 = performance.now();
          predict(model, imgs, cams, { batchSize: 32, scoreThreshold: 0.3, flipTest });
          sample();
          return performance.now() - t0;
        }));
        infer.push(`${lat.toFixed(1)} | ${((32 * 1000) / thr).toFixed(1)}`);
      }
      rows.push(`| ${inputSize} | ${st.params} | ${(st.flopsPerImage / 1e9).toFixed(3)} | ${DEFAULT_PRETRAIN.batchSize} | ${speed.join(" | ")} | ${infer.join(" | ")} | ${mb(peakRss)} | ${mb(peakTfBytes)} |`);
      model.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`Regressor (DEFAULT_MODEL, lib/model/regressor.ts), backend ${info.name} (SIMD ${info.simd}, ${info.threads} thread, native convs ${info.native ?? "-"}), ` +
    `tfjs ${info.tfjsVersion}, Node ${process.version}, ${cpus()[0].model} x${cpus().length}. Training: ${steps} steps of the real loop, median after 2; ` +
    `inference: predict() on 128 px images incl. resize and decoding, median of 20 (batch 1) / 5 (batch 32). Peaks are cumulative over the rows.\n`);
  console.log(`| input | params | GFLOP/img | batch | train img/s, 1 thread (step / data ms) | train img/s, ${DEFAULT_PRETRAIN.workers} threads (step / data ms) | infer ms/img, batch 1, one pass | img/s, batch 32, one pass | infer ms/img, batch 1, flip test | img/s, batch 32, flip test | peak RSS MB | live tf MB after a step |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
  rows.forEach((r) => console.log(r));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
