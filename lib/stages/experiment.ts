/**
 * The study as tasks over one seed each, every one a chain of cached stages (lib/core/stage.ts):
 *
 *   pretrained          evaluate the shipped checkpoint (seed-independent)
 *   baseline   (seed)   subset -> finetune on the subset -> evaluate
 *   pseudo     (seed)   baseline -> pseudo labels + jittered counts on the street domain -> filter
 *   ft_pseudo  (seed)   pseudo -> finetune on subset + all pseudo labels -> evaluate
 *   ft_conf    (seed)   pseudo -> finetune on subset + confident pseudo labels -> evaluate
 *
 * A task first runs (or finds cached) what it depends on, so any task can run alone, in any process,
 * after an interruption; the main job (lib/pipeline.ts) runs them two at a time in child processes,
 * one per core, and the notebooks call them in-process.
 */
import { basename, join } from "node:path";
import type * as tf from "@tensorflow/tfjs";
import type { Config } from "../config";
import { configHash } from "../core/config";
import { cachedStage } from "../core/stage";
import { DECODER_REVISION } from "../model/decode";
import { domainDataset, studioDataset } from "../data/datasets";
import { subsetStage, type Subset } from "../data/subset";
import type { SequenceSummary } from "../eval/protocols";
import { filterStage, type FilterSummary } from "../semi/filterStage";
import { pseudoLabelStage, pseudoSource, type PseudoImage, type PseudoSummary } from "../semi/pseudo";
import { predictSource, scoreStudio, type FramePrediction } from "./evaluate";
import { finetuneStage, loadFinetuned, pretrainedId, subsetSource, type FinetuneResult, type Variant } from "./finetune";
import { loadPretrained } from "./pretrain";
import { writeEvalJson } from "../eval/predictionsIo";

export const TASKS = ["pretrained", "baseline", "pseudo", "ft_pseudo", "ft_conf"] as const;
export type TaskName = (typeof TASKS)[number];
export type MethodId = "pretrained" | Variant;

/** One GT person of one studio frame under one protocol, for one model: the rows Table I rolls up. */
export interface ResultRow {
  method: string;
  seed: number;
  protocol: "crmh" | "strict";
  sequence: string;
  /** Unique per camera within a sequence (frame * 10 + camera). */
  frame: number;
  person: number;
  /** metres; 0.15 for a missed person under strict */
  mpjpe: number;
  pa_mpjpe: number;
  skipped: boolean;
}

export interface EvaluationResult {
  method: string;
  seed: number;
  data: string;
  summary: SequenceSummary[];
  detection: { sequence: string; precision: number; recall: number }[];
  rows: ResultRow[];
  /** A few frames' predictions for the qualitative figures (first and middle frame of each sequence, camera a). */
  examples: FramePrediction[];
}

export interface TaskContext {
  cfg: Config;
  /** results/<run> */
  dir: string;
  quiet?: boolean;
  log?: (s: string) => void;
}

const seedDir = (c: TaskContext, seed: number) => join(c.dir, `seed${seed}`);

/** Evaluate a model on the studio test set (all people, both protocols) unless cached for `key`. */
export async function evaluateStage(c: TaskContext, dir: string, method: string, seed: number, key: unknown, model: () => Promise<tf.LayersModel>): Promise<EvaluationResult> {
  const { result } = await cachedStage<EvaluationResult>("evaluate", dir, { key, decoder: DECODER_REVISION, world: c.cfg.world, seed: c.cfg.seed }, async () => {
    const m = await model();
    try {
      const studio = studioDataset(c.cfg, c.cfg.seed);
      const preds = predictSource(m, studio, { quiet: c.quiet });
      const scores = scoreStudio(preds, "all");
      const half = Math.floor(studio.frames / 2);
      return {
        method, seed,
        data: "studio test set of the embedded synthetic world (CMU Panoptic stand-in; not Panoptic numbers)",
        summary: scores.summary,
        detection: scores.detection.map((d) => ({ sequence: d.sequence, precision: d.precision, recall: d.recall })),
        rows: scores.rows.map((r) => ({ method, seed, protocol: r.protocol, sequence: r.sequence, frame: r.frame, person: r.person, mpjpe: r.mpjpe, pa_mpjpe: r.pa_mpjpe, skipped: r.skipped })),
        examples: preds.filter((p) => p.camera === "cam_a" && (p.frame === 0 || p.frame === half)),
      };
    } finally {
      m.dispose();
    }
  }, c.quiet ? () => {} : c.log);
  return result;
}

export interface SeedArtifacts {
  subset?: Subset;
  baseline?: FinetuneResult;
  pseudo?: { summary: PseudoSummary; records: PseudoImage[]; hash: string };
  filter?: { summary: FilterSummary; kept: PseudoImage[]; hash: string };
  finetunes: Partial<Record<Variant, FinetuneResult>>;
  evaluations: Partial<Record<MethodId, EvaluationResult>>;
}

/** Run one task (and whatever it depends on, from cache where possible). */
export async function runTask(c: TaskContext, task: TaskName, seed: number, into: SeedArtifacts = { finetunes: {}, evaluations: {} }): Promise<SeedArtifacts> {
  const cfg = c.cfg, sd = seedDir(c, seed), log = c.log ?? console.log;
  const ft = async (variant: Variant, pseudo: { source: ReturnType<typeof pseudoSource>; key: string } | null) => {
    into.subset ??= (await subsetStage(cfg, seed, join(sd, "subset", configHash({ world: cfg.world, subset: cfg.subset })), c.quiet ? () => {} : log)).result;
    const r = await finetuneStage(cfg, seed, sd, variant, subsetSource(cfg, into.subset), pseudo, { quiet: c.quiet, log });
    into.finetunes[variant] = r;
    // The run folder's name is the finetune's config hash: the evaluation's key.
    into.evaluations[variant] = await evaluateStage(c, r.runDir, variant, seed, basename(r.runDir), () => loadFinetuned(r));
    return r;
  };
  switch (task) {
    case "pretrained": {
      const id = pretrainedId();
      const key = { pretrained: id };
      into.evaluations.pretrained = await evaluateStage(c, join(c.dir, "pretrained", configHash({ key, decoder: DECODER_REVISION, world: cfg.world, seed: cfg.seed })), "pretrained", seed, key, async () => (await loadPretrained()).model);
      return into;
    }
    case "baseline":
      into.baseline = await ft("baseline", null);
      return into;
    case "pseudo": {
      const street = domainDataset("street", cfg, cfg.seed);
      let generator: { name: string; key: unknown; load: () => Promise<tf.LayersModel> };
      if (cfg.pseudo.generator === "baseline") {
        into.baseline ??= await ft("baseline", null);
        const b = into.baseline;
        generator = { name: `baseline/seed${seed}/${basename(b.runDir)}`, key: basename(b.runDir), load: () => loadFinetuned(b) };
      } else {
        generator = { name: "pretrained", key: pretrainedId(), load: async () => (await loadPretrained()).model };
      }
      const p = await pseudoLabelStage(cfg, seed, sd, generator.load, generator, street, c.quiet);
      const pseudoHash = p.info.hash;
      into.pseudo = { summary: p.summary, records: p.records, hash: pseudoHash };
      const f = await filterStage(cfg, sd, p.records, pseudoHash, c.quiet);
      into.filter = { summary: f.summary, kept: f.kept, hash: f.info.hash };
      log(`seed ${seed}: ${p.summary.imagesWithPeople} of ${p.summary.imagesSeen} street images pseudo-labelled (${p.summary.people} people); ` +
        `the ${cfg.filter.rule} filter kept ${f.summary.kept} of ${f.summary.images}`);
      return into;
    }
    case "ft_pseudo":
    case "ft_conf": {
      if (!into.pseudo || !into.filter) await runTask(c, "pseudo", seed, into);
      const street = domainDataset("street", cfg, cfg.seed);
      const all = task === "ft_pseudo";
      const records = all ? into.pseudo!.records : into.filter!.kept;
      const source = pseudoSource(street, records, `pseudo${all ? "" : "-confident"}:seed${seed}`);
      await ft(all ? "pseudo" : "conf_pseudo", { source, key: all ? into.pseudo!.hash : into.filter!.hash });
      return into;
    }
  }
}

/**
 * Every task of a seed list, in dependency order and stage-major (all baselines, then all pseudo-label
 * passes, then the finetunes), so that the long pseudo-label passes start as early as possible and a
 * two-slot scheduler finishes about when the total work / 2 says it should.
 */
export function taskList(seeds: readonly number[]): { task: TaskName; seed: number; after: string[] }[] {
  const id = (t: TaskName, s: number) => `${t}:${s}`;
  return [
    ...seeds.map((s) => ({ task: "baseline" as TaskName, seed: s, after: [] as string[] })),
    { task: "pretrained" as TaskName, seed: seeds[0], after: [] },
    ...seeds.map((s) => ({ task: "pseudo" as TaskName, seed: s, after: [id("baseline", s)] })),
    ...seeds.flatMap((s) => [
      { task: "ft_pseudo" as TaskName, seed: s, after: [id("pseudo", s)] },
      { task: "ft_conf" as TaskName, seed: s, after: [id("pseudo", s)] },
    ]),
  ];
}

/**
 * Write one model's studio predictions and the ground truth in the eval CLI's format
 * (docs/eval-format.md), so anyone can re-score them with `npm run cli -- eval` or their own code.
 */
export async function exportPredictions(c: TaskContext, method: MethodId, seed: number, outDir: string): Promise<{ gt: string; pred: string }> {
  const task: TaskName = method === "pretrained" ? "pretrained" : method === "baseline" ? "baseline" : method === "pseudo" ? "ft_pseudo" : "ft_conf";
  const a = await runTask(c, task, seed);
  const model = method === "pretrained" ? (await loadPretrained()).model : await loadFinetuned(a.finetunes[method as Variant]!);
  try {
    const preds = predictSource(model, studioDataset(c.cfg, c.cfg.seed), { quiet: c.quiet });
    const out = { gt: join(outDir, "gt.json"), pred: join(outDir, `pred_${method}_seed${seed}.json`) };
    writeEvalJson(preds, out);
    return out;
  } finally {
    model.dispose();
  }
}
