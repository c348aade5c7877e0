/**
 * Where a checkpoint's detection recall goes: precision and recall on the studio test set (people
 * >= 30 px tall, lib/eval/detection.ts) at several score thresholds and box-IoU criteria, the share of
 * tall people with a prediction centred inside their box, and the quartiles of each person's best
 * IoU. Run by hand: `node dist/bench/detection.js <checkpoint dir>` (docs/model-notes.md); `BOX_CENTRE=regressed|heat|mean`
 * picks the decoder's box centre (default: the decoder's own, mean).
 */
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { studioDataset } from "../lib/data/datasets";
import type { PersonLabel } from "../lib/data/records";
import { framesCounts, precisionRecall } from "../lib/eval/detection";
import { boxIou } from "../lib/eval/metrics";
import { predict, type DecodeOptions } from "../lib/model/decode";
import { MIN_HEIGHT_PX } from "../lib/stages/evaluate";

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: node dist/bench/detection.js <checkpoint dir>");
  await initBackend({ quiet: true });
  const { model } = await loadCheckpoint(dir);
  const studio = studioDataset(resolveConfig({ quick: false, argv: [] }), 0);
  const frames: { gt: PersonLabel[]; pred: PersonLabel[] }[] = [];
  for (let i = 0; i < studio.size; i += 32) {
    const ss = Array.from({ length: Math.min(32, studio.size - i) }, (_, k) => studio.get(i + k));
    const out = predict(model, ss.map((s) => s.image), ss.map((s) => s.camera), { scoreThreshold: 0.05, maxPeople: 12, boxCentre: process.env.BOX_CENTRE as DecodeOptions["boxCentre"] });
    ss.forEach((s, k) => frames.push({ gt: s.people, pred: out[k] }));
  }
  console.log(`${dir}: studio seed 0, ${frames.length} images, people >= ${MIN_HEIGHT_PX} px\n\n| score >= | IoU >= 0.5: P / R | IoU >= 0.3: P / R |\n|---:|---:|---:|`);
  for (const thr of [0.5, 0.4, 0.3, 0.2, 0.1]) {
    const cells = [0.5, 0.3].map((iou) => {
      const c = framesCounts(frames.map((f) => ({ gt: f.gt.map((g) => g.box), pred: f.pred.filter((p) => p.score >= thr).map((p) => p.box) })), { iou, minHeightPx: MIN_HEIGHT_PX });
      const pr = precisionRecall(c);
      return `${pr.precision.toFixed(3)} / ${pr.recall.toFixed(3)}`;
    });
    console.log(`| ${thr} | ${cells.join(" | ")} |`);
  }
  let n = 0, centred = 0;
  const best: number[] = [];
  for (const f of frames) {
    for (const g of f.gt) {
      if (g.box[3] - g.box[1] < MIN_HEIGHT_PX) continue;
      n++;
      const cands = f.pred.filter((p) => p.score >= 0.3);
      const inside = (p: PersonLabel) => {
        const cx = (p.box[0] + p.box[2]) / 2, cy = (p.box[1] + p.box[3]) / 2;
        return cx >= g.box[0] && cx <= g.box[2] && cy >= g.box[1] && cy <= g.box[3];
      };
      if (cands.some(inside)) centred++;
      best.push(Math.max(0, ...cands.map((p) => boxIou(g.box, p.box))));
    }
  }
  best.sort((a, b) => a - b);
  console.log(`\n${n} tall people: a score >= 0.3 prediction centred inside the box for ${(centred / n).toFixed(3)}; best IoU quartiles ${[0.25, 0.5, 0.75].map((q) => best[Math.floor(q * n)].toFixed(2)).join(" / ")}`);
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
