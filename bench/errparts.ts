/**
 * Where a checkpoint's root-relative 3D error is, on the studio test set (embedded synthetic world; not
 * Panoptic numbers). Run by hand; rows go into docs/model-notes.md:
 *
 *   node dist/bench/errparts.js [CHECKPOINT_DIR]      (default: the shipped checkpoint)
 *
 * For every GT person >= 30 px tall matched one-to-one to a prediction (box IoU >= 0.5, best first), the
 * root-relative MPJPE of the prediction and of the mean-pose baseline as given, after the best scale
 * only (s = <P, G> / <P, P>, "N-MPJPE"), after the best rotation only (Procrustes without scale), and
 * after both (PA). Also the size ratio sqrt(<G, G> / <P, P>) of the root-relative poses (orientation-free):
 * whether the predicted bodies are too large or too small, and (for the mean pose) how much sizes vary.
 */
import { Matrix, SingularValueDecomposition, determinant } from "ml-matrix";
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import { boxIou, mpjpe, paMpjpe, rootRelativeOf, type Joints } from "../lib/eval/metrics";
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

const quart = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return [0.25, 0.5, 0.75].map((q) => s[Math.floor(q * (s.length - 1))].toFixed(3)).join(" / ");
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
  for (const pose of ["fk", "direct"] as const) {
    const preds = predictSource(model, studioDataset(cfg, 0), { quiet: true, pose });
    const rows: Record<string, number[]> = { raw: [], scale: [], rot: [], pa: [], s: [], bRaw: [], bScale: [], bRot: [], bPa: [], bS: [] };
    for (const f of preds) {
      const used = new Set<number>();
      for (const g of f.gt.filter((q) => q.box[3] - q.box[1] >= MIN_HEIGHT_PX)) {
        let best = -1, iou = 0.5;
        f.pred.forEach((p, k) => {
          const v = boxIou(g.box, p.box);
          if (!used.has(k) && v >= iou) [best, iou] = [k, v];
        });
        if (best < 0) continue;
        used.add(best);
        const G = rootRelativeOf(g.joints3d), P = rootRelativeOf(f.pred[best].joints3d);
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
    }
    const mm = (xs: number[]) => ((1000 * xs.reduce((a, b) => a + b, 0)) / xs.length).toFixed(1);
    console.log(`| ${pose} | ${rows.raw.length} | ${mm(rows.raw)} | ${mm(rows.scale)} | ${mm(rows.rot)} | ${mm(rows.pa)} | ${quart(rows.s)} |`);
    console.log(`| mean pose, same people | ${rows.bRaw.length} | ${mm(rows.bRaw)} | ${mm(rows.bScale)} | ${mm(rows.bRot)} | ${mm(rows.bPa)} | ${quart(rows.bS)} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
