/**
 * Draws of a pretraining recipe on one test set: each checkpoint's quality-bar figures (issue 4) on the
 * same studio test set, then their mean, standard deviation and range. Embedded synthetic world, not
 * Panoptic numbers. Run by hand; rows go into docs/model-notes.md (section 30):
 *
 *   node dist/bench/draws.js [--test-seed N] [--ensemble] DIR[=LABEL] DIR[=LABEL] ...
 *
 * DIR is a checkpoint folder (data/checkpoints/pretrained) or a pretraining run folder
 * (results/pretrain/<hash>, whose checkpoint/ is read). Why this exists: two runs of one recipe differ
 * by as much as most recipe changes do (docs/model-notes.md sections 16 and 29), and `--set seed=K`
 * also redraws the studio test set that the stage evaluates on (`evaluateOnStudio(.., cfg.seed)`), so
 * draws made with different seeds must be scored here, on one test set (default seed 0, the shipped
 * checkpoint's), before they can be compared or averaged.
 *
 * `--ensemble` adds one row for all the listed checkpoints at once: their output maps averaged before
 * decoding (they must share the map layout). Not a workbench model (the later stages finetune one
 * network); it says how much of the spread between draws averaging removes.
 */
import * as tf from "@tensorflow/tfjs";
import * as aq from "arquero";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { readJson } from "../lib/core/io";
import { MAP_CHANNELS, modelGeometry } from "../lib/model/regressor";
import { evaluateOnStudio, type StudioEvaluation } from "../lib/stages/evaluate";
import { barFigures } from "../lib/stages/pretrain";

interface DrawRow {
  draw: string;
  steps: number;
  minutes: number;
  recall: number;
  precision: number;
  mpjpeFk: number;
  mpjpeDirect: number;
  paFk: number;
  paDirect: number;
  allRecall: number;
  allMpjpeFk: number;
}

/** The bar figures of one model from its two evaluations (FK and direct 3D). */
function figures(fk: StudioEvaluation, direct: StudioEvaluation): Omit<DrawRow, "draw" | "steps" | "minutes"> {
  const tall = barFigures(fk, "tall"), all = barFigures(fk, "all"), tallDirect = barFigures(direct, "tall");
  return {
    recall: tall.recall,
    precision: tall.precision,
    mpjpeFk: tall.mpjpeRatio,
    mpjpeDirect: tallDirect.mpjpeRatio,
    paFk: tall.paRatio,
    paDirect: tallDirect.paRatio,
    allRecall: all.recall,
    allMpjpeFk: all.mpjpeRatio,
  };
}

/** Several models as one: the mean of their output maps (first MAP_CHANNELS channels; partner rows dropped). */
function mapMean(models: tf.LayersModel[]): tf.LayersModel {
  const first = models[0], G = modelGeometry(first).grid;
  const facade = {
    inputs: first.inputs,
    outputs: [{ shape: [null, G, G, MAP_CHANNELS] }],
    getUserDefinedMetadata: () => first.getUserDefinedMetadata(),
    predict: (x: tf.Tensor) =>
      tf.tidy(() => tf.addN(models.map((m) => (m.predict(x) as tf.Tensor4D).slice([0, 0, 0, 0], [-1, -1, -1, MAP_CHANNELS]))).div(models.length)),
  };
  return facade as unknown as tf.LayersModel;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ti = args.indexOf("--test-seed");
  const testSeed = ti >= 0 ? Number(args[ti + 1]) : 0;
  if (!Number.isInteger(testSeed)) throw new Error(`draws: --test-seed must be an integer, got ${args[ti + 1]}`);
  const ensemble = args.includes("--ensemble");
  const specs = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--test-seed");
  if (!specs.length) throw new Error("usage: node dist/bench/draws.js [--test-seed N] [--ensemble] DIR[=LABEL] ...");
  await initBackend({ quiet: true });
  const cfg = resolveConfig({ quick: false, argv: [] });
  const evaluate = (m: tf.LayersModel) => [evaluateOnStudio(m, cfg, testSeed, { pose: "fk", quiet: true }).evaluation, evaluateOnStudio(m, cfg, testSeed, { pose: "direct", quiet: true }).evaluation] as const;
  const rows: DrawRow[] = [];
  const models: tf.LayersModel[] = [];
  for (const spec of specs) {
    const [path, label] = spec.split("=");
    const dir = existsSync(join(path, "checkpoint", "model.json")) ? join(path, "checkpoint") : path;
    const { model } = await loadCheckpoint(dir, { check: modelGeometry });
    const meta = readJson<{ step?: number; trainSeconds?: number }>(join(dir, "meta.json"));
    const [fk, direct] = evaluate(model);
    rows.push({ draw: label ?? path, steps: meta.step ?? NaN, minutes: (meta.trainSeconds ?? NaN) / 60, ...figures(fk, direct) });
    console.error(`draws: ${label ?? path} done`);
    if (ensemble) models.push(model);
    else model.dispose();
  }
  const keys = ["recall", "precision", "mpjpeFk", "mpjpeDirect", "paFk", "paDirect", "allRecall", "allMpjpeFk"] as const;
  const t = aq.from(rows);
  const stats = (op: string) => t.rollup(Object.fromEntries(keys.map((k) => [k, `d => op.${op}(d.${k})`]))).object() as Record<string, number>;
  const [mean, sd, lo, hi] = ["mean", "stdev", "min", "max"].map(stats);
  const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "-");
  const line = (name: string, steps: string, min: string, v: (k: (typeof keys)[number]) => string) => `| ${name} | ${steps} | ${min} | ${keys.map(v).join(" | ")} |`;
  const out = [
    `Studio test set of the embedded synthetic world (seed ${testSeed}; CMU Panoptic stand-in, not Panoptic numbers), crmh protocol, score 0.5, flip test.`,
    "Ratios are to the mean-pose baseline on the same detections; bars (issue 4): recall, precision >= 0.9, MPJPE ratio <= 0.75, PA ratio <= 0.65 (people >= 30 px tall).",
    "",
    "| draw | steps | train min | recall | precision | MPJPE ratio fk | MPJPE ratio direct | PA ratio fk | PA ratio direct | all people: recall | all people: MPJPE ratio fk |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map((r) => line(r.draw, String(r.steps), r.minutes.toFixed(1), (k) => f3(r[k]))),
    line(`**mean ± sd over ${rows.length}**`, "", "", (k) => `${f3(mean[k])} ± ${f3(sd[k])}`),
    line("range", "", "", (k) => `${f3(lo[k])} - ${f3(hi[k])}`),
  ];
  if (ensemble && models.length > 1) {
    const [fk, direct] = evaluate(mapMean(models));
    const e = figures(fk, direct);
    out.push(line(`all ${models.length} as one (maps averaged)`, "", "", (k) => f3(e[k])));
    models.forEach((m) => m.dispose());
  }
  console.log(out.join("\n"));
}

main().catch((e: Error) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
