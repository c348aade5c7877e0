/**
 * Evaluation of a model on the studio test set (the CMU Panoptic stand-in): runs the model over every
 * frame and camera, then scores the predictions with the plain-array protocols of lib/eval. Also the
 * mean-pose baseline the pretrained checkpoint is judged against: for every person the model detects,
 * it predicts the training set's mean root-relative pose in camera coordinates (which knows nothing
 * of yaw).
 */
import type * as tf from "@tensorflow/tfjs";
import type { Config } from "../config";
import { progress } from "../core/progress";
import type { PersonLabel, Sample, SampleSource } from "../data/records";
import { studioDataset, domainDataset } from "../data/datasets";
import { predict, type DecodeOptions } from "../model/decode";
import { evaluateFrame, summarise, PROTOCOLS, type EvalFrame, type PersonRow, type SequenceSummary } from "../eval/protocols";
import { orientationTarget } from "../body/orientation";
import { personRay } from "../train/targets";
import { addCounts, detectionCounts, precisionRecall, type DetectionCounts } from "../eval/detection";

export interface FramePrediction {
  sequence: string;
  frame: number;
  camera: string;
  gt: PersonLabel[];
  pred: PersonLabel[];
}

/** Run `model` over a dataset in batches, keeping labels and predictions (not the images). */
export function predictSource(model: tf.LayersModel, source: SampleSource, opts: Pick<DecodeOptions, "batchSize" | "scoreThreshold" | "pose" | "yaw" | "cells" | "flipTest"> & { limit?: number; quiet?: boolean } = {}): FramePrediction[] {
  const n = Math.min(source.size, opts.limit ?? Infinity), bs = opts.batchSize ?? 32;
  const out: FramePrediction[] = [];
  const bar = opts.quiet ? null : progress(`predict ${source.name}`, n);
  for (let i = 0; i < n; i += bs) {
    const samples: Sample[] = [];
    for (let k = i; k < Math.min(n, i + bs); k++) samples.push(source.get(k));
    const preds = predict(model, samples.map((s) => s.image), samples.map((s) => s.camera), { scoreThreshold: opts.scoreThreshold, batchSize: bs, pose: opts.pose, yaw: opts.yaw, cells: opts.cells, flipTest: opts.flipTest });
    samples.forEach((s, k) => out.push({ sequence: s.sequence ?? s.domain, frame: s.frame ?? s.index, camera: s.cameraName ?? "", gt: s.people.length ? s.people : s.truth ?? [], pred: preds[k] }));
    bar?.tick(samples.length);
  }
  bar?.done();
  return out;
}

/** GT people shorter than this (box height, px) are left out of the "tall" figures (issue 4's bar). */
export const MIN_HEIGHT_PX = 30;

export interface StudioScores {
  /** which people were scored */
  people: "all" | "tall";
  summary: SequenceSummary[];
  detection: ({ sequence: string } & DetectionCounts & { precision: number; recall: number })[];
  rows: PersonRow[];
}

/** The crmh protocol's overall ("all" sequences) row of a score: the figure the tables and bars quote. */
export function crmhOverall(s: StudioScores): SequenceSummary {
  const row = s.summary.find((r) => r.protocol === "crmh" && r.sequence === "all");
  if (!row) throw new Error(`scores (${s.people} people): no crmh "all" row`);
  return row;
}

/** Frames for the protocols: one per (sequence, frame, camera); `frame` is made unique per camera. */
function evalFrames(preds: readonly FramePrediction[], minHeightPx: number, poseOf: (p: PersonLabel) => number[][] = (p) => p.joints3dRel): EvalFrame[] {
  return preds.map((f) => ({
    sequence: f.sequence,
    frame: f.frame * 10 + (f.camera === "cam_b" ? 1 : 0),
    gt: f.gt.filter((g) => g.box[3] - g.box[1] >= minHeightPx).map((g) => ({ joints3d: g.joints3dRel, visible: g.visible })),
    pred: f.pred.map((p) => ({ joints3d: poseOf(p), score: p.score })),
  })).filter((f) => f.gt.length > 0);
}

/** Score predictions under both protocols, and detection precision/recall, per sequence and overall. */
export function scoreStudio(preds: readonly FramePrediction[], people: "all" | "tall", poseOf?: (p: PersonLabel) => number[][]): StudioScores {
  const minH = people === "tall" ? MIN_HEIGHT_PX : 0;
  const frames = evalFrames(preds, minH, poseOf);
  const rows = PROTOCOLS.flatMap((p) => frames.flatMap((f) => evaluateFrame(f, p)));
  const summary = PROTOCOLS.flatMap((p) => summarise(rows, p));
  const bySeq = new Map<string, DetectionCounts>();
  const zero: DetectionCounts = { gt: 0, matchedGt: 0, pred: 0, truePositives: 0 };
  for (const f of preds) {
    const c = detectionCounts(f.gt.map((g) => g.box), f.pred.map((p) => p.box), { minHeightPx: minH });
    bySeq.set(f.sequence, addCounts(bySeq.get(f.sequence) ?? zero, c));
    bySeq.set("all", addCounts(bySeq.get("all") ?? zero, c));
  }
  const detection = [...bySeq.entries()].map(([sequence, c]) => ({ sequence, ...c, ...precisionRecall(c) }));
  return { people, summary, detection, rows };
}

/**
 * Both mean poses [17][3] over the people of the first `n` samples of a labeled source, in one pass
 * (the samples are rendered on demand, so reading them once matters):
 * - camera: the mean root-relative pose in camera coordinates (the mean-pose baseline);
 * - torso: the mean pose in the torso frame (lib/body/orientation.ts), a reference that sees no
 *   image. PA-MPJPE aligns the rotation, so under PA this is what a model scores that learned the
 *   torso-frame mean and nothing from the pixels (the camera-frame mean is a yaw-averaged, flattened
 *   body, a weak reference under PA).
 */
export function meanPoses(source: SampleSource, n: number): { camera: number[][]; torso: number[][] } {
  const m = meanPosesOrNone(source, n);
  if (!m.torso || !m.camera) throw new Error(`meanTorsoPose: no labeled people with a torso frame in the first ${n} samples of ${source.name}`);
  return { camera: m.camera, torso: m.torso };
}

function meanPosesOrNone(source: SampleSource, n: number): { camera: number[][] | null; torso: number[][] | null } {
  const cam = Array.from({ length: 17 }, () => [0, 0, 0]), torso = Array.from({ length: 17 }, () => [0, 0, 0]);
  let nCam = 0, nTorso = 0;
  for (let i = 0; i < Math.min(n, source.size); i++) {
    const s = source.get(i);
    for (const p of s.people) {
      p.joints3dRel.forEach((q, j) => q.forEach((v, k) => (cam[j][k] += v)));
      nCam++;
      const t = p.has3d ? orientationTarget(p.joints3dRel, personRay(p, s)) : null;
      if (!t || !t.canonical.every((q) => q.every(Number.isFinite))) continue;
      t.canonical.forEach((q, j) => q.forEach((v, k) => (torso[j][k] += v)));
      nTorso++;
    }
  }
  return { camera: nCam ? cam.map((q) => q.map((v) => v / nCam)) : null, torso: nTorso ? torso.map((q) => q.map((v) => v / nTorso)) : null };
}

/** The mean root-relative pose [17][3] in camera coordinates (meanPoses; needs no torso frames). */
export function meanPose(source: SampleSource, n: number): number[][] {
  const m = meanPosesOrNone(source, n).camera;
  if (!m) throw new Error(`meanPose: no labeled people in the first ${n} samples of ${source.name}`);
  return m;
}

/** The mean pose [17][3] in the torso frame (meanPoses). */
export function meanTorsoPose(source: SampleSource, n: number): number[][] {
  return meanPoses(source, n).torso;
}

/** Which 3D output to read: the body model's joints ("fk") or the direct 3D head ("direct"). */
export type PoseHead = "fk" | "direct";

export interface StudioEvaluation {
  data: string;
  pose: PoseHead;
  frames: number;
  model: StudioScores[];
  baseline: StudioScores[];
  /** The torso-frame mean pose on the same detections (meanTorsoPose; meaningful under PA-MPJPE only). */
  torsoReference?: StudioScores[];
  meanPoseSamples: number;
}

/** Evaluate a model on the studio test set, with the mean-pose baseline on the same detections. */
export function evaluateOnStudio(model: tf.LayersModel, cfg: Config, seed: number, opts: { meanPoseSamples?: number; quiet?: boolean; pose?: PoseHead } = {}): { evaluation: StudioEvaluation; preds: FramePrediction[] } {
  const pose = opts.pose ?? "fk";
  const preds = predictSource(model, studioDataset(cfg, seed), { quiet: opts.quiet, pose });
  const nMean = opts.meanPoseSamples ?? (cfg.quick ? 64 : 2000);
  const { camera: mp, torso: mt } = meanPoses(domainDataset("pretrain", cfg, seed), nMean);
  const groups = ["all", "tall"] as const;
  return {
    preds,
    evaluation: {
      data: "studio test set of the embedded synthetic world (stand-in for CMU Panoptic; not Panoptic numbers)",
      pose,
      frames: preds.length,
      model: groups.map((g) => scoreStudio(preds, g)),
      baseline: groups.map((g) => scoreStudio(preds, g, () => mp)),
      torsoReference: groups.map((g) => scoreStudio(preds, g, () => mt)),
      meanPoseSamples: nMean,
    },
  };
}
