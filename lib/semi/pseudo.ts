/**
 * Pseudo labels (METHOD.md section 1, item 4) and the forward passes the confident filter needs
 * (item 5), in one batched pass: every unlabeled street image goes through the model together with
 * its K colour-jittered copies, so an image costs one pass of K + 1 images instead of K + 1 passes.
 * The original's people (score >= threshold) are the pseudo labels; the copies only contribute their
 * person counts and, for the stability filter, their poses. Copies are run only for images with at
 * least one person.
 *
 *   pseudo_labels.jsonl   one line per street image with at least one person: its labels, the K + 1
 *                         counts, each person's pose spread across the copies, and (synthetic world
 *                         only) the true count and the labels' error against the truth
 *   pseudo.json           the summary: images seen, images with people, people, the generator
 *
 * Images with no person are skipped and counted, as upstream does.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../core/rng";
import { atomicWrite } from "../core/io";
import { cachedStage, type StageInfo } from "../core/stage";
import { configHash } from "../core/config";
import { progress } from "../core/progress";
import type { Config } from "../config";
import type { PersonLabel, Sample, SampleSource } from "../data/records";
import { DECODER_REVISION, decodeMaps, disposeMaps, forward } from "../model/decode";
import { imagesTensor, modelGeometry } from "../model/regressor";
import { boxIou, mpjpe } from "../eval/metrics";
import { MIN_HEIGHT_PX } from "../stages/evaluate";
import { drawJitterParams, jitterPixels } from "./jitter";
import { poseSpread } from "./filter";

/** One pseudo-labelled street image. */
export interface PseudoImage {
  /** Index in the street dataset (the image is re-rendered from it; none are stored). */
  image: number;
  /** The original image's predictions at score >= threshold: the pseudo labels (source "pseudo"). */
  people: PersonLabel[];
  /** Person counts: the original first, then the K jittered copies (just [0] for an image with no person). */
  counts: number[];
  /** Per person: mean per-joint spread (mm) of its 3D pose across the copies (Infinity if mostly unmatched). */
  spreadMm: number[];
  /** Truth (synthetic world only): people at least MIN_HEIGHT_PX tall, the size the detector is judged on. */
  trueCount: number;
  /** Truth: every person in the image, however small or truncated. */
  trueCountAll: number;
  /** Truth: mean root-relative MPJPE (mm) of the labels matched to a true person by box (IoU >= 0.3); NaN if none. */
  errorMm: number;
  /** Truth: labels with no true person under them (IoU < 0.3). */
  falsePositives: number;
}

export interface PseudoSummary {
  data: string;
  generator: string;
  imagesSeen: number;
  imagesWithPeople: number;
  imagesSkipped: number;
  people: number;
  K: number;
  scoreThreshold: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface PseudoPassOptions {
  K: number;
  jitter: Config["filter"]["jitter"];
  scoreThreshold: number;
  minIou: number;
  /** Originals per forward pass. */
  batchSize: number;
  /** Seeds the jitter; copy c of image i is a pure function of (seed, i, c), whatever the batch size. */
  seed: number | string;
  /** Written into each label's provenance ("pseudo:<checkpoint>"). */
  provenance: string;
  limit?: number;
  quiet?: boolean;
  /** Flip testing, as `DecodeOptions.flipTest`. Default `PSEUDO_FLIP_TEST`. */
  flipTest?: boolean;
}

/**
 * The pseudo-label pass's flip testing: off, unlike the evaluation's decoder. With the mirror pass,
 * every original and jittered copy costs two forward passes, and the default 5000-image pass was on
 * course for ~13-14 min (estimate at 10%) instead of ~6 (issue 5's bar is 10; docs/model-notes.md
 * section 13). The report's pseudo labels are one pass of CRMH's, too. Part of the stage's cache key.
 */
export const PSEUDO_FLIP_TEST = false;

/** Match a label to the truth by box and measure its root-relative error (mm). */
function truthError(people: readonly PersonLabel[], truth: readonly PersonLabel[]): { errorMm: number; falsePositives: number } {
  let sum = 0, n = 0, fp = 0;
  for (const p of people) {
    let best = -1, iou = 0.3;
    truth.forEach((t, k) => {
      const v = boxIou(p.box, t.box);
      if (v >= iou) [best, iou] = [k, v];
    });
    if (best < 0) fp++;
    else {
      sum += 1000 * mpjpe(p.joints3dRel, truth[best].joints3dRel);
      n++;
    }
  }
  return { errorMm: n ? sum / n : NaN, falsePositives: fp };
}

/** Forward `x` and decode every image's people. */
function decodePass(model: tf.LayersModel, x: tf.Tensor4D, cams: PseudoImageCamera[], geom: ReturnType<typeof modelGeometry>, o: PseudoPassOptions): PersonLabel[][] {
  const maps = forward(model, x, o.flipTest ?? PSEUDO_FLIP_TEST);
  try {
    return decodeMaps(maps, cams, geom, { scoreThreshold: o.scoreThreshold, provenance: o.provenance });
  } finally {
    disposeMaps(maps);
  }
}
type PseudoImageCamera = Sample["camera"];

/**
 * Run the pass over `source`: one record per image, in index order. Images with no person get
 * `counts = [0]` (their copies are not run); the others K + 1 counts.
 */
export function pseudoLabelPass(model: tf.LayersModel, source: SampleSource, o: PseudoPassOptions): PseudoImage[] {
  const geom = modelGeometry(model);
  const n = Math.min(source.size, o.limit ?? Infinity), K = o.K;
  const out: PseudoImage[] = [];
  const bar = progress(`pseudo labels + ${K} jittered copies (${source.name})`, n, { mode: o.quiet ? "silent" : undefined });
  for (let i = 0; i < n; i += o.batchSize) {
    const samples: Sample[] = [];
    for (let k = i; k < Math.min(n, i + o.batchSize); k++) samples.push(source.get(k));
    const B = samples.length;
    const params = samples.map((s) => drawJitterParams(new Rng(`${o.seed}/jitter/${s.index}`), K, o.jitter));
    // Two forward passes: the originals, then the K copies of those with people only (upstream skips
    // images with no detection, so their copies would be wasted work: ~20% of street images).
    const x = imagesTensor(samples, geom.inputSize);
    let originals: PersonLabel[][], copies: PersonLabel[][] = [];
    let withPeople: number[] = [];
    try {
      originals = decodePass(model, x, samples.map((s) => s.camera), geom, o);
      withPeople = originals.flatMap((p, b) => (p.length ? [b] : []));
      if (withPeople.length) {
        // The copies are made from the originals' pixels in JS (jitterPixels is applyJitter's kernel):
        // no gather of K tiled copies and no read-back of them from the backend.
        const [, H, W] = x.shape, n = H * W * 3, xs = x.dataSync() as Float32Array;
        const data = new Float32Array(withPeople.length * K * n);
        withPeople.forEach((b, w) => params[b].forEach((p, c) => jitterPixels(xs.subarray(b * n, (b + 1) * n), data.subarray((w * K + c) * n, (w * K + c + 1) * n), p)));
        const jittered = tf.tensor4d(data, [withPeople.length * K, H, W, 3]);
        try {
          copies = decodePass(model, jittered, withPeople.flatMap((b) => new Array(K).fill(samples[b].camera)), geom, o);
        } finally {
          jittered.dispose();
        }
      }
    } finally {
      x.dispose();
    }
    samples.forEach((s, b) => {
      const people = originals[b];
      const w = withPeople.indexOf(b);
      const mine = w >= 0 ? copies.slice(w * K, (w + 1) * K) : [];
      const truth = s.truth ?? [];
      out.push({
        image: s.index,
        people,
        counts: [people.length, ...mine.map((c) => c.length)],
        spreadMm: people.length ? poseSpread(people, mine, o.minIou) : [],
        trueCount: truth.filter((t) => t.box[3] - t.box[1] >= MIN_HEIGHT_PX).length,
        trueCountAll: truth.length,
        ...truthError(people, truth),
      });
    });
    bar.tick(B);
  }
  bar.done();
  return out;
}

/** JSON has no Infinity or NaN: they travel as null and come back as Infinity / NaN. */
const toLine = (r: PseudoImage) => JSON.stringify({ ...r, spreadMm: r.spreadMm.map((v) => (Number.isFinite(v) ? v : null)), errorMm: Number.isFinite(r.errorMm) ? r.errorMm : null });

/** Read pseudo_labels.jsonl; errors name the file, the line and the field. */
export function readPseudoLabels(path: string): PseudoImage[] {
  if (!existsSync(path)) throw new Error(`${path}: no pseudo labels (run the pseudo-label stage first)`);
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim()).map((line, k) => {
    let r: PseudoImage & { spreadMm: (number | null)[]; errorMm: number | null };
    try {
      r = JSON.parse(line);
    } catch (e) {
      throw new Error(`${path}: line ${k + 1}: bad JSON (${(e as Error).message})`);
    }
    for (const f of ["image", "trueCount"] as const) if (!Number.isInteger(r[f])) throw new Error(`${path}: line ${k + 1}: field '${f}' must be an integer, got ${JSON.stringify(r[f])}`);
    if (!Array.isArray(r.people) || !Array.isArray(r.counts) || r.counts.length < 2) throw new Error(`${path}: line ${k + 1} (image ${r.image}): fields 'people' and 'counts' (>= 2 entries) are required`);
    if (r.counts[0] !== r.people.length) throw new Error(`${path}: line ${k + 1} (image ${r.image}): field 'counts[0]' (${r.counts[0]}) must equal the number of people (${r.people.length})`);
    return { ...r, spreadMm: r.spreadMm.map((v) => v ?? Infinity), errorMm: r.errorMm ?? NaN };
  });
}

/**
 * The stage: run the pass with `model` (made by `generator`) over the street domain and write
 * `<seedDir>/pseudo_labels/<hash>/pseudo_labels.jsonl` and `pseudo.json`, unless they exist for the same config
 * (one folder per config, so ablation variants of one run never overwrite each other's labels).
 */
export async function pseudoLabelStage(
  cfg: Config, seed: number, seedDir: string, model: () => Promise<tf.LayersModel>, generator: { name: string; key: unknown }, source: SampleSource, quiet = false,
): Promise<{ summary: PseudoSummary; records: PseudoImage[]; info: StageInfo }> {
  const key = { world: cfg.world, pseudo: cfg.pseudo, K: cfg.filter.K, jitter: cfg.filter.jitter, minIou: cfg.filter.minIou, generator: generator.key, decoder: DECODER_REVISION, flipTest: PSEUDO_FLIP_TEST, seed };
  const dir = join(seedDir, "pseudo_labels", configHash(key));
  const jsonl = join(dir, "pseudo_labels.jsonl");
  // The labels live beside the stage's JSON: without them the cached summary is no use.
  if (!existsSync(jsonl)) rmSync(join(dir, "pseudo.config.json"), { force: true });
  const { result, info } = await cachedStage<PseudoSummary>("pseudo", dir, key, async () => {
    const m = await model();
    const t0 = Date.now();
    const records = pseudoLabelPass(m, source, {
      K: cfg.filter.K, jitter: cfg.filter.jitter, scoreThreshold: cfg.pseudo.scoreThreshold, minIou: cfg.filter.minIou,
      batchSize: cfg.pseudo.batchSize, seed, provenance: `pseudo:${generator.name}`, quiet,
    });
    const seconds = (Date.now() - t0) / 1000;
    const kept = records.filter((r) => r.people.length > 0);
    atomicWrite(jsonl, kept.map(toLine).join("\n") + "\n");
    return {
      data: `street domain of the embedded synthetic world (Cityscapes stand-in), ${source.size} images`,
      generator: generator.name,
      imagesSeen: records.length,
      imagesWithPeople: kept.length,
      imagesSkipped: records.length - kept.length,
      people: kept.reduce((s, r) => s + r.people.length, 0),
      K: cfg.filter.K,
      scoreThreshold: cfg.pseudo.scoreThreshold,
      seconds,
      imagesPerSecond: records.length / seconds,
    };
  }, quiet ? () => {} : undefined);
  return { summary: result, records: readPseudoLabels(jsonl), info };
}

/**
 * A training source of pseudo-labelled street images: image i is re-rendered from its street index
 * and carries its pseudo labels. They supervise what upstream's carry, 2D joints and root-relative 3D:
 * the absolute joints are blanked so no root-depth target is formed from a prediction.
 */
export function pseudoSource(street: SampleSource, records: readonly PseudoImage[], name: string): SampleSource {
  return {
    name,
    size: records.length,
    get(i: number): Sample {
      const r = records[i];
      if (!r) throw new Error(`${name}: index ${i} out of range [0, ${records.length})`);
      const s = street.get(r.image);
      const people = r.people.map((p) => ({ ...p, joints3d: p.joints3d.map(() => [NaN, NaN, NaN]), has2d: true, has3d: true, hasShape: false, source: "pseudo" as const }));
      return { ...s, people };
    },
  };
}
