/**
 * The body's orientation, split so that a network can learn it (plain TypeScript, float64).
 *
 * Why: L1 regression of camera-frame 3D joints settles on the median of what the image allows, and a
 * capsule body seen from the front or the back looks much alike, so the 3D heads of the first
 * pretraining run learned little more than the mean pose (docs/model-notes.md section 3: an oracle
 * body frame plus the mean pose in that frame already gives 0.73x the mean pose's MPJPE). So the
 * model predicts the pose in the body's own TORSO FRAME (`orientationTarget(...).canonical`: articulation
 * only) and, separately, the torso frame's rotation in camera axes, as
 *
 *   T = R_y(psi) . F . Q
 *
 * - psi: the yaw of the torso's forward direction about the camera's y axis, predicted as a class
 *   over `YAW_BINS` bins of the yaw RELATIVE TO THE VIEWING RAY (what the image shows does not change
 *   when a person walks across the image facing the same way as seen from the camera) plus a residual
 *   within the bin. Cross-entropy over bins keeps front and back as two modes instead of averaging
 *   them (the yaw-bin idea of 3D detectors, e.g. Mousavian et al., CVPR 2017, "MultiBin").
 * - F = diag(-1, -1, 1): upright in camera axes (y down) is the body's +y turned to -y.
 * - Q: the remaining tilt (the camera's pitch, the body's lean), near identity for an upright person
 *   and a level camera, regressed as 6D (kinematics.ts).
 *
 * The torso frame (its columns, camera axes): e1 = the person's left (r_hip -> l_hip), e2 = up (pelvis
 * -> neck, made orthogonal to e1), e3 = e1 x e2 = forward. These are the body model's template axes
 * (left +x, up +y, facing +z), so the body model in this frame starts from the identity root rotation.
 *
 * Legend: joints are H36M_17 [17][3] metres, pelvis-relative; matrices row-major 3x3.
 */
import { H36M_17 } from "./joints";
import { mat3Mul, mat3ToRot6d, rot6dToMat3, type Mat3 } from "./kinematics";

/** Yaw classes: 8 bins of 45 degrees. */
export const YAW_BINS = 8;
const BIN = (2 * Math.PI) / YAW_BINS;
const L_HIP = H36M_17.indexOf("l_hip"), R_HIP = H36M_17.indexOf("r_hip"), NECK = H36M_17.indexOf("neck"), PELVIS = H36M_17.indexOf("pelvis");
const F: Mat3 = Float64Array.of(-1, 0, 0, 0, -1, 0, 0, 0, 1);

/** Angle wrapped to [-pi, pi). */
export function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}

/** Rotation about the camera's y axis by psi: maps +z to (sin psi, 0, cos psi). */
export function rotY(psi: number): Mat3 {
  const c = Math.cos(psi), s = Math.sin(psi);
  return Float64Array.of(c, 0, s, 0, 1, 0, -s, 0, c);
}

function transpose(m: ArrayLike<number>): Mat3 {
  return Float64Array.of(m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]);
}

/** R . p for each joint. */
export function rotateJoints(R: ArrayLike<number>, joints: readonly (readonly number[])[]): number[][] {
  return joints.map((p) => [0, 1, 2].map((i) => R[3 * i] * p[0] + R[3 * i + 1] * p[1] + R[3 * i + 2] * p[2]));
}

/**
 * The torso frame [e1 e2 e3] (columns; see header) of a pose, or null when its hips, pelvis or neck
 * are missing or degenerate (coincident hips, spine along the hips).
 */
export function torsoFrame(joints: readonly (readonly number[])[]): Mat3 | null {
  const need = [L_HIP, R_HIP, NECK, PELVIS].map((j) => joints[j]);
  if (need.some((p) => !p || p.length < 3 || !p.every(Number.isFinite))) return null;
  const h = [0, 1, 2].map((i) => need[0][i] - need[1][i]);
  const s = [0, 1, 2].map((i) => need[2][i] - need[3][i]);
  const nh = Math.hypot(h[0], h[1], h[2]);
  if (nh < 1e-6) return null;
  const e1 = h.map((v) => v / nh);
  const d = e1[0] * s[0] + e1[1] * s[1] + e1[2] * s[2];
  const u = s.map((v, i) => v - d * e1[i]);
  const nu = Math.hypot(u[0], u[1], u[2]);
  if (nu < 1e-6 * Math.max(1, Math.hypot(s[0], s[1], s[2]))) return null;
  const e2 = u.map((v) => v / nu);
  const e3 = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
  return Float64Array.of(e1[0], e2[0], e3[0], e1[1], e2[1], e3[1], e1[2], e2[2], e3[2]);
}

/**
 * Yaw of the viewing ray: the direction from a pelvis at camera position (x, z) back to the camera,
 * about the camera's y axis. A body facing the camera along that ray has relative yaw 0.
 */
export function rayYaw(x: number, z: number): number {
  return Math.atan2(-x, -z);
}

/** What the orientation head is trained on, for one person. */
export interface OrientationTarget {
  /** [17][3] the pose in its torso frame */
  canonical: number[][];
  /** yaw class, 0..YAW_BINS-1 */
  bin: number;
  /** (relative yaw - bin centre) / bin width, in [-0.5, 0.5) */
  residual: number;
  /** [6] the tilt Q, 6D */
  tilt6d: number[];
}

/** Bin centre (relative yaw, radians): bin 0 at -pi (seen from the back), bin YAW_BINS/2 at 0 (facing the camera, the commonest view, so no bin edge there). */
export function binCentre(bin: number): number {
  return -Math.PI + bin * BIN;
}

/**
 * Split a camera-frame pose into its torso-frame pose and the frame's yaw class, residual and tilt.
 * @param joints3dRel pelvis-relative, camera axes
 * @param ray         rayYaw of the person's pelvis
 */
export function orientationTarget(joints3dRel: readonly (readonly number[])[], ray: number): OrientationTarget | null {
  const T = torsoFrame(joints3dRel);
  if (!T) return null;
  const psi = Math.atan2(T[2], T[8]); // forward = column 3: (T02, T12, T22)
  const rel = wrapAngle(psi - ray);
  const bin = Math.floor((rel + Math.PI) / BIN + 0.5) % YAW_BINS;
  const Q = mat3Mul(F, mat3Mul(transpose(rotY(psi)), T));
  return { canonical: rotateJoints(transpose(T), joints3dRel), bin, residual: wrapAngle(rel - binCentre(bin)) / BIN, tilt6d: Array.from(mat3ToRot6d(Q)) };
}

/** The torso frame T = R_y(psi) F Q from a yaw class and residual, a 6D tilt (any 6 numbers) and the ray's yaw. */
export function composeFrame(bin: number, residual: number, tilt6d: ArrayLike<number>, ray: number): Mat3 {
  const psi = ray + binCentre(bin) + residual * BIN;
  return mat3Mul(rotY(psi), mat3Mul(F, rot6dToMat3(tilt6d)));
}
