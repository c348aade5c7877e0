/**
 * The canonical record format every dataset is converted into once, and that everything downstream
 * reads (SPIN's idea). Joint arrays are in H36M_17 order (lib/body/joints.ts); labels carry `has*`
 * flags that the losses mask with, and a `source` that says where the label came from.
 *
 * Legend: J = 17 evaluation joints; coordinates in camera space follow OpenCV (x right, y down,
 * z forward), metres; pixel coordinates have (0, 0) at the top-left corner of the top-left pixel.
 */
import { H36M_FLIP, NUM_EVAL_JOINTS } from "../body/joints";
import type { Camera } from "../world/camera";

export type LabelSource = "gt" | "pseudo";

export interface PersonLabel {
  /** [x0, y0, x1, y1] px, tight around the visible body, clipped to the image. */
  box: [number, number, number, number];
  /** [J][2] px: projection of `joints3d` through the sample's camera. */
  joints2d: number[][];
  /** [J] 1 = visible, 0 = occluded by another person or outside the image. */
  visible: number[];
  /** [J][3] metres, camera coordinates. */
  joints3d: number[][];
  /** [J][3] metres, `joints3d` minus the pelvis (joint 0). */
  joints3dRel: number[][];
  /** Body shape parameters (lib/body/shape.ts); empty when unknown. */
  shape: number[];
  has2d: boolean;
  has3d: boolean;
  hasShape: boolean;
  source: LabelSource;
  /** Which stage or dataset produced the label ("world:lab", "pseudo:<checkpoint>", ...). */
  provenance: string;
  /** Detection score for predicted labels (1 for ground truth). */
  score: number;
}

export type Domain = "pretrain" | "lab" | "street" | "studio";

export interface Sample {
  domain: Domain;
  /** Index within its dataset. */
  index: number;
  /** [H * W * 3] RGB in [0, 1], row-major HWC. */
  image: Float32Array;
  width: number;
  height: number;
  camera: Camera;
  /** Labels; empty for unlabeled domains' training view (the truth stays available for analysis in `truth`). */
  people: PersonLabel[];
  /** Ground truth of an unlabeled sample, kept only for measuring pseudo-label quality. */
  truth?: PersonLabel[];
  /** Studio test frames: the sequence, frame and camera names. */
  sequence?: string;
  frame?: number;
  cameraName?: string;
}

/** Root-relative copy of [J][3] joints (pelvis = H36M_17 joint 0). */
export function rootRelative(joints3d: readonly (readonly number[])[]): number[][] {
  const r = joints3d[0];
  return joints3d.map((p) => [p[0] - r[0], p[1] - r[1], p[2] - r[2]]);
}

/**
 * A dataset: a deterministic function of index (given the config and seed it was built with).
 * Training mixes several of them with sampling weights.
 */
export interface SampleSource {
  /** Unique, stable name (used in logs and to key caches), e.g. "lab:seed0" or "pseudo:conf". */
  name: string;
  size: number;
  get(index: number): Sample;
}

/**
 * A person mirrored left-right in an image `width` px wide: box and 2D joints mirrored, 3D joints
 * with x negated (the camera of the mirror image, see flipSample in lib/train/targets.ts), left and
 * right joints swapped. Used by the flip augmentation and by flip testing (lib/model/decode.ts).
 */
export function flipPerson(p: PersonLabel, width: number): PersonLabel {
  const swap = <T>(xs: readonly T[]): T[] => (xs.length === NUM_EVAL_JOINTS ? H36M_FLIP.map((j) => xs[j]) : xs.slice());
  const mirror3 = (q: readonly number[]) => [-q[0], q[1], q[2]];
  return {
    ...p,
    box: [width - p.box[2], p.box[1], width - p.box[0], p.box[3]],
    joints2d: swap(p.joints2d).map((q) => [width - q[0], q[1]]),
    visible: swap(p.visible),
    joints3d: swap(p.joints3d).map(mirror3),
    joints3dRel: swap(p.joints3dRel).map(mirror3),
    shape: p.shape.slice(), // the body model is left-right symmetric
  };
}
