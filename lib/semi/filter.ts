/**
 * Filters for pseudo labels, as small named predicates over plain numbers (no tensors): the report's
 * count-consistency rule, a pose-stability alternative to compare it with, and the rollup that scores
 * a filter on the synthetic world, where the true person count and poses are known.
 */
import { boxIou } from "../eval/metrics";

/** Standard deviation dividing by n (numpy's default, which the report's filter uses). */
export function populationStd(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("populationStd: empty list");
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
}

export interface ConfidenceOptions {
  /** Largest population std of the counts [original, ...copies] still called confident. */
  stdMax: number;
  /** Fewest jittered copies whose count equals the original's. */
  minMatches: number;
}

/**
 * The report's thresholds for K = 8 copies (it kept 480 of 4824 pseudo-labelled images). With nine
 * integer counts, std <= 0.42 admits at most two counts that differ from the other seven, by one and in
 * the same direction (std sqrt(14) / 9 = 0.416; the next possible value is sqrt(2) / 3 = 0.471), and
 * minMatches 6 then adds that the original must not be one of the odd ones.
 */
export const DEFAULT_CONFIDENCE: ConfidenceOptions = { stdMax: 0.42, minMatches: 6 };

/**
 * `counts` = person counts [original, ...K jittered copies]. `matches`: copies whose count equals the
 * original's. `confident` iff std <= stdMax and matches >= minMatches (inclusive, as the report).
 */
export function confidenceStats(counts: readonly number[], opts: ConfidenceOptions = DEFAULT_CONFIDENCE): { std: number; matches: number; confident: boolean } {
  if (counts.length < 2) throw new Error(`confidenceStats: need the original count and at least one copy's, got ${counts.length} count(s)`);
  const bad = counts.find((n) => !(Number.isInteger(n) && n >= 0));
  if (bad !== undefined) throw new Error(`confidenceStats: counts must be non-negative integers, got ${bad} in [${counts}]`);
  const std = populationStd(counts);
  const matches = counts.slice(1).filter((n) => n === counts[0]).length;
  return { std, matches, confident: std <= opts.stdMax && matches >= opts.minMatches };
}

export function isConfident(counts: readonly number[], opts: ConfidenceOptions = DEFAULT_CONFIDENCE): boolean {
  return confidenceStats(counts, opts).confident;
}

/** One predicted person, as the filter needs it. */
export interface PersonPose {
  /** [x0, y0, x1, y1] pixels. */
  box: readonly number[];
  /** [17][3] metres, pelvis-relative. */
  joints3dRel: readonly (readonly number[])[];
}

export interface StabilityOptions {
  /** Largest pose spread (mm, see `poseSpread`) of every person for the image to count as stable. */
  maxSpreadMm: number;
  /** Smallest box IoU for a copy's person to be the same person as the original's. */
  minIou: number;
}

/**
 * A starting point, to be swept as an ablation. 60 mm is well under the ~145 mm MPJPE of the report's
 * models on Panoptic: a prediction that moves that much under a mild colour change is more noise than
 * label. Colour jitter does not move pixels, so the same person's box should overlap strongly; IoU 0.3
 * still tolerates box wobble on small or occluded people (the usual "same object" bar is 0.5).
 */
export const DEFAULT_STABILITY: StabilityOptions = { maxSpreadMm: 60, minIou: 0.3 };

/**
 * Spread (mm) of each original person's 3D pose across the jittered copies, [P] for P = original.length.
 * In each copy, the person with the highest box IoU is the match if its IoU >= minIou (two originals may
 * match the same copy person; unmatched copy people are ignored), else that copy is a miss. Spread =
 * mean over joints of the RMS distance of the matched copies' joint from the original's joint; Infinity
 * when fewer than half the copies match.
 */
export function poseSpread(original: readonly PersonPose[], copies: readonly (readonly PersonPose[])[], minIou: number): number[] {
  if (copies.length === 0) throw new Error("poseSpread: no copies to compare with");
  return original.map((person, i) => {
    const matched: PersonPose[] = [];
    for (const copy of copies) {
      let best: PersonPose | null = null, bestIou = -Infinity;
      for (const q of copy) {
        const iou = boxIou(person.box, q.box);
        if (iou > bestIou) [best, bestIou] = [q, iou];
      }
      if (best && bestIou >= minIou) matched.push(best);
    }
    if (matched.length < copies.length / 2) return Infinity;
    const J = person.joints3dRel.length;
    let sum = 0;
    for (let j = 0; j < J; j++) {
      const o = person.joints3dRel[j];
      let sq = 0;
      for (const m of matched) {
        if (m.joints3dRel.length !== J) throw new Error(`poseSpread: person ${i} has ${J} joints, a match has ${m.joints3dRel.length}`);
        const p = m.joints3dRel[j];
        sq += (p[0] - o[0]) ** 2 + (p[1] - o[1]) ** 2 + (p[2] - o[2]) ** 2;
      }
      sum += Math.sqrt(sq / matched.length);
    }
    return (1000 * sum) / J;
  });
}

/**
 * True iff the original has at least one person and every person's spread <= maxSpreadMm. An image with
 * no person carries no pose label to trust; extra people in copies are the count filter's business.
 */
export function isStable(original: readonly PersonPose[], copies: readonly (readonly PersonPose[])[], opts: StabilityOptions = DEFAULT_STABILITY): boolean {
  return original.length > 0 && poseSpread(original, copies, opts.minIou).every((s) => s <= opts.maxSpreadMm);
}

/** One image's filter decision next to the synthetic world's truth. */
export interface FilterOutcome {
  kept: boolean;
  /** People in the original image's pseudo label. */
  predCount: number;
  /** People actually in the image. */
  trueCount: number;
  /** Mean pose error (mm) of the image's pseudo labels against the truth, if known. */
  error?: number;
}

export interface FilterQuality {
  images: number;
  kept: number;
  /** Images whose pseudo label has the true count. */
  correct: number;
  keptCorrect: number;
  /** keptCorrect / kept: how clean the kept set is (NaN if nothing kept). */
  precision: number;
  /** keptCorrect / correct: how much of the good labels survive (NaN if none is correct). */
  recall: number;
  /** Mean `error` over kept rows with a finite error (NaN if none). */
  keptMeanError: number;
  droppedMeanError: number;
}

/** A filter's quality measured on counts: a count-consistency filter ought to keep the right counts. */
export function filterQuality(rows: readonly FilterOutcome[]): FilterQuality {
  const kept = rows.filter((r) => r.kept);
  const correct = rows.filter((r) => r.predCount === r.trueCount).length;
  const keptCorrect = kept.filter((r) => r.predCount === r.trueCount).length;
  const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
  const meanError = (rs: readonly FilterOutcome[]) => {
    const es = rs.map((r) => r.error).filter((e): e is number => e !== undefined && Number.isFinite(e));
    return ratio(es.reduce((s, e) => s + e, 0), es.length);
  };
  return {
    images: rows.length,
    kept: kept.length,
    correct,
    keptCorrect,
    precision: ratio(keptCorrect, kept.length),
    recall: ratio(keptCorrect, correct),
    keptMeanError: meanError(kept),
    droppedMeanError: meanError(rows.filter((r) => !r.kept)),
  };
}
