/**
 * Does the flip test's agreement rank detections better than the heat score alone? For every flip-test
 * detection, `a` = the smaller of its box's best IoU with the one-pass detections and with the mirror
 * image's one-pass detections mapped back (flipPerson): a box both passes put in the same place is
 * better localised, and IoU 0.5 is what the detection criterion asks. A logistic regression
 * P(true positive | logit(score), a) is fitted on 1,500 held-out `pretrain` images (world seed 7, not
 * the test set), then applied unchanged to the studio test set. Run by hand:
 * `node dist/bench/agreement.js [checkpoint dir]` (docs/model-notes.md section 14).
 */
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import { flipPerson, type PersonLabel, type SampleSource } from "../lib/data/records";
import { framesCounts, matchBoxes, precisionRecall } from "../lib/eval/detection";
import { boxIou } from "../lib/eval/metrics";
import { decodeMaps, disposeMaps, forward } from "../lib/model/decode";
import { imagesTensor, modelGeometry } from "../lib/model/regressor";
import { MIN_HEIGHT_PX } from "../lib/stages/evaluate";
import type * as tf from "@tensorflow/tfjs";

interface Det { box: number[]; score: number; a: number }
interface Frame { gt: number[][]; pred: Det[] }

const logit = (s: number) => {
  const p = Math.min(1 - 1e-6, Math.max(1e-6, s));
  return Math.log(p / (1 - p));
};
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * One flip-test forward pass per batch, decoded three ways: both passes averaged (the decoder's
 * default), the image's pass alone, and the mirror pass alone (mapped back with flipPerson). The
 * mirror pass is decoded on the unmirrored cameras: only boxes are read, and they do not use the camera.
 */
function collect(model: tf.LayersModel, src: SampleSource, n: number): Frame[] {
  const frames: Frame[] = [], opts = { scoreThreshold: 0.05, maxPeople: 12 }, geom = modelGeometry(model);
  for (let i = 0; i < n; i += 32) {
    const ss = Array.from({ length: Math.min(32, n - i) }, (_, k) => src.get(i + k));
    const cams = ss.map((s) => s.camera);
    const x = imagesTensor(ss, geom.inputSize);
    const maps = forward(model, x, true);
    x.dispose();
    let both: PersonLabel[][], one: PersonLabel[][], mir: PersonLabel[][];
    try {
      both = decodeMaps(maps, cams, geom, opts);
      one = decodeMaps(maps.maps, cams, geom, opts);
      mir = decodeMaps(maps.mirrored!, cams, geom, opts);
    } finally {
      disposeMaps(maps);
    }
    ss.forEach((s, k) => {
      const back = mir[k].map((p) => flipPerson(p, s.width));
      const best = (box: number[], ps: readonly { box: number[] }[]) => Math.max(0, ...ps.map((q) => boxIou(box, q.box)));
      frames.push({ gt: s.people.map((g) => g.box), pred: both[k].map((p) => ({ box: p.box, score: p.score, a: Math.min(best(p.box, one[k]), best(p.box, back)) })) });
    });
  }
  return frames;
}

/** Logistic regression by Newton's method on [logit(score), a, 1]; labels: matched at IoU 0.5 (any height). */
function fit(frames: readonly Frame[]): number[] {
  const X: number[][] = [], Y: number[] = [];
  for (const f of frames) {
    const preds = [...f.pred].sort((p, q) => q.score - p.score);
    const match = matchBoxes(f.gt, preds.map((p) => p.box), 0.5);
    const hit = new Set(match.filter((m) => m >= 0));
    preds.forEach((p, i) => (X.push([logit(p.score), p.a, 1]), Y.push(hit.has(i) ? 1 : 0)));
  }
  let w = [1, 0, 0];
  for (let it = 0; it < 30; it++) {
    const g = [0, 0, 0], H = [[1e-6, 0, 0], [0, 1e-6, 0], [0, 0, 1e-6]];
    X.forEach((x, n) => {
      const p = sigmoid(x[0] * w[0] + x[1] * w[1] + x[2] * w[2]);
      for (let i = 0; i < 3; i++) {
        g[i] += (p - Y[n]) * x[i];
        for (let j = 0; j < 3; j++) H[i][j] += p * (1 - p) * x[i] * x[j];
      }
    });
    const A = H.map((r, i) => [...r, g[i]]);
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k < 3; k++) {
        if (k === i) continue;
        const f = A[k][i] / A[i][i];
        for (let j = i; j < 4; j++) A[k][j] -= f * A[i][j];
      }
    }
    w = w.map((v, i) => v - A[i][3] / A[i][i]);
  }
  return w;
}

function table(name: string, frames: readonly Frame[], score: (d: Det) => number): string {
  const cells = [0.7, 0.6, 0.5, 0.4, 0.3].map((t) => {
    const c = framesCounts(frames.map((f) => ({ gt: f.gt, pred: f.pred.filter((p) => score(p) >= t).map((p) => p.box) })), { iou: 0.5, minHeightPx: MIN_HEIGHT_PX });
    const pr = precisionRecall(c);
    return `${pr.precision.toFixed(3)} / ${pr.recall.toFixed(3)}`;
  });
  return `| ${name} | ${cells.join(" | ")} |`;
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? "data/checkpoints/pretrained";
  await initBackend({ quiet: true });
  const { model } = await loadCheckpoint(dir);
  const cfg = resolveConfig({ quick: false, argv: [] });
  const held = collect(model, domainDataset("pretrain", cfg, 7), 1500);
  const w = fit(held);
  const studio = studioDataset(cfg, 0);
  const test = collect(model, studio, studio.size);
  const fitted = (d: Det) => sigmoid(w[0] * logit(d.score) + w[1] * d.a + w[2]);
  console.log(`${dir}: fitted on 1500 held-out pretrain images (world seed 7): P(TP) = sigmoid(${w.map((v) => v.toFixed(3)).join(", ")} . [logit(score), a, 1])\n`);
  console.log(`people >= ${MIN_HEIGHT_PX} px, IoU 0.5; P / R at each threshold\n\n| images, score | 0.7 | 0.6 | 0.5 | 0.4 | 0.3 |\n|---|---:|---:|---:|---:|---:|`);
  console.log(table("held-out pretrain, heat score", held, (d) => d.score));
  console.log(table("held-out pretrain, fitted", held, fitted));
  console.log(table("studio test, heat score", test, (d) => d.score));
  console.log(table("studio test, fitted", test, fitted));
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
