/**
 * Forward kinematics of the BODY_25 tree, twice: plain TypeScript for data generation and a batched,
 * differentiable tfjs version for the model. Both follow SMPL's convention: joint j's local rotation
 * R_j turns everything below j, so
 *   G_j = G_parent(j) . R_j            (world rotation; G_root = R_root, the global orientation)
 *   p_j = p_parent(j) + G_parent(j) . offset_j
 * with `offset_j` the rest-pose offset from the parent (shape.ts). head_top is a leaf without its own
 * rotation, hence 24 rotations (SMPL_24) for 25 joints. Rotation matrices are row-major 3x3.
 *
 * 6D rotations (Zhou et al., CVPR 2019, "On the continuity of rotation representations"): the first
 * two COLUMNS of R, flattened row-major [R00, R01, R10, R11, R20, R21], as SPIN's and CRMH's
 * `rot6d_to_rotmat` read them (`x.view(-1, 3, 2)`); Gram-Schmidt turns any 6 numbers back into a
 * rotation. Legend: B = batch, J = 25 joints, R = 24 rotations.
 */
import * as tf from "@tensorflow/tfjs";
import { BODY_PARENTS, NUM_BODY_JOINTS, SMPL_24 } from "./joints";
import { NUM_BETAS, SHAPE_DIRS, SHAPE_TEMPLATE } from "./shape";

/** Joints with their own rotation (SMPL's 24; head_top has none). */
export const NUM_ROTATIONS = SMPL_24.length;

// ---------------------------------------------------------------- plain TypeScript (float64)

/** A row-major 3x3 matrix. */
export type Mat3 = Float64Array;

export function mat3Identity(): Mat3 {
  return Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
}

/** a . b for row-major 3x3 matrices. */
export function mat3Mul(a: ArrayLike<number>, b: ArrayLike<number>, out: Mat3 = new Float64Array(9)): Mat3 {
  const r = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 3; k++) r[i * 3 + k] = a[i * 3] * b[k] + a[i * 3 + 1] * b[3 + k] + a[i * 3 + 2] * b[6 + k];
  }
  out.set(r);
  return out;
}

/** Rotation from 6D (see header), Gram-Schmidt. `v` is read from `at` on. */
export function rot6dToMat3(v: ArrayLike<number>, at = 0): Mat3 {
  const a1 = [v[at], v[at + 2], v[at + 4]];
  const a2 = [v[at + 1], v[at + 3], v[at + 5]];
  const n1 = Math.hypot(a1[0], a1[1], a1[2]) || 1;
  const b1 = a1.map((x) => x / n1);
  const d = b1[0] * a2[0] + b1[1] * a2[1] + b1[2] * a2[2];
  const u2 = a2.map((x, i) => x - d * b1[i]);
  const n2 = Math.hypot(u2[0], u2[1], u2[2]) || 1;
  const b2 = u2.map((x) => x / n2);
  const b3 = [b1[1] * b2[2] - b1[2] * b2[1], b1[2] * b2[0] - b1[0] * b2[2], b1[0] * b2[1] - b1[1] * b2[0]];
  return Float64Array.of(b1[0], b2[0], b3[0], b1[1], b2[1], b3[1], b1[2], b2[2], b3[2]);
}

/** [6] 6D representation of a rotation matrix (its first two columns, row-major). */
export function mat3ToRot6d(m: ArrayLike<number>): Float64Array {
  return Float64Array.of(m[0], m[1], m[3], m[4], m[6], m[7]);
}

/** Rotation about unit-free `axis` by |axis| radians (Rodrigues); a zero vector gives I. */
export function axisAngleToMat3(aa: ArrayLike<number>): Mat3 {
  const th = Math.hypot(aa[0], aa[1], aa[2]);
  if (th < 1e-12) return mat3Identity();
  const [x, y, z] = [aa[0] / th, aa[1] / th, aa[2] / th];
  const c = Math.cos(th), s = Math.sin(th), C = 1 - c;
  return Float64Array.of(
    c + x * x * C, x * y * C - z * s, x * z * C + y * s,
    y * x * C + z * s, c + y * y * C, y * z * C - x * s,
    z * x * C - y * s, z * y * C + x * s, c + z * z * C,
  );
}

/** Rotation from a quaternion [w, x, y, z] (normalised here). */
export function quatToMat3(q: ArrayLike<number>): Mat3 {
  const n = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
  const [w, x, y, z] = [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
  return Float64Array.of(
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  );
}

/** Rotation about one coordinate axis by `rad` radians. */
export function axisRotation(axis: "X" | "Y" | "Z", rad: number): Mat3 {
  const c = Math.cos(rad), s = Math.sin(rad);
  if (axis === "X") return Float64Array.of(1, 0, 0, 0, c, -s, 0, s, c);
  if (axis === "Y") return Float64Array.of(c, 0, s, 0, 1, 0, -s, 0, c);
  return Float64Array.of(c, -s, 0, s, c, 0, 0, 0, 1);
}

/**
 * Forward kinematics, float64.
 * @param rotations [R or J, 9] local rotations, row-major (a 25th, head_top's, is ignored)
 * @param offsets   [J, 3] rest offsets from the parent, metres (restOffsets(shape))
 * @param rootPos   [3] pelvis position in the world, metres
 * @returns         [J, 3] world joint positions, metres
 */
export function fk(rotations: ArrayLike<number>, offsets: ArrayLike<number>, rootPos: ArrayLike<number> = [0, 0, 0]): Float64Array {
  if (rotations.length < NUM_ROTATIONS * 9) throw new Error(`fk: need ${NUM_ROTATIONS} rotations, got ${rotations.length / 9}`);
  const G = new Float64Array(NUM_ROTATIONS * 9);
  const P = new Float64Array(NUM_BODY_JOINTS * 3);
  for (let j = 0; j < NUM_BODY_JOINTS; j++) {
    const p = BODY_PARENTS[j];
    const Rj = j < NUM_ROTATIONS ? Float64Array.from({ length: 9 }, (_, i) => rotations[j * 9 + i]) : null;
    if (p < 0) {
      for (let d = 0; d < 3; d++) P[d] = rootPos[d];
      if (Rj) G.set(Rj, 0);
      continue;
    }
    const Gp = G.subarray(p * 9, p * 9 + 9);
    for (let d = 0; d < 3; d++) {
      P[j * 3 + d] = P[p * 3 + d] + Gp[d * 3] * offsets[j * 3] + Gp[d * 3 + 1] * offsets[j * 3 + 1] + Gp[d * 3 + 2] * offsets[j * 3 + 2];
    }
    if (Rj) G.set(mat3Mul(Gp, Rj), j * 9);
  }
  return P;
}

// ---------------------------------------------------------------- tfjs (batched, differentiable)

/** Guards the Gram-Schmidt norms: sqrt(|x|^2 + eps) keeps the gradient finite at 0. */
const NORM_EPS = 1e-8;

/**
 * 6D -> rotation matrix, batched (Gram-Schmidt, see header).
 * @param x [..., 6]
 * @returns [..., 3, 3] rotation matrices (orthonormal, det +1)
 */
export function rot6dToMatrix(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const lead = x.shape.slice(0, -1);
    const m = x.reshape([-1, 3, 2]);
    const a1 = m.slice([0, 0, 0], [-1, 3, 1]).reshape([-1, 3]);
    const a2 = m.slice([0, 0, 1], [-1, 3, 1]).reshape([-1, 3]);
    const unit = (v: tf.Tensor) => v.div(v.square().sum(-1, true).add(NORM_EPS).sqrt());
    const b1 = unit(a1);
    const b2 = unit(a2.sub(b1.mul(a2).sum(-1, true).mul(b1)));
    const [x1, y1, z1] = tf.unstack(b1, 1);
    const [x2, y2, z2] = tf.unstack(b2, 1);
    const b3 = tf.stack([y1.mul(z2).sub(z1.mul(y2)), z1.mul(x2).sub(x1.mul(z2)), x1.mul(y2).sub(y1.mul(x2))], 1);
    return tf.stack([b1, b2, b3], -1).reshape([...lead, 3, 3]); // columns b1 b2 b3
  });
}

/**
 * Batched forward kinematics, root-relative (pelvis at 0).
 * @param rot6d   [B, 24, 6] local rotations in 6D (joint 0 = global orientation)
 * @param offsets [B, 25, 3] rest offsets, metres (restOffsetsTf(betas))
 * @returns       [B, 25, 3] joint positions relative to the pelvis, metres
 */
export function fkTf(rot6d: tf.Tensor, offsets: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const B = rot6d.shape[0];
    const R = tf.unstack(rot6dToMatrix(rot6d), 1); // R x [B, 3, 3]
    const O = tf.unstack(offsets.reshape([B, NUM_BODY_JOINTS, 3, 1]), 1); // J x [B, 3, 1]
    const G: tf.Tensor[] = [];
    const P: tf.Tensor[] = [];
    for (let j = 0; j < NUM_BODY_JOINTS; j++) {
      const p = BODY_PARENTS[j];
      if (p < 0) {
        P.push(tf.zeros([B, 3, 1]));
        G.push(R[0]);
        continue;
      }
      P.push(P[p].add(tf.matMul(G[p], O[j])));
      if (j < NUM_ROTATIONS) G.push(tf.matMul(G[p], R[j]));
    }
    return tf.stack(P, 1).reshape([B, NUM_BODY_JOINTS, 3]);
  });
}

/**
 * Rest offsets from betas, batched; the same linear decoding as shape.ts's `restOffsets`.
 * @param betas [B, 5]
 * @returns     [B, 25, 3] metres
 */
export function restOffsetsTf(betas: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const B = betas.shape[0];
    const template = tf.tensor2d(Float32Array.from(SHAPE_TEMPLATE), [1, NUM_BODY_JOINTS * 3]);
    const dirs = tf.tensor2d(Float32Array.from(SHAPE_DIRS), [NUM_BODY_JOINTS * 3, NUM_BETAS]); // (J*3 x K)
    // (B x K) x (K x J*3) -> B x J*3
    return template.add(tf.matMul(betas, dirs, false, true)).reshape([B, NUM_BODY_JOINTS, 3]);
  });
}
