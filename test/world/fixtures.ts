/**
 * Test and benchmark poses that do not need the body model: a standing A-pose built by walking BODY_PARENTS
 * with rest offsets of an average adult (~1.75 m; values rounded from the SMPL neutral template's joints).
 * The person faces +z with their left on +x, as SMPL's rest pose does.
 */
import { BODY_25, BODY_PARENTS, BodyJoint, NUM_BODY_JOINTS } from "../../lib/body/joints";
import type { Appearance } from "../../lib/world/render";

const A = (40 * Math.PI) / 180; // arms 40 degrees below horizontal
/** Offset of each joint from its parent, metres, world axes (y up). Right side mirrors x. */
const LEFT_OFFSETS: Partial<Record<BodyJoint, [number, number, number]>> = {
  pelvis: [0, 0, 0],
  l_hip: [0.06, -0.09, 0],
  spine1: [0, 0.11, -0.01],
  l_knee: [0.035, -0.38, 0.005],
  spine2: [0, 0.135, 0.02],
  l_ankle: [-0.01, -0.42, -0.035],
  spine3: [0, 0.055, 0],
  l_foot: [0.03, -0.055, 0.12],
  neck: [0, 0.21, -0.03],
  l_collar: [0.075, 0.12, -0.01],
  head: [0, 0.09, 0.05],
  l_shoulder: [0.12, 0.045, -0.01],
  l_elbow: [0.26 * Math.cos(A), -0.26 * Math.sin(A), 0],
  l_wrist: [0.25 * Math.cos(A), -0.25 * Math.sin(A), 0],
  l_hand: [0.085 * Math.cos(A), -0.085 * Math.sin(A), 0],
  head_top: [0, 0.2, 0.01],
};

function offsetOf(name: BodyJoint): [number, number, number] {
  const left = LEFT_OFFSETS[name];
  if (left) return left;
  const m = LEFT_OFFSETS[("l_" + name.slice(2)) as BodyJoint];
  if (!name.startsWith("r_") || !m) throw new Error(`fixtures: no rest offset for ${name}`);
  return [-m[0], m[1], m[2]];
}

/**
 * [25, 3] world metres: a standing A-pose at ground position (x, z), turned by `yawDeg` about the vertical
 * (0 faces +z), uniformly scaled by `scale`, with the ankles 8 cm above the ground.
 */
export function standingPose(x = 0, z = 0, yawDeg = 0, scale = 1): Float64Array {
  const local = new Float64Array(NUM_BODY_JOINTS * 3);
  BODY_25.forEach((name, j) => {
    const p = BODY_PARENTS[j], o = offsetOf(name);
    for (let e = 0; e < 3; e++) local[3 * j + e] = (p < 0 ? 0 : local[3 * p + e]) + scale * o[e];
  });
  const ankle = local[3 * BODY_25.indexOf("l_ankle") + 1];
  const c = Math.cos((yawDeg * Math.PI) / 180), s = Math.sin((yawDeg * Math.PI) / 180);
  const out = new Float64Array(local.length);
  for (let j = 0; j < NUM_BODY_JOINTS; j++) {
    const lx = local[3 * j], lz = local[3 * j + 2];
    out[3 * j] = x + c * lx + s * lz;
    out[3 * j + 1] = local[3 * j + 1] - ankle + 0.08 * scale;
    out[3 * j + 2] = z - s * lx + c * lz;
  }
  return out;
}

/** A few distinct outfits for pictures and benchmarks. */
export const OUTFITS: Appearance[] = [
  { skin: [0.87, 0.68, 0.56], top: [0.75, 0.15, 0.15], bottom: [0.15, 0.2, 0.4], hair: [0.25, 0.15, 0.08] },
  { skin: [0.55, 0.38, 0.28], top: [0.2, 0.55, 0.3], bottom: [0.3, 0.3, 0.32], hair: [0.08, 0.06, 0.05], longSleeves: true },
  { skin: [0.95, 0.8, 0.7], top: [0.9, 0.85, 0.3], bottom: [0.45, 0.35, 0.25], hair: [0.75, 0.6, 0.3] },
  { skin: [0.35, 0.24, 0.18], top: [0.2, 0.35, 0.8], bottom: [0.1, 0.1, 0.12], hair: [0.05, 0.05, 0.05] },
];
