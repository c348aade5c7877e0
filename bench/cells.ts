/**
 * Where a checkpoint's heatmap peaks fall relative to the cells its regression rows were trained at,
 * and what reading a person at its peak costs against reading it at its centre cell. Studio test set
 * of the embedded synthetic world (not Panoptic numbers), people >= 30 px tall. Run by hand; rows go
 * into docs/model-notes.md section 10:
 *
 *   node dist/bench/cells.js [CHECKPOINT_DIR]      (default: the shipped checkpoint)
 *
 * For each tall GT person: the cell holding its box centre (the "centre cell", the only cell the
 * `regressAt: "centre"` loss trains), the 2x2 block of cells around the centre (`"nearest4"`), and the
 * highest heatmap logit in the centre cell's 3x3 neighbourhood (where a decoded peak lands). Then, at
 * the peak and at the centre cell: the box-centre error (px), the direct head's torso-frame 3D L1
 * against the label (m per coordinate) and the yaw-class accuracy. Last, the studio metrics of each
 * decoding's `cells` option (lib/model/decode.ts) for both 3D outputs, against the mean-pose baseline
 * on the same detections.
 */
import * as tf from "@tensorflow/tfjs";
import { orientationTarget } from "../lib/body/orientation";
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import { MAP, MAP_CHANNELS, cellBlock, imagesTensor, modelGeometry } from "../lib/model/regressor";
import { PRETRAINED_DIR } from "../lib/stages/pretrain";
import { MIN_HEIGHT_PX, crmhOverall, meanPose, predictSource, scoreStudio, type StudioScores } from "../lib/stages/evaluate";
import { personRay } from "../lib/train/targets";

interface Acc { n: number; boxPx: number; l1: number; yaw: number; n3d: number }
const acc = (): Acc => ({ n: 0, boxPx: 0, l1: 0, yaw: 0, n3d: 0 });

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const dir = process.argv[2] ?? PRETRAINED_DIR;
  const { model } = await loadCheckpoint(dir);
  const geom = modelGeometry(model), G = geom.grid, st = geom.stride, C = MAP_CHANNELS;
  const cfg = resolveConfig({ quick: false, argv: [] });
  const studio = studioDataset(cfg, 0);
  let tall = 0, atCentre = 0, inBlock = 0;
  const read = { peak: acc(), centreSame: acc(), peakElsewhere: acc(), centreElsewhere: acc() };
  for (let i = 0; i < studio.size; i += 32) {
    const ss = Array.from({ length: Math.min(32, studio.size - i) }, (_, k) => studio.get(i + k));
    const x = imagesTensor(ss, geom.inputSize);
    const maps = model.predict(x) as tf.Tensor;
    const d = maps.dataSync();
    tf.dispose([x, maps]);
    ss.forEach((s, b) => {
      const sc = geom.inputSize / s.width;
      const at = (cx: number, cy: number, c: number) => d[((b * G + cy) * G + cx) * C + c];
      // A cell's heat: its best stride-4 sub-cell (regressor.ts HEAT_SUB), as heatPeaks reads it.
      const heat = (cx: number, cy: number) => Math.max(...Array.from({ length: MAP.heat[1] }, (_, k) => at(cx, cy, MAP.heat[0] + k)));
      for (const g of s.people) {
        if (g.box[3] - g.box[1] < MIN_HEIGHT_PX) continue;
        tall++;
        const cx = ((g.box[0] + g.box[2]) / 2) * sc, cy = ((g.box[1] + g.box[3]) / 2) * sc;
        const ix = Math.min(G - 1, Math.floor(cx / st)), iy = Math.min(G - 1, Math.floor(cy / st));
        let px = ix, py = iy;
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const qx = ix + dx, qy = iy + dy;
          if (qx >= 0 && qy >= 0 && qx < G && qy < G && heat(qx, qy) > heat(px, py)) [px, py] = [qx, qy];
        }
        const same = px === ix && py === iy;
        if (same) atCentre++;
        if (cellBlock(cx / st, cy / st, G).some((c) => c !== null && c[0] === px && c[1] === py)) inBlock++;
        const t = g.has3d ? orientationTarget(g.joints3dRel, personRay(g, s)) : null;
        const score = (qx: number, qy: number, a: Acc) => {
          a.n++;
          a.boxPx += Math.hypot((qx + at(qx, qy, MAP.boxOffset[0])) * st - cx, (qy + at(qx, qy, MAP.boxOffset[0] + 1)) * st - cy) / sc;
          if (!t) return;
          a.n3d++;
          let l1 = 0;
          for (let j = 0; j < 17; j++) for (let k = 0; k < 3; k++) l1 += Math.abs(at(qx, qy, MAP.joints3d[0] + 3 * j + k) - t.canonical[j][k]);
          a.l1 += l1 / 51;
          let best = 0;
          for (let k = 1; k < MAP.yawLogits[1]; k++) if (at(qx, qy, MAP.yawLogits[0] + k) > at(qx, qy, MAP.yawLogits[0] + best)) best = k;
          if (best === t.bin) a.yaw++;
        };
        score(px, py, read.peak);
        if (same) score(ix, iy, read.centreSame);
        else {
          score(px, py, read.peakElsewhere);
          score(ix, iy, read.centreElsewhere);
        }
      }
    });
  }
  console.log(`${dir}: studio seed 0, ${tall} people >= ${MIN_HEIGHT_PX} px tall (embedded synthetic world)`);
  console.log(`3x3 heatmap peak at the centre cell: ${(atCentre / tall).toFixed(3)}; inside the 2x2 block around the centre: ${(inBlock / tall).toFixed(3)}\n`);
  console.log("| read at | people | box-centre error px | direct 3D L1 m (torso frame) | yaw-class accuracy |\n|---|---:|---:|---:|---:|");
  const row = (name: string, a: Acc) => console.log(`| ${name} | ${a.n} | ${(a.boxPx / a.n).toFixed(2)} | ${(a.l1 / a.n3d).toFixed(4)} | ${(a.yaw / a.n3d).toFixed(3)} |`);
  row("the peak (all people)", read.peak);
  row("the centre cell, where the peak is there", read.centreSame);
  row("the peak, where it is not the centre cell", read.peakElsewhere);
  row("the centre cell, same people", read.centreElsewhere);

  const mp = meanPose(domainDataset("pretrain", cfg, 0), 2000);
  const crmh = (x: StudioScores, k: "mpjpe_mm" | "pa_mpjpe_mm") => crmhOverall(x)[k];
  console.log("\n| cells | 3D from | recall | precision | MPJPE mm (ratio) | PA-MPJPE mm (ratio) |\n|---|---|---:|---:|---:|---:|");
  for (const cells of ["peak", "block", "blockPose"] as const) {
    for (const pose of ["fk", "direct"] as const) {
      const preds = predictSource(model, studio, { quiet: true, pose, cells });
      const m = scoreStudio(preds, "tall"), b = scoreStudio(preds, "tall", () => mp);
      const det = m.detection.find((d) => d.sequence === "all")!;
      const ratio = (k: "mpjpe_mm" | "pa_mpjpe_mm") => `${crmh(m, k).toFixed(1)} (${(crmh(m, k) / crmh(b, k)).toFixed(3)})`;
      console.log(`| ${cells} | ${pose} | ${det.recall.toFixed(3)} | ${det.precision.toFixed(3)} | ${ratio("mpjpe_mm")} | ${ratio("pa_mpjpe_mm")} |`);
    }
  }
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
