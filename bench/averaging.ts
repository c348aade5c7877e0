/**
 * Weight averaging of a pretraining run (train.emaDecay, lib/train/ema.ts): the raw final weights, the
 * exponential moving average, and optionally uniform averages of the raw weights of the last k epoch
 * checkpoints (SWA-style), scored on the same run so that no draw noise enters the comparison.
 * Embedded synthetic world, not Panoptic numbers. Run by hand, after a run with `pretrain.emaDecay` > 0:
 *
 *   node dist/bench/averaging.js RUN_CHECKPOINT_DIR [SNAPSHOT_DIR K1,K2,..] [HELD_OUT_IMAGES=600]
 *
 * SNAPSHOT_DIR holds one copy of the run's checkpoint/ per epoch, in folders named by step (a copy
 * loop beside the run makes them; the loop itself keeps only the last). For each candidate:
 * - held out: 600 pretrain-domain images never trained on (dataset seed 7): recall and MPJPE of the
 *   people >= 30 px (one-to-one pairs, bench/matched.ts), precision over all predictions. Pick here;
 * - the studio test set: the quality table (both 3D heads), as the shipped checkpoint's README.
 */
import * as tf from "@tensorflow/tfjs";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../lib/core/backend";
import { decodeTensors, loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { domainDataset } from "../lib/data/datasets";
import { matchBoxes } from "../lib/eval/detection";
import { mpjpe, paMpjpe } from "../lib/eval/metrics";
import { MIN_HEIGHT_PX, evaluateOnStudio, predictSource } from "../lib/stages/evaluate";
import { qualityTable } from "../lib/stages/pretrain";
import { matchedPairs } from "./matched";

const mean = (xs: number[]) => xs.reduce((a, c) => a + c, 0) / xs.length;

const rawWeights = (dir: string): tf.Tensor[] => decodeTensors(readFileSync(join(dir, "train-weights.json"), "utf8"), readFileSync(join(dir, "train-weights.bin")));

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const [ck, snapDir, ks, nArg] = process.argv.slice(2);
  if (!ck) throw new Error("usage: averaging.js RUN_CHECKPOINT_DIR [SNAPSHOT_DIR K1,K2,..] [HELD_OUT_IMAGES]");
  const { model } = await loadCheckpoint(ck);
  const cfg = resolveConfig({ quick: false, argv: [] });
  const candidates: { name: string; weights: () => tf.Tensor[] }[] = [
    { name: "raw final weights", weights: () => rawWeights(ck) },
    { name: "EMA (weights.bin)", weights: () => model.getWeights().map((w) => w.clone()) },
  ];
  if (snapDir) {
    const steps = readdirSync(snapDir).filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => a - b);
    for (const k of (ks ?? "4").split(",").map(Number)) {
      const last = steps.slice(-k);
      candidates.push({
        name: `uniform mean of the raw weights at steps ${last[0]}-${last[last.length - 1]} (${last.length} epochs)`,
        weights: () => {
          const all = last.map((s) => rawWeights(join(snapDir, String(s))));
          const out = all[0].map((_, i) => tf.tidy(() => tf.addN(all.map((ws) => ws[i])).div(all.length)));
          all.forEach((ws) => tf.dispose(ws));
          return out;
        },
      });
    }
  }
  const average = model.getWeights().map((w) => w.clone());
  const heldOut = domainDataset("pretrain", cfg, 7), n = Number(nArg ?? 600);
  console.log(`run ${ck}; held out: ${n} images of ${heldOut.name} (embedded synthetic world), people >= ${MIN_HEIGHT_PX} px, score 0.5, flip test`);
  const rows: string[] = [];
  const tables: string[] = [];
  for (const c of candidates) {
    const w = c.name.startsWith("EMA") ? average.map((t) => t.clone()) : c.weights();
    model.setWeights(w);
    tf.dispose(w);
    const frames = predictSource(model, heldOut, { quiet: true, pose: "fk", flipTest: true, limit: n });
    const pairs = matchedPairs(frames);
    const tall = frames.reduce((a, f) => a + f.gt.filter((g) => g.box[3] - g.box[1] >= MIN_HEIGHT_PX).length, 0);
    const matched = frames.reduce((a, f) => a + matchBoxes(f.gt.map((g) => g.box), f.pred.map((p) => p.box)).filter((m) => m >= 0).length, 0);
    const preds = frames.reduce((a, f) => a + f.pred.length, 0);
    const e = mean(pairs.map(({ gt, pred }) => 1000 * mpjpe(pred.joints3dRel, gt.joints3dRel)));
    const pa = mean(pairs.map(({ gt, pred }) => 1000 * paMpjpe(pred.joints3dRel, gt.joints3dRel)));
    rows.push(`| ${c.name} | ${(pairs.length / tall).toFixed(3)} | ${(matched / preds).toFixed(3)} | ${e.toFixed(1)} | ${pa.toFixed(1)} |`);
    const evs = (["fk", "direct"] as const).map((pose) => evaluateOnStudio(model, cfg, cfg.seed, { pose, quiet: true }).evaluation);
    tables.push(`### ${c.name}\n\n${qualityTable(evs)}`);
    console.log(`done: ${c.name}`);
  }
  tf.dispose(average);
  console.log("\n| weights | held-out recall | held-out precision | held-out MPJPE fk mm | held-out PA-MPJPE fk mm |\n|---|---:|---:|---:|---:|");
  console.log(rows.join("\n"));
  console.log("\n" + tables.join("\n\n"));
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
