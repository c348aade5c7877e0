/**
 * One-to-one pairs of GT people and predictions for the by-hand benches (errparts.ts, orientation.ts,
 * yawheldout.ts), and the torso-yaw error they report.
 *
 * Why one helper: the benches compare each tall GT person with "its" prediction, and they must pair
 * people the way the detection metric does (lib/eval/detection.ts, matchBoxes: Hungarian on box IoU,
 * IoU >= 0.5, every GT person of the frame taking part), or their per-person figures describe a
 * different set of people from the recall they sit next to.
 */
import { matchBoxes } from "../lib/eval/detection";
import { MIN_HEIGHT_PX, type FramePrediction } from "../lib/stages/evaluate";
import type { PersonLabel } from "../lib/data/records";
import { rayYaw, torsoFrame, wrapAngle } from "../lib/body/orientation";

/** Every GT person at least `minHeightPx` tall with the prediction it is matched to, frame by frame. */
export function matchedPairs(frames: readonly FramePrediction[], minHeightPx = MIN_HEIGHT_PX): { gt: PersonLabel; pred: PersonLabel }[] {
  const out: { gt: PersonLabel; pred: PersonLabel }[] = [];
  for (const f of frames) {
    const match = matchBoxes(f.gt.map((g) => g.box), f.pred.map((p) => p.box));
    f.gt.forEach((g, i) => {
      if (match[i] >= 0 && g.box[3] - g.box[1] >= minHeightPx) out.push({ gt: g, pred: f.pred[match[i]] });
    });
  }
  return out;
}

/** The torso's yaw relative to its viewing ray (lib/body/orientation.ts), radians; null without a torso frame or root. */
export function relYaw(p: PersonLabel): number | null {
  const T = torsoFrame(p.joints3dRel);
  const r = p.joints3d[0];
  return T && r && Number.isFinite(r[0]) ? wrapAngle(Math.atan2(T[2], T[8]) - rayYaw(r[0], r[2])) : null;
}

/** Sorted absolute torso-yaw errors (degrees) of the pairs where both poses have a torso frame. */
export function yawErrorsDeg(pairs: readonly { gt: PersonLabel; pred: PersonLabel }[]): number[] {
  const out: number[] = [];
  for (const { gt, pred } of pairs) {
    const a = relYaw(gt), c = relYaw(pred);
    if (a !== null && c !== null) out.push(Math.abs(wrapAngle(a - c)) * (180 / Math.PI));
  }
  return out.sort((x, y) => x - y);
}
