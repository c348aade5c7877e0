/**
 * Pretraining from scratch on the embedded world's large labeled set: the analogue of CRMH's released
 * multi-dataset checkpoint ("github ckpt" in the report), which every later stage starts from.
 *
 * `npm run pretrain` trains into results/pretrain/<hash>/ (resumable: rerun the same command after an
 * interruption), evaluates the result on the studio test set next to the mean-pose baseline, and ships
 * the checkpoint with its config, training curve and metrics to data/checkpoints/pretrained/. Quick
 * mode runs the same path at a small size and never overwrites the shipped checkpoint; neither does
 * `--no-ship` (ablations and further draws of the recipe: compare them with bench/draws.ts).
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import type { Config } from "../config";
import { configHash } from "../core/config";
import { atomicWrite, atomicWriteDir, atomicWriteJson, codeVersion, readJson } from "../core/io";
import { paths } from "../core/paths";
import { hasCheckpoint, loadCheckpoint } from "../core/checkpoint";
import { getBackendInfo, initBackend } from "../core/backend";
import { domainDataset } from "../data/datasets";
import { buildRegressor, modelGeometry, modelStats } from "../model/regressor";
import { train, type TrainResult } from "../train/loop";
import { crmhOverall, evaluateOnStudio, type StudioEvaluation, type StudioScores } from "./evaluate";

/** Where the shipped checkpoint lives. */
export const PRETRAINED_DIR = join(paths.checkpoints, "pretrained");

/** The config keys that define a pretraining run (its cache key). */
function pretrainKey(cfg: Config) {
  return { world: cfg.world, model: cfg.model, pretrain: cfg.pretrain, loss: cfg.loss, seed: cfg.seed };
}

/** The quality-bar figures of one evaluation for one people group (crmh, all sequences); mm, ratios to the baseline's. */
export function barFigures(ev: StudioEvaluation, people: "all" | "tall") {
  const pick = (s: StudioScores[]) => s.find((x) => x.people === people)!;
  const m = pick(ev.model), b = pick(ev.baseline);
  const det = m.detection.find((d) => d.sequence === "all")!;
  const { mpjpe_mm: mpjpe, pa_mpjpe_mm: pa } = crmhOverall(m), { mpjpe_mm: baselineMpjpe, pa_mpjpe_mm: baselinePa } = crmhOverall(b);
  const torsoPa = ev.torsoReference ? crmhOverall(pick(ev.torsoReference)).pa_mpjpe_mm : NaN;
  return { recall: det.recall, precision: det.precision, mpjpe, baselineMpjpe, mpjpeRatio: mpjpe / baselineMpjpe, pa, baselinePa, paRatio: pa / baselinePa, torsoPa };
}

/** The issue's quality-bar figures, one row per (3D head, people group), for the note and the README. */
export function qualityTable(evs: readonly StudioEvaluation[]): string {
  const row = (ev: StudioEvaluation, people: "all" | "tall") => {
    const f = barFigures(ev, people);
    return `| ${ev.pose === "fk" ? "body model (FK)" : "direct 3D head"} | ${people === "tall" ? "people >= 30 px tall" : "all people"} | ${f.recall.toFixed(3)} | ${f.precision.toFixed(3)} | ${f.mpjpe.toFixed(1)} | ${f.baselineMpjpe.toFixed(1)} | ${f.mpjpeRatio.toFixed(3)} | ${f.pa.toFixed(1)} | ${f.baselinePa.toFixed(1)} | ${f.paRatio.toFixed(3)} | ${f.torsoPa.toFixed(1)} (${(f.torsoPa / f.baselinePa).toFixed(3)}) |`;
  };
  return [
    `Studio test set of the embedded synthetic world (CMU Panoptic stand-in; not Panoptic numbers), ${evs[0].frames} images, crmh protocol, score threshold 0.5.`,
    "",
    "| 3D output | people | recall | precision | MPJPE mm | baseline MPJPE | ratio | PA-MPJPE mm | baseline PA | ratio | no-image torso-frame mean PA (ratio) |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...evs.flatMap((ev) => [row(ev, "tall"), row(ev, "all")]),
    "",
    "Baseline: the training set's mean root-relative pose (camera coordinates) for every detected person. Bars (issue 4): recall and precision >= 0.9, MPJPE ratio <= 0.75, PA-MPJPE ratio <= 0.65, for people >= 30 px tall.",
    "Last column: the training set's mean pose in the torso frame (lib/body/orientation.ts) on the same detections, which sees no image; PA-MPJPE aligns the rotation, so a model must beat this column to show articulation learned from the pixels.",
  ].join("\n");
}

export interface PretrainResult {
  runDir: string;
  train: TrainResult;
  /** One per 3D head ("fk", "direct"). */
  evaluations: StudioEvaluation[];
  shippedTo: string | null;
}

/** Train (or resume) the pretraining run, evaluate it, and ship it (full mode only). */
export async function pretrainStage(cfg: Config, opts: { log?: (s: string) => void; ship?: boolean } = {}): Promise<PretrainResult> {
  const log = opts.log ?? console.log;
  await initBackend();
  const hash = configHash(pretrainKey(cfg));
  const runDir = join(paths.results, cfg.quick ? "pretrain-quick" : "pretrain", hash);
  atomicWriteJson(join(runDir, "config.json"), cfg);
  const model = buildRegressor(cfg.model, cfg.seed);
  const st = modelStats(model);
  log(`pretrain: ${st.params.toLocaleString()} parameters, ${(st.flopsPerImage / 1e9).toFixed(3)} GFLOP/image, run ${runDir}`);
  const t0 = Date.now();
  const res = await train({
    model,
    sources: [{ source: domainDataset("pretrain", cfg, cfg.seed), weight: 1 }],
    cfg: { train: cfg.pretrain, loss: cfg.loss },
    runDir,
    seed: `pretrain/${cfg.seed}`,
    config: cfg,
  });
  log(`pretrain: ${res.ranSteps} steps this call (${res.step}/${res.totalSteps} in all, stopped: ${res.stopped}) in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  const evaluations = (["fk", "direct"] as const).map((pose) => evaluateOnStudio(model, cfg, cfg.seed, { pose }).evaluation);
  atomicWriteJson(join(runDir, "metrics.json"), evaluations);
  const table = qualityTable(evaluations);
  writeFileSync(join(runDir, "metrics.md"), table + "\n");
  log(table);
  model.dispose();
  let shippedTo: string | null = null;
  if (!cfg.quick && opts.ship !== false) {
    shipCheckpoint(runDir, res, evaluations, table);
    shippedTo = PRETRAINED_DIR;
    log(`pretrain: shipped to ${PRETRAINED_DIR}`);
  } else if (!cfg.quick) log(`pretrain: not shipped (--no-ship); the checkpoint stays in ${res.checkpointDir}`);
  return { runDir, train: res, evaluations, shippedTo };
}

/**
 * Re-evaluate a checkpoint folder (default: the shipped one) on the studio set with both 3D heads,
 * and rewrite its metrics.json and the metrics section of its README.md.
 */
export async function reevaluateCheckpoint(cfg: Config, dir = PRETRAINED_DIR, log: (s: string) => void = console.log): Promise<StudioEvaluation[]> {
  await initBackend();
  const { model } = await loadPretrained(dir);
  const evaluations = (["fk", "direct"] as const).map((pose) => evaluateOnStudio(model, cfg, cfg.seed, { pose }).evaluation);
  model.dispose();
  const table = qualityTable(evaluations);
  atomicWriteJson(join(dir, "metrics.json"), evaluations.map(slimEvaluation));
  const readme = join(dir, "README.md");
  if (existsSync(readme)) {
    const head = readFileSync(readme, "utf8").split("## Test metrics")[0];
    atomicWrite(readme, `${head}## Test metrics\n\n${table}\n`);
  }
  log(table);
  return evaluations;
}

/** An evaluation without its per-person rows (those stay in results/, not in the shipped folder). */
function slimEvaluation(ev: StudioEvaluation) {
  const slim = (s: StudioScores) => ({ people: s.people, summary: s.summary, detection: s.detection });
  return { data: ev.data, pose: ev.pose, frames: ev.frames, model: ev.model.map(slim), baseline: ev.baseline.map(slim), torsoReference: ev.torsoReference?.map(slim), meanPoseSamples: ev.meanPoseSamples };
}

function shipCheckpoint(runDir: string, res: TrainResult, evaluations: StudioEvaluation[], table: string): void {
  const ck = res.checkpointDir;
  const meta = readJson<Record<string, unknown>>(join(ck, "meta.json"));
  const minutes = Number(meta.trainSeconds ?? 0) / 60;
  atomicWriteDir(PRETRAINED_DIR, (tmp) => {
    for (const f of ["model.json", "weights.bin", "config.json", "meta.json"]) copyFileSync(join(ck, f), join(tmp, f));
    for (const f of ["losses.csv", "losses.png"]) if (existsSync(join(runDir, f))) copyFileSync(join(runDir, f), join(tmp, f));
    writeFileSync(join(tmp, "metrics.json"), JSON.stringify(evaluations.map(slimEvaluation), null, 1) + "\n");
    writeFileSync(
      join(tmp, "README.md"),
      [
        "# The shipped pretrained checkpoint",
        "",
        "Trained from scratch on the `pretrain` domain of the embedded synthetic world (the analogue of CRMH's",
        "multi-dataset training), never on test motion (the held-out mocap segments drive only the studio).",
        "",
        "Reproduce it: `npm run pretrain` (exact config: `config.json`; the training curve: `losses.csv`, `losses.png`).",
        // The two conv paths sum in different orders, so a rerun matches these weights only on the same one.
        getBackendInfo()?.native?.startsWith("oneDNN")
          ? "It ran the oneDNN convolutions (lib/core/nativeConv.ts); a rerun matches these weights bit for bit on them, not on the wasm kernels."
          : "It ran the wasm convolution kernels; where the oneDNN addon is built, `WB_NATIVE=0 npm run pretrain` selects them, and only they give these weights bit for bit.",
        "",
        `- code version: ${codeVersion()}; backend: ${getBackendInfo()?.name ?? "?"}${getBackendInfo()?.native ? ` (native convs ${getBackendInfo()!.native})` : ""}`,
        `- steps: ${res.step} of ${res.totalSteps} (${res.stopped === "time" ? "stopped at the time budget" : "all epochs"}); training time ${minutes.toFixed(1)} min on this 2-core machine`,
        ...(meta.emaDecay ? [`- weights.bin is the exponential moving average of the training weights (decay ${meta.emaDecay}, lib/train/ema.ts); the raw weights stay in the run's checkpoint/train-weights.bin`] : []),
        "",
        "## Test metrics",
        "",
        table,
        "",
      ].join("\n"),
    );
  });
}

/** Load the shipped pretrained checkpoint (the start of every finetune). */
export async function loadPretrained(dir = PRETRAINED_DIR): Promise<{ model: tf.LayersModel; config: Config }> {
  if (!hasCheckpoint(dir)) throw new Error(`${dir}: no pretrained checkpoint; run \`npm run pretrain\` to make one`);
  const { model, config } = await loadCheckpoint<Config>(dir, { check: modelGeometry });
  return { model, config: config! };
}
