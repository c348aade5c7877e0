/**
 * Who the detector misses: every tall studio person (>= 30 px) without a score >= 0.5 match at IoU 0.5,
 * split by how much of the body is visible and by what the nearest prediction looks like.
 * `node dist/bench/misses.js [checkpoint dir] [pretrain]` (docs/model-notes.md section 11). With `pretrain`,
 * the same split on 2000 images of the training domain drawn with another seed (7), which training never
 * saw: it tells a model that cannot find hidden people from a domain that does not teach them.
 */
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import { matchBoxes } from "../lib/eval/detection";
import { boxIou } from "../lib/eval/metrics";
import { predict } from "../lib/model/decode";
import { MIN_HEIGHT_PX } from "../lib/stages/evaluate";

async function main(): Promise<void> {
  const dir = process.argv[2] ?? "data/checkpoints/pretrained";
  await initBackend({ quiet: true });
  const { model } = await loadCheckpoint(dir);
  const cfg = resolveConfig({ quick: false, argv: [] });
  const held = process.argv[3] === "pretrain" ? domainDataset("pretrain", cfg, 7) : null;
  const studio = held ? { size: 2000, get: (i: number) => held.get(i) } : studioDataset(cfg, 0);
  const rows: { vis: number; matched: boolean; bestIou: number; bestScore: number; centreIn: boolean; h: number; nPeople: number; wRatio: number; hRatio: number; nearCentre: boolean }[] = [];
  // Stride-4 heat cell of a box's centre: two people within one cell of each other share a 3x3 peak-NMS window.
  const heatCell = (b: readonly number[]) => [Math.floor((b[0] + b[2]) / 8), Math.floor((b[1] + b[3]) / 8)];
  for (let i = 0; i < studio.size; i += 32) {
    const ss = Array.from({ length: Math.min(32, studio.size - i) }, (_, k) => studio.get(i + k));
    const out = predict(model, ss.map((s) => s.image), ss.map((s) => s.camera), { scoreThreshold: 0.05, maxPeople: 12 });
    ss.forEach((s, k) => {
      const gt = s.people;
      const match = matchBoxes(gt.map((g) => g.box), out[k].filter((p) => p.score >= 0.5).map((p) => p.box));
      gt.forEach((g, gi) => {
        const h = g.box[3] - g.box[1];
        if (h < MIN_HEIGHT_PX) return;
        let bestIou = 0, bestScore = 0, wRatio = NaN, hRatio = NaN;
        for (const p of out[k]) {
          const iou = boxIou(g.box, p.box);
          if (iou > bestIou) { bestIou = iou; bestScore = p.score; wRatio = (p.box[2] - p.box[0]) / (g.box[2] - g.box[0]); hRatio = (p.box[3] - p.box[1]) / h; }
        }
        const centreIn = out[k].some((p) => { const cx = (p.box[0] + p.box[2]) / 2, cy = (p.box[1] + p.box[3]) / 2; return p.score >= 0.3 && cx >= g.box[0] && cx <= g.box[2] && cy >= g.box[1] && cy <= g.box[3]; });
        const vis = g.visible.reduce((a, b) => a + b, 0) / g.visible.length;
        const c = heatCell(g.box);
        const nearCentre = gt.some((o, oi) => oi !== gi && heatCell(o.box).every((v, a) => Math.abs(v - c[a]) <= 1));
        rows.push({ vis, matched: match[gi] >= 0, bestIou, bestScore, centreIn, h, nPeople: gt.length, wRatio, hRatio, nearCentre });
      });
    });
  }
  const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(p * (s.length - 1))]; };
  const quartiles = (xs: number[]) => [0.25, 0.5, 0.75].map((p) => q(xs, p).toFixed(2));
  const miss = rows.filter((r) => !r.matched);
  console.log(`${dir} on ${held ? "pretrain (seed 7)" : "studio"}: ${rows.length} tall people, ${miss.length} missed at (score 0.5, IoU 0.5)`);
  for (const [lo, hi] of [[0, 0.5], [0.5, 0.8], [0.8, 0.99], [0.99, 1.01]]) {
    const g = rows.filter((r) => r.vis >= lo && r.vis < hi);
    console.log(`visible joints ${lo}-${hi}: ${g.length} people, recall ${(g.filter((r) => r.matched).length / g.length).toFixed(3)}`);
  }
  for (const [name, g] of [["under 80% visible", rows.filter((r) => r.vis < 0.8)], ["the others", rows.filter((r) => r.vis >= 0.8)]] as const) {
    const near = g.filter((r) => r.nearCentre);
    console.log(`${name}: ${near.length} of ${g.length} (${(near.length / g.length).toFixed(3)}) have their box centre within one heat cell of another person's (one peak-NMS window); their recall ${(near.filter((r) => r.matched).length / Math.max(1, near.length)).toFixed(3)}`);
  }
  for (const [lo, hi] of [[30, 35], [35, 40], [40, 50], [50, 200]]) {
    const g = rows.filter((r) => r.h >= lo && r.h < hi);
    console.log(`height ${lo}-${hi}: ${g.length} people, recall ${(g.filter((r) => r.matched).length / g.length).toFixed(3)}`);
  }
  for (const n of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const g = rows.filter((r) => r.nPeople === n);
    if (g.length) console.log(`people in image ${n}: ${g.length}, recall ${(g.filter((r) => r.matched).length / g.length).toFixed(3)}`);
  }
  for (const [lo, hi] of [[30, 35], [35, 40], [40, 50]]) {
    const g = rows.filter((r) => r.h >= lo && r.h < hi && r.vis > 0.99);
    const mm = g.filter((r) => !r.matched && r.bestIou >= 0.2);
    console.log(`fully visible, height ${lo}-${hi}: ${g.length} people, recall ${(g.filter((r) => r.matched).length / g.length).toFixed(3)}; misses' best IoU quartiles ${quartiles(g.filter((r) => !r.matched).map((r) => r.bestIou))} width ratio ${quartiles(mm.map((r) => r.wRatio))} height ratio ${quartiles(mm.map((r) => r.hRatio))}`);
  }
  const count = (xs: typeof rows, f: (r: (typeof rows)[number]) => boolean) => xs.filter(f).length;
  const cat = (f: (r: (typeof rows)[number]) => boolean) => count(miss, f);
  console.log(`misses: best IoU >= 0.5 but score < 0.5: ${cat((r) => r.bestIou >= 0.5 && r.bestScore < 0.5)}; best IoU >= 0.5 with score >= 0.5 (lost in matching): ${cat((r) => r.bestIou >= 0.5 && r.bestScore >= 0.5)}; best IoU 0.3-0.5: ${cat((r) => r.bestIou >= 0.3 && r.bestIou < 0.5)}; < 0.3: ${cat((r) => r.bestIou < 0.3)}; centre inside: ${cat((r) => r.centreIn)}`);
  const m = miss.filter((r) => r.bestIou >= 0.2);
  console.log(`misses with best IoU >= 0.2: width ratio quartiles ${quartiles(m.map((r) => r.wRatio))}, height ratio ${quartiles(m.map((r) => r.hRatio))}`);
  // Hidden people: is there no peak at all, or a peak whose box is the wrong size (e.g. the whole body
  // instead of the visible part that the label's box covers)?
  const hm = miss.filter((r) => r.vis < 0.8);
  const hid = (f: (r: (typeof rows)[number]) => boolean) => count(hm, f);
  const hmm = hm.filter((r) => r.bestIou >= 0.2);
  console.log(`misses under 80% visible (${hm.length}): best IoU >= 0.5 but score < 0.5: ${hid((r) => r.bestIou >= 0.5 && r.bestScore < 0.5)}; 0.3-0.5: ${hid((r) => r.bestIou >= 0.3 && r.bestIou < 0.5)}; 0.1-0.3: ${hid((r) => r.bestIou >= 0.1 && r.bestIou < 0.3)}; < 0.1: ${hid((r) => r.bestIou < 0.1)}; best box's score >= 0.3: ${hid((r) => r.bestIou >= 0.2 && r.bestScore >= 0.3)}; with best IoU >= 0.2: width ratio ${quartiles(hmm.map((r) => r.wRatio))} height ratio ${quartiles(hmm.map((r) => r.hRatio))}`);
  const hit = rows.filter((r) => r.matched);
  console.log(`matched: width ratio quartiles ${quartiles(hit.map((r) => r.wRatio))}, height ratio ${quartiles(hit.map((r) => r.hRatio))}`);
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
