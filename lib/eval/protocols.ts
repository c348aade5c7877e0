/**
 * The two Panoptic-style evaluation protocols (METHOD.md section 2), on plain arrays.
 *
 * - crmh: faithful to CRMH's evaluation code, hence to the report's Table I. Root-relative poses; each
 *   GT person takes the nearest prediction by flattened pose distance over the joints visible for EVERY
 *   GT person of the frame (duplicates allowed, extra predictions ignored, missed people not charged);
 *   per-joint error times visibility, averaged over (people x 17) so invisible joints count 0 but stay
 *   in the denominator; sequence figure = mean over frames weighted by GT people; frames without any
 *   prediction are skipped (and counted).
 * - strict: one-to-one (Hungarian) assignment on the same distance; an unmatched GT person counts as
 *   one person with `missPenalty` (150 mm) error; frames without predictions are not skipped; a person's
 *   error is the same visibility-weighted mean over 17 joints; sequence figure = mean over people.
 *
 * PA-MPJPE uses the same matching, with each matched prediction Procrustes-aligned on the person's
 * visible joints.
 */
import { munkres } from "munkres";
import { jointErrors, procrustesAlign, rootRelativeOf, type Joints } from "./metrics";

export type Protocol = "crmh" | "strict";
export const PROTOCOLS: readonly Protocol[] = ["crmh", "strict"];
/** metres charged per missed GT person under `strict` (BEV's convention). */
export const MISS_PENALTY = 0.15;

export interface GtPerson {
  /** [J][3] metres, any frame; made root-relative here */
  joints3d: Joints;
  /** [J] 1 visible, 0 not */
  visible: readonly number[];
}
export interface PredPerson {
  joints3d: Joints;
  score?: number;
}
export interface EvalFrame {
  sequence: string;
  frame: number;
  gt: readonly GtPerson[];
  pred: readonly PredPerson[];
}

/** One row per GT person: the per-frame truth that tables roll up. */
export interface PersonRow {
  sequence: string;
  frame: number;
  protocol: Protocol;
  /** index of the GT person in the frame */
  person: number;
  /** index of the matched prediction, -1 when unmatched (strict) */
  match: number;
  /** visibility-weighted mean over J joints (metres); MISS_PENALTY when unmatched */
  mpjpe: number;
  pa_mpjpe: number;
  visible_joints: number;
  /** true when this person's frame had no prediction (crmh skips such frames) */
  skipped: boolean;
}

/** Squared flattened distance between GT people and predictions over `mask`ed joints, [N][M]. */
function distanceMatrix(gt: number[][][], pred: number[][][], mask: readonly boolean[]): number[][] {
  return gt.map((g) =>
    pred.map((p) => {
      let d = 0;
      for (let j = 0; j < g.length; j++) if (mask[j]) d += (g[j][0] - p[j][0]) ** 2 + (g[j][1] - p[j][1]) ** 2 + (g[j][2] - p[j][2]) ** 2;
      // CRMH guards sqrt against tiny negatives from its expanded-square form; kept for parity.
      return Math.sqrt(Math.max(d, 0));
    }),
  );
}

function personErrors(p: number[][], g: number[][], vis: readonly number[]): { mpjpe: number; pa: number } {
  const J = g.length;
  const e = jointErrors(p, g);
  const mp = e.reduce((s, v, j) => s + v * vis[j], 0) / J;
  const nVis = vis.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
  const aligned = nVis >= 3 ? procrustesAlign(p, g, vis.map((v) => (v > 0 ? 1 : 0))) : p;
  const pa = jointErrors(aligned, g).reduce((s, v, j) => s + v * vis[j], 0) / J;
  return { mpjpe: mp, pa };
}

/** Evaluate one frame under one protocol: one row per GT person. */
export function evaluateFrame(f: EvalFrame, protocol: Protocol, missPenalty = MISS_PENALTY): PersonRow[] {
  const gt = f.gt.map((g) => rootRelativeOf(g.joints3d));
  const pred = f.pred.map((p) => rootRelativeOf(p.joints3d));
  const J = gt.length ? gt[0].length : 0;
  const base = { sequence: f.sequence, frame: f.frame, protocol };
  if (gt.length === 0) return [];
  const visCount = (i: number) => f.gt[i].visible.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
  if (pred.length === 0) {
    return gt.map((_, i) => ({ ...base, person: i, match: -1, mpjpe: missPenalty, pa_mpjpe: missPenalty, visible_joints: visCount(i), skipped: true }));
  }
  const mask = Array.from({ length: J }, (_, j) => f.gt.every((g) => g.visible[j] > 0));
  const D = distanceMatrix(gt, pred, mask);
  let match: number[];
  if (protocol === "crmh") {
    match = D.map((row) => row.reduce((best, v, k) => (v < row[best] ? k : best), 0));
  } else {
    match = new Array(gt.length).fill(-1);
    for (const [r, c] of munkres(D)) match[r] = c;
  }
  return gt.map((g, i) => {
    const m = match[i];
    if (m < 0) return { ...base, person: i, match: -1, mpjpe: missPenalty, pa_mpjpe: missPenalty, visible_joints: visCount(i), skipped: false };
    const e = personErrors(pred[m], g, f.gt[i].visible);
    return { ...base, person: i, match: m, mpjpe: e.mpjpe, pa_mpjpe: e.pa, visible_joints: visCount(i), skipped: false };
  });
}

export interface SequenceSummary {
  sequence: string;
  protocol: Protocol;
  /** millimetres */
  mpjpe_mm: number;
  pa_mpjpe_mm: number;
  frames: number;
  people: number;
  skipped_frames: number;
}

/**
 * Roll person rows up into per-sequence figures plus an `all` row. crmh drops skipped frames (frame
 * means weighted by people = a mean over the people of the kept frames); strict keeps every person.
 */
export function summarise(rows: readonly PersonRow[], protocol: Protocol): SequenceSummary[] {
  const bySeq = new Map<string, PersonRow[]>();
  for (const r of rows) if (r.protocol === protocol) bySeq.set(r.sequence, [...(bySeq.get(r.sequence) ?? []), r]);
  const roll = (sequence: string, rs: PersonRow[]): SequenceSummary => {
    const frames = new Set(rs.map((r) => `${r.sequence}/${r.frame}`));
    const skippedFrames = new Set(rs.filter((r) => r.skipped).map((r) => `${r.sequence}/${r.frame}`));
    const kept = protocol === "crmh" ? rs.filter((r) => !r.skipped) : rs;
    const mean = (k: "mpjpe" | "pa_mpjpe") => (kept.length ? (1000 * kept.reduce((s, r) => s + r[k], 0)) / kept.length : NaN);
    return { sequence, protocol, mpjpe_mm: mean("mpjpe"), pa_mpjpe_mm: mean("pa_mpjpe"), frames: frames.size, people: kept.length, skipped_frames: skippedFrames.size };
  };
  const out = [...bySeq.entries()].map(([s, rs]) => roll(s, rs));
  out.push(roll("all", rows.filter((r) => r.protocol === protocol)));
  return out;
}
