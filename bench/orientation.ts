/**
 * How well a checkpoint knows which way people face, and what each 3D decoding scores, on the studio
 * test set (embedded synthetic world; not Panoptic numbers). Run by hand; rows go into
 * docs/model-notes.md:
 *
 *   node dist/bench/orientation.js [CHECKPOINT_DIR]      (default: the shipped checkpoint)
 *
 * Yaw: for every GT person >= 30 px tall matched to a prediction (bench/matched.ts), the
 * torso's yaw relative to its viewing ray (lib/body/orientation.ts) from the predicted pose against
 * the truth's: median absolute error, and the share off by more than 90 degrees (front/back confusions).
 */
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import { matchedPairs, yawErrorsDeg } from "./matched";
import type { YawDecode } from "../lib/model/decode";
import { PRETRAINED_DIR } from "../lib/stages/pretrain";
import { MIN_HEIGHT_PX, crmhOverall, meanPoses, predictSource, scoreStudio } from "../lib/stages/evaluate";

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const dir = process.argv[2] ?? PRETRAINED_DIR;
  const { model } = await loadCheckpoint(dir);
  const cfg = resolveConfig({ quick: false, argv: [] });
  const { camera: mp, torso: canonMean } = meanPoses(domainDataset("pretrain", cfg, 0), 2000);
  console.log(`checkpoint ${dir}; studio test set of the embedded synthetic world, people >= ${MIN_HEIGHT_PX} px, crmh protocol`);
  console.log("| 3D from | yaw decoding | det P / R | MPJPE mm (ratio to mean pose) | PA-MPJPE mm (ratio) | median yaw error deg | yaw error > 90 deg |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  for (const pose of ["fk", "direct"] as const) {
    for (const yaw of (process.env.YAWS ?? "argmax,expected,fit2d,flip2d,local").split(",") as YawDecode[]) {
      const preds = predictSource(model, studioDataset(cfg, 0), { quiet: true, pose, yaw, flipTest: process.env.FLIP_TEST !== "0" });
      const m = scoreStudio(preds, "tall"), b = scoreStudio(preds, "tall", () => mp);
      const all = crmhOverall;
      const det = m.detection.find((d) => d.sequence === "all")!;
      const errs = yawErrorsDeg(matchedPairs(preds));
      const med = errs[Math.floor(errs.length / 2)], flips = errs.filter((e) => e > 90).length / errs.length;
      const [mm, bm] = [all(m), all(b)];
      console.log(`| ${pose} | ${yaw} | ${det.precision.toFixed(3)} / ${det.recall.toFixed(3)} | ${mm.mpjpe_mm.toFixed(1)} (${(mm.mpjpe_mm / bm.mpjpe_mm).toFixed(3)}) | ${mm.pa_mpjpe_mm.toFixed(1)} (${(mm.pa_mpjpe_mm / bm.pa_mpjpe_mm).toFixed(3)}) | ${med.toFixed(1)} | ${(100 * flips).toFixed(1)}% of ${errs.length} |`);
    }
  }
  // canonMean: the reference that sees no image (lib/stages/evaluate.ts, meanPoses).
  const preds = predictSource(model, studioDataset(cfg, 0), { quiet: true });
  const c = crmhOverall(scoreStudio(preds, "tall", () => canonMean));
  const b = crmhOverall(scoreStudio(preds, "tall", () => mp));
  console.log(`\nNo-image reference on the same detections: the training set's mean torso-frame pose, PA-MPJPE ${c.pa_mpjpe_mm.toFixed(1)} mm (${(c.pa_mpjpe_mm / b.pa_mpjpe_mm).toFixed(3)} of the camera-frame mean pose's ${b.pa_mpjpe_mm.toFixed(1)}).`);
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
