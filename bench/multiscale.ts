/**
 * Two-scale testing, decode side only: the network is fully convolutional, so the same weights run on
 * the image upscaled 2x (a 256 px canvas), where a 30-35 px person is 60-70 px tall, the sizes the
 * detector finds best. Candidates from both scales are merged by box NMS, the upscaled pass
 * giving the small people and the native pass the large ones. Scored on the studio test set like
 * bench/detection.ts, plus MPJPE / PA-MPJPE ratios against the mean-pose baseline on the same
 * detections. Run by hand: `node dist/bench/multiscale.js [checkpoint dir]`; env SCALE (default 2), NMS (box IoU, default 0.5).
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig, type Config } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import type { PersonLabel } from "../lib/data/records";
import { framesCounts, precisionRecall } from "../lib/eval/detection";
import { boxIou } from "../lib/eval/metrics";
import { decodeMaps, disposeMaps, forward, predict } from "../lib/model/decode";
import { buildRegressor, imagesTensor, modelGeometry } from "../lib/model/regressor";
import { MIN_HEIGHT_PX, crmhOverall, meanPoses, scoreStudio, type FramePrediction } from "../lib/stages/evaluate";

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);

function nms(people: PersonLabel[], iou: number, max: number): PersonLabel[] {
  const kept: PersonLabel[] = [];
  for (const p of [...people].sort((a, b) => (b.score ?? 0) - (a.score ?? 0))) {
    if (kept.length >= max) break;
    if (kept.every((k) => boxIou(k.box, p.box) < iou)) kept.push(p);
  }
  return kept;
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? "data/checkpoints/pretrained";
  await initBackend({ quiet: true });
  const { model, config } = await loadCheckpoint<Config>(dir);
  const cfg = resolveConfig({ quick: false, argv: [] });
  const mcfg = config?.model ?? cfg.model;
  const scale = env("SCALE", 2);
  const big = buildRegressor({ ...mcfg, inputSize: mcfg.inputSize * scale }, 0);
  big.setWeights(model.getWeights());
  const g1 = modelGeometry(model);
  const g2 = { ...modelGeometry(big), trainedSize: g1.inputSize };
  const studio = studioDataset(cfg, 0);
  const both: { gt: PersonLabel[]; p1: PersonLabel[]; p2: PersonLabel[]; s: { sequence?: string; domain: string; frame?: number; index: number; cameraName?: string } }[] = [];
  const t0 = Date.now();
  let t1 = 0, t2 = 0;
  for (let i = 0; i < studio.size; i += 16) {
    const ss = Array.from({ length: Math.min(16, studio.size - i) }, (_, k) => studio.get(i + k));
    const cams = ss.map((s) => s.camera);
    let t = Date.now();
    const p1 = predict(model, ss.map((s) => s.image), cams, { scoreThreshold: 0.05, maxPeople: 12 });
    t1 += Date.now() - t;
    t = Date.now();
    const x = imagesTensor(ss.map((s) => ({ image: s.image, width: s.camera.width, height: s.camera.height })), g2.inputSize);
    const maps = forward(big, x, true);
    x.dispose();
    const p2 = decodeMaps(maps, cams, g2, { scoreThreshold: 0.05, maxPeople: 12 });
    disposeMaps(maps);
    t2 += Date.now() - t;
    ss.forEach((s, k) => both.push({ gt: s.people, p1: p1[k], p2: p2[k], s }));
  }
  console.log(`${dir}: studio, ${both.length} images; native ${((t1 / both.length)).toFixed(1)} ms/img, x${scale} ${(t2 / both.length).toFixed(1)} ms/img (flip test each), total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const { camera: mp } = meanPoses(domainDataset("pretrain", cfg, 0), 2000);
  const h = (p: PersonLabel) => p.box[3] - p.box[1];
  const variants: [string, (f: (typeof both)[number]) => PersonLabel[]][] = [
    ["native only", (f) => f.p1],
    [`x${scale} only`, (f) => f.p2],
  ];
  const nmsIou = env("NMS", 0.5);
  for (const [h2max, h1min] of [[40, 40], [45, 35], [45, 45], [50, 40], [60, 40], [1e9, 0]]) {
    variants.push([`x${scale} for h < ${h2max}, native for h >= ${h1min}, NMS ${nmsIou}`, (f) => nms([...f.p2.filter((p) => h(p) < h2max), ...f.p1.filter((p) => h(p) >= h1min)], nmsIou, 12)]);
  }
  console.log(`\n| merge | P / R at 0.5 | P / R at 0.4 | P / R at 0.3 | MPJPE ratio (tall) | PA ratio (tall) | MPJPE ratio (all) | R all |\n|---|---:|---:|---:|---:|---:|---:|---:|`);
  for (const [name, pick] of variants) {
    const merged = both.map((f) => ({ f, pred: pick(f) }));
    const pr = [0.5, 0.4, 0.3].map((thr) => {
      const c = framesCounts(merged.map((m) => ({ gt: m.f.gt.map((g) => g.box), pred: m.pred.filter((p) => (p.score ?? 0) >= thr).map((p) => p.box) })), { minHeightPx: MIN_HEIGHT_PX });
      const r = precisionRecall(c);
      return `${r.precision.toFixed(3)} / ${r.recall.toFixed(3)}`;
    });
    const preds: FramePrediction[] = merged.map((m) => ({ sequence: m.f.s.sequence ?? m.f.s.domain, frame: m.f.s.frame ?? m.f.s.index, camera: m.f.s.cameraName ?? "", gt: m.f.gt, pred: m.pred.filter((p) => (p.score ?? 0) >= 0.5) }));
    const ratio = (people: "all" | "tall", key: "mpjpe_mm" | "pa_mpjpe_mm") => {
      const a = crmhOverall(scoreStudio(preds, people)), b = crmhOverall(scoreStudio(preds, people, () => mp));
      return `${(a[key] / b[key]).toFixed(3)} (${a[key].toFixed(1)})`;
    };
    const all = scoreStudio(preds, "all").detection.find((d) => d.sequence === "all");
    console.log(`| ${name} | ${pr.join(" | ")} | ${ratio("tall", "mpjpe_mm")} | ${ratio("tall", "pa_mpjpe_mm")} | ${ratio("all", "mpjpe_mm")} | ${all?.recall.toFixed(3)} |`);
  }
  console.log(`tensors at end: ${tf.memory().numTensors}`);
  model.dispose();
  big.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
