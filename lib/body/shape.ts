/**
 * The synthetic body's shape: 5 standardised shape coefficients `betas` (like SMPL's, each ~N(0, 1)),
 * decoded LINEARLY into the rest-pose offset of every BODY_25 joint from its parent,
 * `offsets = SHAPE_TEMPLATE + SHAPE_DIRS . betas` (the role of SMPL's `v_template` + `shapedirs`),
 * so the same decoding is differentiable in tfjs (`restOffsetsTf` in kinematics.ts) and a model can
 * regress shape. Legend: J = 25 joints (BODY_25), K = NUM_BETAS = 5.
 *
 * | beta | name          | +1 SD means                                   | source of the SD                       |
 * |------|---------------|-----------------------------------------------|----------------------------------------|
 * | 0    | stature       | every offset x1.0529: stature 1.70 -> 1.79 m   | adult stature, sexes pooled: mean ~1.69-1.70 m, SD ~0.09 m (ANSUR II 2012: men 1.756 +- 0.069, women 1.628 +- 0.064) |
 * | 1    | limbRatio     | limb bones x1.027, torso/neck/head x(1-0.030): longer legs and arms, same stature | sitting-height/stature ratio 0.52, SD ~0.013 of stature, i.e. ~2.7% of leg length |
 * | 2    | shoulderWidth | lateral part of collar and shoulder offsets x1.05 | biacromial breadth within-sex CV ~4.5-5% (ANSUR II) |
 * | 3    | hipWidth      | lateral part of pelvis->hip offsets x1.07      | bi-iliac / hip breadth CV ~6-7%        |
 * | 4    | girth         | limb radii x1.10 (no effect on lengths)        | waist / limb circumference CV ~10-12% (ANSUR II) |
 *
 * Betas are sampled from N(0, 1) truncated at +-2.5 SD, so stature spans 1.475-1.925 m (adults,
 * both sexes). The model is first-order, as SMPL's: cross terms (a tall AND broad person) are sums.
 *
 * Template: a 1.70 m adult in T-pose, metres, y up, ground at y = 0, facing +Z, the body's LEFT at
 * +X (SMPL's convention). Segment proportions of stature from Drillis & Contini (1966) / Winter,
 * "Biomechanics and Motor Control of Human Movement": ankle height 0.039 H, shank 0.246 H, thigh
 * 0.245 H, shoulder height 0.818 H; joint-centre widths and the spine chain follow SMPL's neutral
 * joint layout (hip centres ~16 cm apart, shoulder centres ~34 cm, pelvis joint ~8 cm above the hips).
 */
import { BODY_25, BODY_PARENTS, type BodyJoint, NUM_BODY_JOINTS } from "./joints";
import type { Rng } from "../core/rng";

export const BETA_NAMES = ["stature", "limbRatio", "shoulderWidth", "hipWidth", "girth"] as const;
export const NUM_BETAS = BETA_NAMES.length; // 5

/** A body's shape. `betas`: [NUM_BETAS] standardised coefficients (0 = the 1.70 m template). */
export interface BodyShape {
  readonly betas: readonly number[];
}

/** Stature of the template (m) and the relative change per SD of each length beta. */
export const TEMPLATE_STATURE = 1.7;
const STATURE_PER_SD = 0.09 / TEMPLATE_STATURE; // 0.0529
const LIMB_PER_SD = 0.027;
const SHOULDER_PER_SD = 0.05;
const HIP_PER_SD = 0.07;
const GIRTH_PER_SD = 0.1;
/** Betas are truncated at this many SD. */
export const BETA_LIMIT = 2.5;

/** Template joint positions (left side and centre; right = left mirrored in x). Metres, see header. */
const TEMPLATE_LEFT: Partial<Record<BodyJoint, [number, number, number]>> = {
  pelvis: [0, 0.98, 0],
  l_hip: [0.08, 0.9, 0],
  spine1: [0, 1.09, -0.01],
  l_knee: [0.085, 0.485, 0.01],
  spine2: [0, 1.22, 0],
  l_ankle: [0.085, 0.07, -0.02],
  spine3: [0, 1.28, 0.01],
  l_foot: [0.1, 0.025, 0.11],
  neck: [0, 1.45, -0.01],
  l_collar: [0.075, 1.37, 0],
  head: [0, 1.54, 0.02],
  l_shoulder: [0.17, 1.39, -0.01],
  l_elbow: [0.45, 1.39, -0.02],
  l_wrist: [0.7, 1.39, -0.02],
  l_hand: [0.785, 1.39, -0.02],
  head_top: [0, 1.7, 0],
};

function templatePosition(name: BodyJoint): [number, number, number] {
  const own = TEMPLATE_LEFT[name];
  if (own) return own;
  const left = TEMPLATE_LEFT[name.replace(/^r_/, "l_") as BodyJoint];
  if (!left) throw new Error(`shape: no template position for ${name}`);
  return [-left[0], left[1], left[2]];
}

/** [25, 3] template joint positions, metres, ground y = 0, T-pose facing +Z. */
export const TEMPLATE_POSITIONS: Float64Array = Float64Array.from(BODY_25.flatMap((n) => templatePosition(n)));

const LIMB = new Set<string>(["knee", "ankle", "foot", "elbow", "wrist", "hand"]);
const TORSO = new Set<string>(["hip", "spine1", "spine2", "spine3", "neck", "head", "head_top"]);
const side = (n: string) => n.replace(/^[lr]_/, "");

/** [25, 3] template rest offsets (joint minus parent, metres; the root's row is 0). */
export const SHAPE_TEMPLATE: Float64Array = (() => {
  const out = new Float64Array(NUM_BODY_JOINTS * 3);
  for (let j = 1; j < NUM_BODY_JOINTS; j++) {
    for (let d = 0; d < 3; d++) out[j * 3 + d] = TEMPLATE_POSITIONS[j * 3 + d] - TEMPLATE_POSITIONS[BODY_PARENTS[j] * 3 + d];
  }
  return out;
})();

/** Ankle height above the floor in the template (m): the leg's share of stature starts at the sole. */
const TEMPLATE_ANKLE_CLEARANCE = TEMPLATE_POSITIONS[BODY_25.indexOf("l_ankle") * 3 + 1];

/** Vertical extent of the limb part (sole -> hip) and torso part (hip -> head top) of stature. */
const LEG_VERTICAL = TEMPLATE_POSITIONS[BODY_25.indexOf("l_hip") * 3 + 1];
const TORSO_VERTICAL = TEMPLATE_STATURE - LEG_VERTICAL;
/** Torso shrink per SD of limbRatio that keeps stature fixed to first order (~0.030). */
const TORSO_PER_SD = (LIMB_PER_SD * LEG_VERTICAL) / TORSO_VERTICAL;

/** [25, 3, 5] shape directions: d offsets / d betas (metres per SD). */
export const SHAPE_DIRS: Float64Array = (() => {
  const out = new Float64Array(NUM_BODY_JOINTS * 3 * NUM_BETAS);
  const set = (j: number, d: number, k: number, v: number) => (out[(j * 3 + d) * NUM_BETAS + k] = v);
  BODY_25.forEach((name, j) => {
    const s = side(name);
    for (let d = 0; d < 3; d++) {
      const t = SHAPE_TEMPLATE[j * 3 + d];
      set(j, d, 0, STATURE_PER_SD * t);
      set(j, d, 1, LIMB.has(s) ? LIMB_PER_SD * t : TORSO.has(s) ? -TORSO_PER_SD * t : 0);
      // Widths change only the lateral (x) component, so the shoulder and hip heights stay put.
      if (d === 0 && (s === "collar" || s === "shoulder")) set(j, d, 2, SHOULDER_PER_SD * t);
      if (d === 0 && s === "hip") set(j, d, 3, HIP_PER_SD * t);
    }
  });
  return out;
})();

function checkBetas(shape: BodyShape): readonly number[] {
  if (shape.betas.length !== NUM_BETAS) throw new Error(`shape: expected ${NUM_BETAS} betas, got ${shape.betas.length}`);
  return shape.betas;
}

/** Truncated standard normal, by rejection (acceptance ~99%). */
function truncatedNormal(rng: Rng, limit: number): number {
  for (;;) {
    const z = rng.normal();
    if (Math.abs(z) <= limit) return z;
  }
}

/** A random adult body: each beta ~ N(0, 1) truncated at +-BETA_LIMIT. */
export function sampleShape(rng: Rng): BodyShape {
  return { betas: Array.from({ length: NUM_BETAS }, () => truncatedNormal(rng, BETA_LIMIT)) };
}

/** The template body (betas all 0: 1.70 m, average proportions). */
export const MEAN_SHAPE: BodyShape = { betas: new Array(NUM_BETAS).fill(0) };

/** [25, 3] rest offsets of each joint from its parent, metres (root row 0). Linear in betas. */
export function restOffsets(shape: BodyShape): Float64Array {
  const b = checkBetas(shape);
  const out = Float64Array.from(SHAPE_TEMPLATE);
  for (let i = 0; i < out.length; i++) {
    for (let k = 0; k < NUM_BETAS; k++) out[i] += SHAPE_DIRS[i * NUM_BETAS + k] * b[k];
  }
  return out;
}

/** [25] length of the bone from each joint's parent to the joint, metres (root 0). */
export function boneLengths(shape: BodyShape): Float64Array {
  const o = restOffsets(shape);
  return Float64Array.from({ length: NUM_BODY_JOINTS }, (_, j) => Math.hypot(o[j * 3], o[j * 3 + 1], o[j * 3 + 2]));
}

/** Ankle height above the floor when standing (m); scales like the leg bones. */
export function ankleClearance(shape: BodyShape): number {
  const b = checkBetas(shape);
  return TEMPLATE_ANKLE_CLEARANCE * (1 + STATURE_PER_SD * b[0] + LIMB_PER_SD * b[1]);
}

/** [25, 3] rest (T-) pose in the world: metres, soles on y = 0, facing +Z, pelvis at x = z = 0. */
export function restPose(shape: BodyShape): Float64Array {
  const o = restOffsets(shape);
  const out = new Float64Array(NUM_BODY_JOINTS * 3);
  for (let j = 1; j < NUM_BODY_JOINTS; j++) {
    for (let d = 0; d < 3; d++) out[j * 3 + d] = out[BODY_PARENTS[j] * 3 + d] + o[j * 3 + d];
  }
  const ankle = BODY_25.indexOf("l_ankle");
  const dy = ankleClearance(shape) - out[ankle * 3 + 1];
  for (let j = 0; j < NUM_BODY_JOINTS; j++) out[j * 3 + 1] += dy;
  return out;
}

/** Leg length hip -> knee -> ankle (m), the scale the mocap root trajectory follows. */
export function legLength(shape: BodyShape): number {
  const L = boneLengths(shape);
  return L[BODY_25.indexOf("l_knee")] + L[BODY_25.indexOf("l_ankle")];
}

/** Limb-radius scale for the renderer (1 = template girth). */
export function girthScale(shape: BodyShape): number {
  return 1 + GIRTH_PER_SD * checkBetas(shape)[4];
}

/** Human-readable measurements of a shape (metres), for reports and sanity checks. */
export function describeShape(shape: BodyShape): { stature: number; legLength: number; armLength: number; shoulderWidth: number; hipWidth: number; girth: number } {
  const p = restPose(shape);
  const L = boneLengths(shape);
  const at = (n: BodyJoint, d: number) => p[BODY_25.indexOf(n) * 3 + d];
  return {
    stature: at("head_top", 1),
    legLength: legLength(shape),
    armLength: L[BODY_25.indexOf("l_elbow")] + L[BODY_25.indexOf("l_wrist")],
    shoulderWidth: at("l_shoulder", 0) - at("r_shoulder", 0),
    hipWidth: at("l_hip", 0) - at("r_hip", 0),
    girth: girthScale(shape),
  };
}
