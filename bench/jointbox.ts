/**
 * Probe: a box from the 2D head's joints. The label box is the visible-pixel box; for a fully visible
 * person it is the joints' extent plus the body's radius. Margins are fitted on the training domain's
 * labels (seed 7, never the test set), then applied to the regressed 2D joints on the studio, alone and
 * averaged with the regressed box. `node dist/bench/jointbox.js [checkpoint dir]`.
 */
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import { framesCounts, precisionRecall } from "../lib/eval/detection";
import { predict } from "../lib/model/decode";
import { MIN_HEIGHT_PX } from "../lib/stages/evaluate";

type Box = [number, number, number, number];
const extent = (j: readonly number[][]): Box => [Math.min(...j.map((q) => q[0])), Math.min(...j.map((q) => q[1])), Math.max(...j.map((q) => q[0])), Math.max(...j.map((q) => q[1]))];
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function main(): Promise<void> {
  const dir = process.argv[2] ?? "data/checkpoints/pretrained";
  await initBackend({ quiet: true });
  const { model } = await loadCheckpoint(dir);
  const cfg = resolveConfig({ quick: false, argv: [] });
  // Margins, as fractions of the joints' extent height, per side: medians over fully visible labels.
  const train = domainDataset("pretrain", cfg, 7);
  const m: number[][] = [[], [], [], []];
  for (let i = 0; i < 1500; i++) for (const p of train.get(i).people) {
    if (p.visible.some((v) => !v)) continue;
    const e = extent(p.joints2d), h = e[3] - e[1];
    if (h < 10) continue;
    m[0].push((e[0] - p.box[0]) / h); m[1].push((e[1] - p.box[1]) / h); m[2].push((p.box[2] - e[2]) / h); m[3].push((p.box[3] - e[3]) / h);
  }
  const margin = m.map(median);
  console.log(`margins (left, top, right, bottom) / joint-extent height: ${margin.map((v) => v.toFixed(3))}`);
  const jbox = (j: readonly number[][], W: number, H: number): Box => {
    const e = extent(j), h = e[3] - e[1];
    return [Math.max(0, e[0] - margin[0] * h), Math.max(0, e[1] - margin[1] * h), Math.min(W, e[2] + margin[2] * h), Math.min(H, e[3] + margin[3] * h)];
  };
  const studio = studioDataset(cfg, 0);
  const variants: Record<string, { gt: number[][]; pred: number[][] }[]> = { regressed: [], joints: [], mean: [] };
  const thr = Number(process.argv[3] ?? 0.5);
  for (let i = 0; i < studio.size; i += 32) {
    const ss = Array.from({ length: Math.min(32, studio.size - i) }, (_, k) => studio.get(i + k));
    const out = predict(model, ss.map((s) => s.image), ss.map((s) => s.camera), { joints2d: "regressed" });
    ss.forEach((s, k) => {
      const gt = s.people.map((p) => p.box as number[]);
      const ps = out[k].filter((p) => p.score >= thr);
      const W = s.camera.width, H = s.camera.height;
      const jb = ps.map((p) => jbox(p.joints2d, W, H));
      variants.regressed.push({ gt, pred: ps.map((p) => p.box) });
      variants.joints.push({ gt, pred: jb });
      variants.mean.push({ gt, pred: ps.map((p, n) => p.box.map((v, a) => (v + jb[n][a]) / 2)) });
    });
  }
  for (const [name, frames] of Object.entries(variants)) {
    const pr = precisionRecall(framesCounts(frames, { minHeightPx: MIN_HEIGHT_PX }));
    const all = precisionRecall(framesCounts(frames, {}));
    console.log(`${name}: people >= ${MIN_HEIGHT_PX} px P ${pr.precision.toFixed(3)} R ${pr.recall.toFixed(3)}; all people P ${all.precision.toFixed(3)} R ${all.recall.toFixed(3)}`);
  }
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
