/**
 * The three finetunes of the study, all from the shipped checkpoint with the same optimiser and the
 * same number of steps (METHOD.md section 1, items 3 and 6):
 *
 *   baseline      the labeled subset only ("MPI 500")
 *   pseudo        the subset and every pseudo-labelled image, sampling weight 1 - pseudoMix / pseudoMix
 *   conf_pseudo   the subset and the confident pseudo-labelled images, same weights
 *
 * An epoch is one pass over the labeled subset's size in all three (train.stepsPerEpoch = 0 means
 * ceil(subset.size / batchSize)), so the variants get equal compute and differ only in their data;
 * counting the pseudo set in the epoch would give "pseudo" ten times the steps of "conf_pseudo".
 *
 * Each run lives in `<seedDir>/<variant>/<hash>/` (a config change never resumes another config's
 * checkpoint), resumes after an interruption, and is skipped when complete.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import type { Config } from "../config";
import { configHash } from "../core/config";
import { atomicWriteJson } from "../core/io";
import { loadCheckpoint } from "../core/checkpoint";
import type { Sample, SampleSource } from "../data/records";
import { domainDataset } from "../data/datasets";
import type { Subset } from "../data/subset";
import { modelGeometry } from "../model/regressor";
import { train, type TrainResult } from "../train/loop";
import { loadPretrained, PRETRAINED_DIR } from "./pretrain";

export const VARIANTS = ["baseline", "pseudo", "conf_pseudo"] as const;
export type Variant = (typeof VARIANTS)[number];

/** The shipped checkpoint's identity: a hash of its weights (a retrained checkpoint invalidates every finetune). */
export function pretrainedId(dir = PRETRAINED_DIR): string {
  return createHash("sha256").update(readFileSync(join(dir, "weights.bin"))).digest("hex").slice(0, 12);
}

/** The labeled subset as a training source. */
export function subsetSource(cfg: Config, subset: Subset): SampleSource {
  const lab = domainDataset("lab", cfg, cfg.seed);
  return {
    name: `lab-subset:seed${subset.seed}`,
    size: subset.indices.length,
    get: (i: number): Sample => lab.get(subset.indices[i]),
  };
}

export interface FinetuneResult {
  variant: Variant;
  seed: number;
  runDir: string;
  checkpointDir: string;
  train: TrainResult;
  /** The sources and their sampling weights. */
  mix: { name: string; size: number; weight: number }[];
}

/**
 * Finetune the shipped checkpoint on `labeled` (+ `pseudo`, for the pseudo variants) into
 * `<seedDir>/<variant>/<hash>/`. `dataKey` identifies the pseudo set (its stage hash), so a new
 * pseudo set means a new run.
 */
export async function finetuneStage(
  cfg: Config, seed: number, seedDir: string, variant: Variant, labeled: SampleSource,
  pseudo: { source: SampleSource; key: string } | null, opts: { quiet?: boolean; log?: (s: string) => void } = {},
): Promise<FinetuneResult> {
  const log = opts.log ?? console.log;
  if ((variant === "baseline") !== (pseudo === null)) throw new Error(`finetune ${variant}: ${variant === "baseline" ? "takes no" : "needs a"} pseudo set`);
  const stepsPerEpoch = cfg.train.stepsPerEpoch > 0 ? cfg.train.stepsPerEpoch : Math.ceil(cfg.subset.size / cfg.train.batchSize);
  const trainCfg = { ...cfg.train, stepsPerEpoch };
  const key = { world: cfg.world, subset: cfg.subset, model: cfg.model, train: trainCfg, loss: cfg.loss, finetune: cfg.finetune, seed, variant, init: pretrainedId(), pseudo: pseudo?.key ?? null };
  const runDir = join(seedDir, variant, configHash(key));
  const sources = pseudo
    ? [{ source: labeled, weight: 1 - cfg.finetune.pseudoMix }, { source: pseudo.source, weight: cfg.finetune.pseudoMix }]
    : [{ source: labeled, weight: 1 }];
  if (pseudo && pseudo.source.size === 0) {
    // Nothing passed the filter: the mix would be the labeled set alone; say so rather than fail.
    log(`finetune ${variant} (seed ${seed}): the pseudo set is empty, training on the labeled subset alone`);
    sources.splice(1, 1);
    sources[0].weight = 1;
  }
  atomicWriteJson(join(runDir, "config.json"), { ...cfg, seed, train: trainCfg, finetuneKey: key });
  const { model } = await loadPretrained();
  try {
    const res = await train({ model, sources, cfg: { train: trainCfg, loss: cfg.loss }, runDir, seed: `finetune/${variant}/${seed}`, config: { ...cfg, seed }, quiet: opts.quiet });
    log(`finetune ${variant} (seed ${seed}): ${res.ranSteps ? `${res.ranSteps} steps` : "already complete"}, ${res.step}/${res.totalSteps} -> ${res.checkpointDir}`);
    return { variant, seed, runDir, checkpointDir: res.checkpointDir, train: res, mix: sources.map((s) => ({ name: s.source.name, size: s.source.size, weight: s.weight })) };
  } finally {
    model.dispose();
  }
}

/** Load a finished finetune's model. */
export async function loadFinetuned(r: Pick<FinetuneResult, "checkpointDir">): Promise<tf.LayersModel> {
  return (await loadCheckpoint(r.checkpointDir, { check: modelGeometry })).model;
}
