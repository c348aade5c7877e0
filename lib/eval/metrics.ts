/**
 * Pose error metrics on plain arrays ([J][3], metres), so anyone's predictions can be scored: nothing
 * here knows about models or tensors (eval/ never imports model/ or train/).
 */
import { Matrix, SingularValueDecomposition, determinant } from "ml-matrix";

export type Joints = readonly (readonly number[])[];

function check(pred: Joints, gt: Joints, what: string): void {
  if (pred.length !== gt.length) throw new Error(`${what}: pred has ${pred.length} joints, gt has ${gt.length}`);
}

/** Per-joint Euclidean distances [J] (metres). */
export function jointErrors(pred: Joints, gt: Joints): number[] {
  check(pred, gt, "jointErrors");
  return gt.map((g, j) => Math.hypot(pred[j][0] - g[0], pred[j][1] - g[1], pred[j][2] - g[2]));
}

/** Mean per-joint position error (metres) of two poses as given (no alignment). */
export function mpjpe(pred: Joints, gt: Joints): number {
  const e = jointErrors(pred, gt);
  return e.reduce((s, v) => s + v, 0) / e.length;
}

/**
 * Procrustes alignment of `pred` to `gt`: the similarity transform (scale s, rotation R, translation t)
 * minimising sum_j w_j ||s R p_j + t - g_j||^2 (Umeyama 1991). The reflection fix: if det(U V^T) < 0,
 * the last singular direction flips sign, so R is a proper rotation (a mirrored pose is not "aligned").
 * `weights` (default all 1) selects the joints that define the alignment (e.g. the visible ones).
 * Returns the aligned prediction [J][3] (all joints transformed).
 */
export function procrustesAlign(pred: Joints, gt: Joints, weights?: readonly number[]): number[][] {
  check(pred, gt, "procrustesAlign");
  const J = gt.length;
  const w = weights ?? new Array(J).fill(1);
  const W = w.reduce((s, v) => s + v, 0);
  if (!(W > 0)) throw new Error("procrustesAlign: no joint has positive weight");
  const mp = [0, 1, 2].map((k) => pred.reduce((s, p, j) => s + w[j] * p[k], 0) / W);
  const mg = [0, 1, 2].map((k) => gt.reduce((s, g, j) => s + w[j] * g[k], 0) / W);
  const P = pred.map((p) => [p[0] - mp[0], p[1] - mp[1], p[2] - mp[2]]);
  const G = gt.map((g) => [g[0] - mg[0], g[1] - mg[1], g[2] - mg[2]]);
  // Cross-covariance K = sum_j w_j g_j p_j^T (3 x 3); R = U D V^T maximises trace(R^T K).
  const K = Matrix.zeros(3, 3);
  let varP = 0;
  for (let j = 0; j < J; j++) {
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) K.set(a, b, K.get(a, b) + w[j] * G[j][a] * P[j][b]);
    varP += w[j] * (P[j][0] ** 2 + P[j][1] ** 2 + P[j][2] ** 2);
  }
  const svd = new SingularValueDecomposition(K);
  const U = svd.leftSingularVectors, V = svd.rightSingularVectors, S = svd.diagonal;
  const d = Math.sign(determinant(U.mmul(V.transpose()))) || 1;
  const D = Matrix.diag([1, 1, d]);
  const R = U.mmul(D).mmul(V.transpose());
  const s = varP > 0 ? (S[0] + S[1] + d * S[2]) / varP : 1;
  return P.map((p) => {
    const rp = [0, 1, 2].map((a) => R.get(a, 0) * p[0] + R.get(a, 1) * p[1] + R.get(a, 2) * p[2]);
    return [s * rp[0] + mg[0], s * rp[1] + mg[1], s * rp[2] + mg[2]];
  });
}

/** MPJPE after Procrustes alignment (metres). */
export function paMpjpe(pred: Joints, gt: Joints): number {
  return mpjpe(procrustesAlign(pred, gt), gt);
}

/** [J][3] minus joint `root` (default the pelvis, joint 0 of H36M_17). */
export function rootRelativeOf(joints: Joints, root = 0): number[][] {
  const r = joints[root];
  return joints.map((p) => [p[0] - r[0], p[1] - r[1], p[2] - r[2]]);
}

/** Intersection over union of two [x0, y0, x1, y1] boxes. */
export function boxIou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}
