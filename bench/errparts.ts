/**
 * Where a checkpoint's root-relative 3D error is, on the studio test set (embedded synthetic world; not
 * Panoptic numbers). Run by hand; rows go into docs/model-notes.md:
 *
 *   node dist/bench/errparts.js [CHECKPOINT_DIR]      (default: the shipped checkpoint)
 *
 * For every GT person >= 30 px tall matched one-to-one to a prediction (bench/matched.ts), the
 * root-relative MPJPE of the prediction and of the mean-pose baseline as given, after the best scale
 * only (s = <P, G> / <P, P>, "N-MPJPE"), after the best rotation only (Procrustes without scale), and
 * after both (PA). Also the size ratio sqrt(<G, G> / <P, P>) of the root-relative poses (orientation-free):
 * whether the predicted bodies are too large or too small, and (for the mean pose) how much sizes vary.
 *
 * Then the torso's pitch (the up axis's lean about the camera's x axis, lib/body/orientation.ts
 * torsoFrame) predicted against true, next to the pitch of the viewing ray through the pelvis: a conv
 * net reads a person's appearance, which depends on the ray, while the tilt target is in camera axes,
 * so an error that follows the ray's pitch is one that a ray-relative tilt target would remove.
 */
import { Matrix, SingularValueDecomposition, determinant } from "ml-matrix";
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import { mpjpe, paMpjpe, rootRelativeOf, type Joints } from "../lib/eval/metrics";
import { matchedPairs } from "./matched";
import { torsoFrame } from "../lib/body/orientation";
import { PRETRAINED_DIR } from "../lib/stages/pretrain";
import { MIN_HEIGHT_PX, meanPoses, predictSource } from "../lib/stages/evaluate";

const dot = (a: Joints, b: Joints) => a.reduce((s, p, j) => s + p[0] * b[j][0] + p[1] * b[j][1] + p[2] * b[j][2], 0);
const scaled = (p: Joints, s: number) => p.map((q) => q.map((v) => v * s));
const bestScale = (p: Joints, g: Joints) => dot(p, g) / dot(p, p);

/** The rotation about the root (origin) that best maps p onto g, without scale (Kabsch). */
function rotated(p: Joints, g: Joints): number[][] {
  const K = Matrix.zeros(3, 3);
  p.forEach((q, j) => {
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) K.set(a, b, K.get(a, b) + g[j][a] * q[b]);
  });
  const svd = new SingularValueDecomposition(K);
  const U = svd.leftSingularVectors, V = svd.rightSingularVectors;
  const d = Math.sign(determinant(U.mmul(V.transpose()))) || 1;
  const R = U.mmul(Matrix.diag([1, 1, d])).mmul(V.transpose());
  return p.map((q) => [0, 1, 2].map((a) => R.get(a, 0) * q[0] + R.get(a, 1) * q[1] + R.get(a, 2) * q[2]));
}

/** Lean of the torso's up axis about the camera's x axis (towards the camera positive; y points down). */
function pitchOf(joints3dRel: Joints): number | null {
  const T = torsoFrame(joints3dRel);
  return T ? Math.atan2(-T[7], -T[4]) : null;
}

/** p turned by `a` radians about the camera's x axis (the sign that adds `a` to pitchOf). */
const turnX = (p: Joints, a: number) => p.map((q) => [q[0], Math.cos(a) * q[1] - Math.sin(a) * q[2], Math.sin(a) * q[1] + Math.cos(a) * q[2]]);

/** Least-squares line y = a + b x, and the correlation. */
function fitLine(x: number[], y: number[]): { a: number; b: number; r: number } {
  const n = x.length, mx = x.reduce((s, v) => s + v, 0) / n, my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  x.forEach((v, i) => { sxy += (v - mx) * (y[i] - my); sxx += (v - mx) ** 2; syy += (y[i] - my) ** 2; });
  const b = sxy / sxx;
  return { a: my - b * mx, b, r: sxy / Math.sqrt(sxx * syy) };
}

/** Quartiles of xs, each times `k`, with `digits` decimals. */
const quart = (xs: number[], k = 1, digits = 3) => {
  const s = [...xs].sort((a, b) => a - b);
  return [0.25, 0.5, 0.75].map((q) => (s[Math.floor(q * (s.length - 1))] * k).toFixed(digits)).join(" / ");
};

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const dir = process.argv[2] ?? PRETRAINED_DIR;
  const { model } = await loadCheckpoint(dir);
  const cfg = resolveConfig({ quick: false, argv: [] });
  const { camera: mean } = meanPoses(domainDataset("pretrain", cfg, 0), 2000);
  console.log(`checkpoint ${dir}; studio test set of the embedded synthetic world, people >= ${MIN_HEIGHT_PX} px, one-to-one box matching`);
  console.log("| 3D from | people | MPJPE mm | after scale | after rotation | after both (PA) | size ratio quartiles |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  const pitchRows: Record<string, string> = {};
  for (const pose of ["fk", "direct"] as const) {
    const preds = predictSource(model, studioDataset(cfg, 0), { quiet: true, pose });
    const rows: Record<string, number[]> = { raw: [], scale: [], rot: [], pa: [], s: [], bRaw: [], bScale: [], bRot: [], bPa: [], bS: [] };
    const pairs = matchedPairs(preds);
    for (const { gt, pred } of pairs) {
      const G = rootRelativeOf(gt.joints3d), P = rootRelativeOf(pred.joints3d);
      for (const [x, pre] of [[P, ""], [mean, "b"]] as const) {
        const k = (n: string) => (pre ? pre + n[0].toUpperCase() + n.slice(1) : n);
        const s = bestScale(x, G);
        rows[k("raw")].push(mpjpe(x, G));
        rows[k("scale")].push(mpjpe(scaled(x, s), G));
        rows[k("rot")].push(mpjpe(rotated(x, G), G));
        rows[k("pa")].push(paMpjpe(x, G));
        rows[k("s")].push(Math.sqrt(dot(G, G) / dot(x, x)));
      }
    }
    const mm = (xs: number[]) => ((1000 * xs.reduce((a, b) => a + b, 0)) / xs.length).toFixed(1);
    pitchRows[pose] = pitchReport(pairs);
    console.log(`| ${pose} | ${rows.raw.length} | ${mm(rows.raw)} | ${mm(rows.scale)} | ${mm(rows.rot)} | ${mm(rows.pa)} | ${quart(rows.s)} |`);
    console.log(`| mean pose, same people | ${rows.bRaw.length} | ${mm(rows.bRaw)} | ${mm(rows.bScale)} | ${mm(rows.bRot)} | ${mm(rows.bPa)} | ${quart(rows.bS)} |`);
  }
  console.log("\nTorso pitch, same people (degrees; error = predicted - true; MPJPE mm)");
  console.log("| 3D from | people | true pitch quartiles | ray pitch quartiles | median abs pitch error | error on ray pitch: slope, r | error on true pitch: slope, r | MPJPE | pitch error removed | ray line removed |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [pose, row] of Object.entries(pitchRows)) console.log(`| ${pose} | ${row} |`);
  model.dispose();
}

function pitchReport(pairs: ReturnType<typeof matchedPairs>): string {
  const deg = 180 / Math.PI, ray: number[] = [], truth: number[] = [], err: number[] = [], P: Joints[] = [], G: Joints[] = [];
  for (const { gt, pred } of pairs) {
    const g = rootRelativeOf(gt.joints3d), p = rootRelativeOf(pred.joints3d), a = pitchOf(g), b = pitchOf(p), r = gt.joints3d[0];
    if (a === null || b === null) continue;
    ray.push(Math.atan2(r[1], r[2]));
    truth.push(a);
    err.push(b - a);
    P.push(p);
    G.push(g);
  }
  const onRay = fitLine(ray, err), onTruth = fitLine(truth, err);
  const q = (xs: number[]) => quart(xs, deg, 1);
  const mean = (f: (i: number) => number) => ((1000 * P.reduce((s, _, i) => s + f(i), 0)) / P.length).toFixed(1);
  const absErr = err.map(Math.abs).sort((u, v) => u - v);
  return [
    P.length, q(truth), q(ray), (absErr[absErr.length >> 1] * deg).toFixed(1),
    `${onRay.b.toFixed(2)}, ${onRay.r.toFixed(2)}`, `${onTruth.b.toFixed(2)}, ${onTruth.r.toFixed(2)}`,
    mean((i) => mpjpe(P[i], G[i])), mean((i) => mpjpe(turnX(P[i], -err[i]), G[i])), mean((i) => mpjpe(turnX(P[i], -(onRay.a + onRay.b * ray[i])), G[i])),
  ].join(" | ");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
