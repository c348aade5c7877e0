/**
 * The only training loop: pretraining and every finetuning stage call `train`. It mixes weighted
 * datasets (sampler.ts), augments (flip + colour noise), builds targets, takes a clipped Adam/RAdam
 * step under a warm-up + schedule learning rate, and keeps the run's files in `runDir`:
 *
 *   losses.csv     one row per step (rewritten atomically at each epoch end, and every 30 s)
 *   losses.html/png  the loss curves (lib/report/display.ts)
 *   checkpoint/    model + optimizer state + step, swapped in atomically at each epoch end
 *
 * Interrupted runs resume from `checkpoint/` at its step with the same data order: batch t and its
 * augmentation are pure functions of (seed, t), and the optimizer's state is saved with the model,
 * so a resumed run reproduces an uninterrupted one exactly. A NaN or Inf loss stops the run with a
 * `NonFiniteLossError` naming the term and the step, before the update, leaving the last good
 * checkpoint untouched.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeTensors, encodeTensors, hasCheckpoint, loadCheckpoint, saveCheckpoint } from "../core/checkpoint";
import { convKernels } from "../core/backend";
import { atomicWrite, codeVersion } from "../core/io";
import { progress } from "../core/progress";
import { Rng } from "../core/rng";
import { modelGeometry } from "../model/regressor";
import { renderPng, savePlotHtml } from "../report/display";
import { LOSS_NAMES, computeLosses, type LossConfig, type LossName } from "./losses";
import { AdamFamily, clipByGlobalNorm, learningRate, optimizerFiles, restoreOptimizer, type OptimizerConfig, type ScheduleConfig } from "./optim";
import { MixSampler, type WeightedSource } from "./sampler";
import { augmentSample, buildBatch, disposeBatch, type AugmentConfig, type Batch } from "./targets";
import { WeightAverage } from "./ema";
import { GradWorker, serialiseBatch, splitSizes, type PartResult } from "./parallel";

export interface TrainConfig extends OptimizerConfig, ScheduleConfig, AugmentConfig {
  batchSize: number;
  epochs: number;
  /** Steps per epoch (checkpoint interval); 0 = the mixed sources' total size / batch size, rounded up. */
  stepsPerEpoch: number;
  /** Clip the gradients' global L2 norm to this (upstream 35; 0 = off). */
  gradClip: number;
  /** Stop (with a checkpoint) once the run's cumulative training time passes this; 0 = no limit. */
  maxMinutes: number;
  /**
   * Gradient parts per step: 1 = the main thread only; k > 1 = the main thread plus k-1 worker
   * threads, each on a contiguous part of the batch (lib/train/parallel.ts). wasm uses one core, so
   * 2 uses both cores of this machine.
   */
  workers: number;
  /**
   * Decay of an exponential moving average of the weights (lib/train/ema.ts); 0 = off. When on, the
   * model the run returns and its checkpoint's weights.bin are the average, and the raw weights the
   * run continues from are kept next to them in train-weights.json/.bin.
   */
  emaDecay: number;
}

/**
 * Finetuning, as upstream (METHOD.md section 1): RAdam lr 1e-5, weight decay 1e-4, clip 35, batch 4,
 * linear warm-up 50 steps, flip 0.5, colour noise U[0.6, 1.4], 5 epochs, constant rate after warm-up.
 * Upstream finetunes a large pretrained model with losses on another scale; the embedded world's
 * small model may want a larger rate (an override, recorded in the run's config).
 */
export const DEFAULT_TRAIN: TrainConfig = {
  optimizer: "radam",
  lr: 1e-5,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 1e-4,
  rectifyThreshold: 5,
  warmupSteps: 50,
  warmupRatio: 1 / 3,
  schedule: "constant",
  minLrFactor: 0.05,
  lrStepEpochs: [],
  lrStepGamma: 0.1,
  flipProb: 0.5,
  colourNoise: [0.6, 1.4],
  zoomProb: 0,
  zoomMax: 1.5,
  zoomBelowPx: 0,
  batchSize: 4,
  epochs: 5,
  stepsPerEpoch: 0,
  gradClip: 35,
  maxMinutes: 0,
  workers: 1,
  emaDecay: 0,
};

/**
 * Pretraining from scratch on the world (the "github ckpt" analogue): Adam at 3e-3 (better than 1e-3
 * in 600-step probes, docs/model-notes.md) with cosine decay, and the 60-minute budget as the stop.
 * Batch 32 for 6,250 steps (200,000 images), since session 31: over three draws each it beat batch 16 for
 * 7,500 steps on every test figure's mean (recall 0.813 against 0.787, MPJPE ratio 0.761 against 0.780;
 * docs/model-notes.md section 30). It took 33.0 min (session 31) and 38.5 min (session 29, other work beside it) with the oneDNN convs (lib/core/nativeConv.ts); on the
 * wasm convs alone (~35 images/s) it would need ~95 min, so the budget stops it near step 4,000 and the
 * loop warns after 100 steps (`budgetWarning`). There, `--set pretrain.batchSize=16 --set
 * pretrain.epochs=30` is the session 17 recipe, which fits in 53-60 min.
 */
export const DEFAULT_PRETRAIN: TrainConfig = {
  ...DEFAULT_TRAIN,
  optimizer: "adam",
  lr: 3e-3,
  weightDecay: 0,
  warmupSteps: 100,
  schedule: "cosine",
  batchSize: 32,
  epochs: 25,
  stepsPerEpoch: 250,
  maxMinutes: 60,
  workers: 2,
};

/** The config sections the loop reads (a full experiment Config has them). */
export interface TrainSetup {
  train: TrainConfig;
  loss: LossConfig;
}

/** One row of losses.csv. */
export interface LossRow extends Record<LossName, number> {
  /** Updates done, this one included (1-based). */
  step: number;
  /** 0-based epoch of this step. */
  epoch: number;
  lr: number;
  total: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** People in the batch. */
  people: number;
  /** Wall time of the step: data (sampling, augmentation, targets) and the update. */
  dataMs: number;
  stepMs: number;
  imagesPerSec: number;
}
/** losses.csv is also rewritten this often within an epoch (rows past the checkpoint are dropped at resume). */
const CSV_FLUSH_MS = 30_000;
export const CSV_COLUMNS = ["step", "epoch", "lr", ...LOSS_NAMES, "total", "gradNorm", "people", "dataMs", "stepMs", "imagesPerSec"] as const;

/** A NaN or Inf loss (or gradient norm): the run stopped before applying it. */
export class NonFiniteLossError extends Error {
  constructor(readonly step: number, readonly loss: string, readonly value: number, readonly checkpointStep: number | null, checkpointDir: string) {
    super(
      `training stopped: loss '${loss}' is ${value} at step ${step}; ` +
        (checkpointStep === null ? `no checkpoint had been saved yet (${checkpointDir})` : `the last good checkpoint (step ${checkpointStep}) is kept in ${checkpointDir}`),
    );
    this.name = "NonFiniteLossError";
  }
}

/**
 * The first (name, value) pair that is NaN or Inf, or null. The loop checks the terms, then the total,
 * then the gradient norm (a NaN input can leave every loss finite, when ReLUs turn it to 0, and still
 * poison the gradients).
 */
export function firstNonFinite(values: readonly (readonly [string, number])[]): readonly [string, number] | null {
  return values.find(([, v]) => !Number.isFinite(v)) ?? null;
}

/** Steps of a call after which the loop projects the run's time against `maxMinutes` (past warm-up and first-call costs). */
export const BUDGET_CHECK_STEPS = 100;

/**
 * The warning to give when, at the speed measured so far in this call, the remaining steps would run past
 * the time budget, or null. The schedule does not shorten to fit, so such a run stops with its learning
 * rate above the floor: a different (usually worse) model than the recipe's, which a user should hear
 * about after minutes, not find in the checkpoint's README an hour later.
 */
export function budgetWarning(p: { step: number; totalSteps: number; trainSeconds: number; secondsPerStep: number; maxMinutes: number }): string | null {
  if (p.maxMinutes <= 0 || p.step >= p.totalSteps) return null;
  const budget = p.maxMinutes * 60, need = p.trainSeconds + (p.totalSteps - p.step) * p.secondsPerStep;
  if (need <= budget) return null;
  const stopAt = Math.min(p.totalSteps, p.step + Math.floor((budget - p.trainSeconds) / p.secondsPerStep));
  return `at ${(p.secondsPerStep * 1000).toFixed(0)} ms per step the ${p.totalSteps} steps need about ${(need / 60).toFixed(0)} min, over maxMinutes (${p.maxMinutes}): the run will stop near step ${stopAt} with the learning-rate schedule unfinished. Faster convs (the oneDNN addon, README) or fewer steps or images (epochs, batchSize) fit the budget.`;
}

export interface TrainOptions {
  model: tf.LayersModel;
  sources: WeightedSource[];
  cfg: TrainSetup;
  runDir: string;
  /** Seeds the data order and the augmentation (model init is the caller's). */
  seed: number | string;
  /** Called after every step with its row. Throwing from it aborts the run (as a crash would). */
  onStep?: (row: LossRow) => void;
  /** The resolved experiment config to save in checkpoints (default `cfg`). */
  config?: unknown;
  /** Loss plot: at the end (default), at every checkpoint, or never. Needs chromium for the PNG. */
  plot?: "end" | "epoch" | "none";
  /** No progress output. */
  quiet?: boolean;
}

export interface TrainResult {
  /** Updates done (the checkpoint's step). */
  step: number;
  totalSteps: number;
  stepsPerEpoch: number;
  /** "done": all epochs; "time": stopped at maxMinutes. */
  stopped: "done" | "time";
  /** Steps this call ran (0 when the checkpoint was already complete). */
  ranSteps: number;
  lastRow: LossRow | null;
  checkpointDir: string;
  csvPath: string;
}

function csvLine(r: LossRow): string {
  return CSV_COLUMNS.map((c) => (Number.isInteger(r[c]) ? String(r[c]) : r[c].toPrecision(7))).join(",");
}

/** Parse losses.csv into rows (numbers). */
export function readLossCsv(path: string): LossRow[] {
  if (!existsSync(path)) return [];
  const [head, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  const cols = head.split(",");
  return lines.filter((l) => l).map((l) => Object.fromEntries(l.split(",").map((v, i) => [cols[i], Number(v)])) as unknown as LossRow);
}

/** The loss-curve figure of a run (log scale; one trace per weighted term and the total). */
export function lossFigure(rows: readonly LossRow[], title = "training losses"): { data: object[]; layout: object } {
  const x = rows.map((r) => r.step);
  const data = [...LOSS_NAMES, "total" as const].map((k) => ({ type: "scatter", mode: "lines", name: k, x, y: rows.map((r) => r[k]), line: k === "total" ? { width: 3, color: "black" } : { width: 1 } }));
  return { data, layout: { title: { text: title }, xaxis: { title: { text: "step" } }, yaxis: { title: { text: "loss (unweighted terms)" }, type: "log" }, margin: { t: 40 } } };
}

function plotLosses(runDir: string, csvPath: string): void {
  const html = savePlotHtml(lossFigure(readLossCsv(csvPath)), join(runDir, "losses.html"), { title: "training losses" });
  renderPng(html, join(runDir, "losses.png"));
}

/** Assign `values` to `vars` and dispose them. */
function swapIn(vars: readonly tf.Variable[], values: tf.Tensor[]): void {
  vars.forEach((v, i) => v.assign(values[i]));
  tf.dispose(values);
}

/**
 * Train `model` in place (see header). Resumes from `runDir/checkpoint` when it exists: its weights
 * replace the model's, its optimizer state and step are restored, and losses.csv rows past its step
 * (written before a crash) are dropped.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { model, cfg, runDir } = opts;
  const tc = cfg.train;
  const geom = modelGeometry(model);
  const sampler = new MixSampler(opts.sources, opts.seed);
  const augRng = new Rng(`${opts.seed}/augment`);
  const stepsPerEpoch = tc.stepsPerEpoch > 0 ? tc.stepsPerEpoch : Math.ceil(sampler.totalSize / tc.batchSize);
  const totalSteps = tc.epochs * stepsPerEpoch;
  const ckDir = join(runDir, "checkpoint"), csvPath = join(runDir, "losses.csv");
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = new AdamFamily(vars, tc);
  if (tc.emaDecay > 0 && vars.length !== model.weights.length) throw new Error("train.emaDecay: the model has non-trainable weights, which the average does not cover");
  const ema = tc.emaDecay > 0 ? new WeightAverage(vars, tc.emaDecay) : null;

  let step = 0, trainSeconds = 0, ckStep: number | null = null;
  if (hasCheckpoint(ckDir)) {
    const { model: saved, meta } = await loadCheckpoint(ckDir);
    const w = saved.getWeights();
    if (w.length !== model.weights.length || w.some((t, i) => t.shape.join() !== model.weights[i].shape.join())) {
      saved.dispose();
      throw new Error(`${ckDir}: the checkpoint's weights do not fit this model (a different architecture?)`);
    }
    model.setWeights(w);
    saved.dispose();
    // With a weight average, weights.bin is the average and train-weights.bin what training continues from.
    const rawJson = join(ckDir, "train-weights.json");
    if (ema && !existsSync(rawJson)) throw new Error(`${ckDir}: saved without a weight average (train.emaDecay was 0), but this run has emaDecay ${tc.emaDecay}`);
    if (existsSync(rawJson)) {
      if (ema) ema.set(vars);
      const raw = decodeTensors(readFileSync(rawJson, "utf8"), readFileSync(join(ckDir, "train-weights.bin")));
      vars.forEach((v, i) => v.assign(raw[i]));
      tf.dispose(raw);
    }
    restoreOptimizer(opt, readFileSync(join(ckDir, "optimizer.json"), "utf8"), readFileSync(join(ckDir, "optimizer.bin")));
    step = ckStep = meta.step;
    // The run's directory is keyed by its config, not its code, so a rerun after a code change resumes
    // too; say so, since the rest of the run then differs from one started afresh with the new code.
    const now = codeVersion();
    if (!opts.quiet && meta.codeVersion !== now && meta.codeVersion !== "unknown" && now !== "unknown") {
      console.warn(`${ckDir}: resuming at step ${step} a checkpoint saved by code ${meta.codeVersion}; this is ${now}. Delete the run directory to start afresh.`);
    }
    // The directory is not keyed by the kernels either: WB_NATIVE=0 and the oneDNN path share it.
    const kernels = convKernels();
    if (!opts.quiet && typeof meta.convKernels === "string" && meta.convKernels !== kernels) {
      console.warn(`${ckDir}: resuming at step ${step} a run trained on ${meta.convKernels}; this process runs ${kernels}, which sums in another order, so the rest of the run matches neither path's run from scratch. Delete the run directory to start afresh, or resume on ${meta.convKernels} (WB_NATIVE).`);
    }
    trainSeconds = Number(meta.trainSeconds ?? 0);
    const kept = readLossCsv(csvPath).filter((r) => r.step <= step);
    atomicWrite(csvPath, [CSV_COLUMNS.join(","), ...kept.map(csvLine)].join("\n") + "\n");
  } else if (existsSync(csvPath)) {
    atomicWrite(csvPath, CSV_COLUMNS.join(",") + "\n"); // a fresh run: old rows belong to nobody
  }

  let pending: LossRow[] = [], lastFlush = Date.now();
  const flush = () => {
    lastFlush = Date.now();
    const old = existsSync(csvPath) ? readFileSync(csvPath, "utf8") : CSV_COLUMNS.join(",") + "\n";
    atomicWrite(csvPath, old + pending.map((r) => csvLine(r) + "\n").join(""));
    pending = [];
  };
  const checkpoint = async (epoch: number, row: LossRow | null) => {
    flush(); // rows first: rows past the checkpoint's step are dropped at resume
    const files = await optimizerFiles(opt);
    // The average goes into the model's own files (what every consumer of a checkpoint loads); the raw
    // weights are swapped out for the save and back in after it.
    const raw = ema ? vars.map((v) => v.clone()) : [];
    try {
      if (ema) {
        Object.assign(files, await encodeTensors(raw, "train-weights"));
        swapIn(vars, ema.values());
      }
      await saveCheckpoint(model, ckDir, {
        config: opts.config ?? cfg,
        step,
        epoch,
        metrics: row ? Object.fromEntries([...LOSS_NAMES, "total"].map((k) => [k, row[k as LossName]])) : undefined,
        extra: { trainSeconds, totalSteps, stepsPerEpoch, seed: opts.seed, convKernels: convKernels(), ...(ema ? { emaDecay: tc.emaDecay } : {}) },
        files,
      });
    } finally {
      if (ema) swapIn(vars, raw);
    }
    ckStep = step;
    if (opts.plot === "epoch") plotLosses(runDir, csvPath);
  };

  // Worker threads for the other parts of each batch (none when workers = 1).
  const helpers = Array.from({ length: Math.max(0, Math.min(tc.workers, tc.batchSize) - 1) }, () => new GradWorker(model.toJSON(null, true) as string, cfg.loss));
  const bar = progress("train", totalSteps, { mode: opts.quiet ? "silent" : undefined });
  if (step > 0) bar.tick(step, `resumed at step ${step}`);
  const startStep = step, startSeconds = trainSeconds;
  let lastRow: LossRow | null = null, stopped: TrainResult["stopped"] = "done";
  try {
    while (step < totalSteps) {
      if (tc.maxMinutes > 0 && trainSeconds >= tc.maxMinutes * 60) {
        stopped = "time";
        break;
      }
      const t0 = performance.now();
      const r = augRng.fork(step);
      const samples = sampler.batch(step, tc.batchSize).map((d) => augmentSample(opts.sources[d.source].source.get(d.index), r, tc));
      // Contiguous parts of the batch: the first on this thread, the others on the helpers.
      const sizes = splitSizes(samples.length, helpers.length + 1);
      const batches: Batch[] = [];
      sizes.reduce((at, n) => (batches.push(buildBatch(samples.slice(at, at + n), geom, cfg.loss)), at + n), 0);
      const batch = batches[0];
      const t1 = performance.now();
      const lr = learningRate(step, tc, { totalSteps, stepsPerEpoch });
      let termValues: Float32Array, total: number, norm: number;
      const kept: tf.Tensor[] = [];
      try {
        const weightData = helpers.length ? model.weights.map((w) => w.read().dataSync() as Float32Array) : [];
        const remote: Promise<PartResult>[] = helpers.slice(0, batches.length - 1).map((h, i) => h.grads(weightData, serialiseBatch(batches[i + 1])));
        const { value, grads } = tf.variableGrads(() => {
          const maps = model.apply(batch.images, { training: true }) as tf.Tensor;
          const L = computeLosses(maps, batch, cfg.loss);
          kept.push(tf.keep(tf.stack(LOSS_NAMES.map((k) => L.terms[k]))));
          return L.total;
        }, vars);
        let ordered = vars.map((v) => grads[v.name]);
        termValues = (kept[0].dataSync() as Float32Array).slice();
        total = value.dataSync()[0];
        tf.dispose(value);
        if (remote.length) {
          // Average the parts' gradients and losses, weighted by their images.
          const parts = await Promise.all(remote);
          const B = samples.length, w0 = sizes[0] / B;
          const averaged = tf.tidy(() => ordered.map((g, k) => parts.reduce((acc, p, i) => acc.add(tf.tensor(p.grads[k], g.shape).mul(sizes[i + 1] / B)), g.mul(w0))));
          tf.dispose(ordered);
          ordered = averaged;
          termValues = termValues.map((v, k) => v * w0 + parts.reduce((a, p, i) => a + p.terms[k] * (sizes[i + 1] / B), 0));
          total = total * w0 + parts.reduce((a, p, i) => a + p.total * (sizes[i + 1] / B), 0);
        }
        const clipped = clipByGlobalNorm(ordered, tc.gradClip);
        norm = clipped.norm;
        tf.dispose(ordered);
        const which = firstNonFinite([...LOSS_NAMES.map((k, i) => [k, termValues[i]] as const), ["total", total], ["gradNorm", norm]]);
        if (which) {
          tf.dispose(clipped.grads);
          throw new NonFiniteLossError(step + 1, which[0], which[1], ckStep, ckDir);
        }
        opt.apply(clipped.grads, lr);
        tf.dispose(clipped.grads);
        ema?.update(step + 1);
      } finally {
        tf.dispose(kept);
        batches.forEach(disposeBatch);
      }
      const t2 = performance.now();
      step++;
      trainSeconds += (t2 - t0) / 1000;
      const epoch = Math.floor((step - 1) / stepsPerEpoch);
      const row = {
        step, epoch, lr, total, gradNorm: norm, people: batches.reduce((n, b) => n + b.numPeople, 0),
        ...Object.fromEntries(LOSS_NAMES.map((k, i) => [k, termValues[i]])),
        dataMs: t1 - t0, stepMs: t2 - t1, imagesPerSec: tc.batchSize / ((t2 - t0) / 1000),
      } as LossRow;
      pending.push(row);
      lastRow = row;
      bar.tick(1, `loss ${total.toFixed(3)}`);
      if (step - startStep === BUDGET_CHECK_STEPS && !opts.quiet) {
        const warning = budgetWarning({ step, totalSteps, trainSeconds, secondsPerStep: (trainSeconds - startSeconds) / BUDGET_CHECK_STEPS, maxMinutes: tc.maxMinutes });
        if (warning) console.warn(`train: ${warning}`);
      }
      opts.onStep?.(row);
      if (step % stepsPerEpoch === 0 || step === totalSteps) await checkpoint(epoch, row);
      else if (Date.now() - lastFlush > CSV_FLUSH_MS) flush(); // long epochs: keep the log readable while running
    }
    if (stopped === "time" && ckStep !== step) await checkpoint(Math.floor(Math.max(0, step - 1) / stepsPerEpoch), lastRow);
    if (ema) swapIn(vars, ema.values()); // the caller gets the average (a failed run keeps its raw weights)
  } catch (e) {
    if (e instanceof NonFiniteLossError) {
      flush(); // the good rows before the failure, for diagnosis (a resume drops them)
      if (opts.plot !== "none") plotLosses(runDir, csvPath);
    }
    throw e;
  } finally {
    bar.done(stopped === "time" ? `time limit (${tc.maxMinutes} min) at step ${step}` : "");
    opt.dispose();
    ema?.dispose();
    await Promise.all(helpers.map((h) => h.terminate()));
  }
  // A call that found the run complete has nothing new to draw (and chromium costs seconds).
  if (opts.plot !== "none" && existsSync(csvPath) && (step > startStep || !existsSync(join(runDir, "losses.png")))) plotLosses(runDir, csvPath);
  return { step, totalSteps, stepsPerEpoch, stopped, ranSteps: step - startStep, lastRow, checkpointDir: ckDir, csvPath };
}
