/**
 * Every joint table and dataset-to-model map, in one place (the most common bug in this field is a
 * mixed-up joint order, so nothing else in lib/ may spell out a joint index).
 *
 * Orders, from ../shared/reference/METHOD.md:
 * - SMPL_24: the body model's kinematic joints; `SMPL_PARENTS` is the kinematic tree.
 * - BODY_25: SMPL_24 plus one end site, `head_top`, which the synthetic body places at the top of the
 *   skull (SMPL itself gets it from a vertex, as SPIN's extra joints do). The renderer and the eval map
 *   need it; the FK produces it as a child of `head`.
 * - H36M_17: the evaluation order of CRMH and SPIN (LEFT leg at 1-3). All metrics use it.
 * - COCO19: CMU Panoptic's `joints19` order. MPI_28: MPI-INF-3DHP's `annot3` order.
 */

export const SMPL_24 = [
  "pelvis", "l_hip", "r_hip", "spine1", "l_knee", "r_knee", "spine2", "l_ankle", "r_ankle", "spine3",
  "l_foot", "r_foot", "neck", "l_collar", "r_collar", "head", "l_shoulder", "r_shoulder", "l_elbow",
  "r_elbow", "l_wrist", "r_wrist", "l_hand", "r_hand",
] as const;

/** SMPL kinematic tree, `kintree_table[0]` with the root's parent as -1. */
export const SMPL_PARENTS: readonly number[] = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21];

export const BODY_25 = [...SMPL_24, "head_top"] as const;
export type BodyJoint = (typeof BODY_25)[number];
/** Parents of BODY_25: SMPL's tree plus head_top under head. */
export const BODY_PARENTS: readonly number[] = [...SMPL_PARENTS, 15];
export const NUM_BODY_JOINTS = BODY_25.length; // 25

export const H36M_17 = [
  "pelvis", "l_hip", "l_knee", "l_ankle", "r_hip", "r_knee", "r_ankle", "spine", "neck",
  "jaw", "head", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist",
] as const;
export type EvalJoint = (typeof H36M_17)[number];
export const NUM_EVAL_JOINTS = H36M_17.length; // 17

/**
 * BODY_25 index for each H36M_17 joint. H36M's "spine" sits mid-torso (SMPL spine2), its "jaw" at the
 * chin/nose level (SMPL head joint, the head's centre of rotation), its "head" at the skull top.
 */
export const BODY_TO_H36M: readonly number[] = [0, 1, 4, 7, 2, 5, 8, 6, 12, 15, 24, 16, 18, 20, 17, 19, 21];

/** Left/right swap permutation of H36M_17 (for flip augmentation and the mirror). */
export const H36M_FLIP: readonly number[] = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 11, 12, 13];

/** Eval-joint edges for drawing skeletons (child, parent) in H36M_17. */
export const H36M_EDGES: readonly [number, number][] = [
  [1, 0], [2, 1], [3, 2], [4, 0], [5, 4], [6, 5], [7, 0], [8, 7], [9, 8], [10, 9],
  [11, 8], [12, 11], [13, 12], [14, 8], [15, 14], [16, 15],
];
/** Which H36M_17 joints are on the person's left (drawn in one colour), right, or centre. */
export const H36M_SIDE: readonly ("L" | "R" | "C")[] = H36M_17.map((n) => (n.startsWith("l_") ? "L" : n.startsWith("r_") ? "R" : "C"));

function flipOf(names: readonly string[]): number[] {
  return names.map((n, i) => {
    const m = n.startsWith("l_") ? "r_" + n.slice(2) : n.startsWith("r_") ? "l_" + n.slice(2) : n;
    const j = names.indexOf(m);
    if (j < 0) throw new Error(`joints: no mirror partner for ${n} (index ${i})`);
    return j;
  });
}
/** Left/right swap permutation of BODY_25. */
export const BODY_FLIP: readonly number[] = flipOf(BODY_25);

/** CMU Panoptic joints19 order. */
export const COCO19 = [
  "neck", "nose", "body_center", "l_shoulder", "l_elbow", "l_wrist", "l_hip", "l_knee", "l_ankle",
  "r_shoulder", "r_elbow", "r_wrist", "r_hip", "r_knee", "r_ankle", "l_eye", "l_ear", "r_eye", "r_ear",
] as const;
/**
 * COCO19 index for each H36M_17 joint, or -1 where Panoptic has no such joint (spine, jaw, head:
 * the 3 of 17 that CRMH's Panoptic evaluation marks invisible). Body centre stands in for the pelvis.
 */
export const COCO19_TO_H36M: readonly number[] = [2, 6, 7, 8, 12, 13, 14, -1, 0, -1, -1, 3, 4, 5, 9, 10, 11];

/** MPI-INF-3DHP 28-joint annot order. */
export const MPI_28 = [
  "spine3", "spine4", "spine2", "spine", "pelvis", "neck", "head", "head_top", "l_clavicle", "l_shoulder",
  "l_elbow", "l_wrist", "l_hand", "r_clavicle", "r_shoulder", "r_elbow", "r_wrist", "r_hand", "l_hip",
  "l_knee", "l_ankle", "l_foot", "l_toe", "r_hip", "r_knee", "r_ankle", "r_foot", "r_toe",
] as const;
/** MPI_28 index for each H36M_17 joint: the usual 17-joint subset, re-ordered into H36M_17. */
export const MPI28_TO_H36M: readonly number[] = [4, 18, 19, 20, 23, 24, 25, 3, 5, 6, 7, 9, 10, 11, 14, 15, 16];

/** Pick rows of a [J][d] array by an index map; -1 gives NaNs (a joint the source lacks). */
export function remapJoints(src: readonly (readonly number[])[], map: readonly number[]): number[][] {
  return map.map((j) => (j < 0 ? src[0].map(() => NaN) : [...src[j]]));
}
