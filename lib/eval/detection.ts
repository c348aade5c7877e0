/**
 * Detection precision and recall on plain boxes. A prediction is a true positive when it is matched
 * one-to-one (Hungarian on IoU) to a GT box with IoU >= `iou`. GT people smaller than `minHeightPx`
 * are "ignore" regions, as COCO's crowd/small areas: missing them costs no recall and a prediction
 * matched to one is neither a true nor a false positive.
 */
import { munkres } from "munkres";
import { boxIou } from "./metrics";

export interface DetectionCounts {
  /** GT people at least minHeightPx tall */
  gt: number;
  /** of them, matched */
  matchedGt: number;
  /** predictions not matched to an ignored GT person */
  pred: number;
  /** of them, matched (true positives) */
  truePositives: number;
}

/** The one-to-one matching (Hungarian on IoU): per GT box, the index of its prediction, or -1 below `iou`. */
export function matchBoxes(gtBoxes: readonly number[][], predBoxes: readonly number[][], iou = 0.5): number[] {
  const match = new Array<number>(gtBoxes.length).fill(-1);
  if (gtBoxes.length && predBoxes.length) {
    const cost = gtBoxes.map((g) => predBoxes.map((p) => -boxIou(g, p)));
    for (const [r, c] of munkres(cost)) if (-cost[r][c] >= iou) match[r] = c;
  }
  return match;
}

export function detectionCounts(gtBoxes: readonly number[][], predBoxes: readonly number[][], opts: { iou?: number; minHeightPx?: number } = {}): DetectionCounts {
  const minH = opts.minHeightPx ?? 0;
  const big = gtBoxes.map((b) => b[3] - b[1] >= minH);
  const match = matchBoxes(gtBoxes, predBoxes, opts.iou ?? 0.5);
  const ignoredPreds = new Set(match.filter((m, i) => m >= 0 && !big[i]));
  const tp = match.filter((m, i) => m >= 0 && big[i]).length;
  return { gt: big.filter(Boolean).length, matchedGt: tp, pred: predBoxes.length - ignoredPreds.size, truePositives: tp };
}

export function addCounts(a: DetectionCounts, b: DetectionCounts): DetectionCounts {
  return { gt: a.gt + b.gt, matchedGt: a.matchedGt + b.matchedGt, pred: a.pred + b.pred, truePositives: a.truePositives + b.truePositives };
}

/** Counts summed over frames, each frame's GT and predicted boxes matched alone (detectionCounts). */
export function framesCounts(frames: readonly { gt: readonly number[][]; pred: readonly number[][] }[], opts: { iou?: number; minHeightPx?: number } = {}): DetectionCounts {
  return frames.reduce((c, f) => addCounts(c, detectionCounts(f.gt, f.pred, opts)), { gt: 0, matchedGt: 0, pred: 0, truePositives: 0 } as DetectionCounts);
}

export function precisionRecall(c: DetectionCounts): { precision: number; recall: number } {
  return { precision: c.pred ? c.truePositives / c.pred : NaN, recall: c.gt ? c.matchedGt / c.gt : NaN };
}
