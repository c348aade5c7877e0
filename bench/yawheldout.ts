/**
 * A held-out check for the yaw decodings (lib/model/decode.ts, DecodeOptions.yaw) before one becomes
 * the default. bench/orientation.ts compares them on the studio test set, which is where the study's
 * figures come from, so a decoding chosen there is chosen on the test set. This one scores them on
 * pretrain-domain images the checkpoint never saw (dataset seed 7; training used seed 0), embedded
 * synthetic world, not Panoptic numbers. Run by hand:
 *
 *   node dist/bench/yawheldout.js [CHECKPOINT_DIR] [IMAGES=600]      (YAWS=argmax,local by default)
 *
 * Per GT person >= 30 px tall matched to a prediction (bench/matched.ts): root-relative MPJPE and
 * PA-MPJPE over all body joints, mm, and the median absolute torso-yaw error.
 */
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { domainDataset } from "../lib/data/datasets";
import { mpjpe, paMpjpe } from "../lib/eval/metrics";
import { matchedPairs, yawErrorsDeg } from "./matched";
import type { YawDecode } from "../lib/model/decode";
import { PRETRAINED_DIR } from "../lib/stages/pretrain";
import { predictSource } from "../lib/stages/evaluate";

const mean = (xs: number[]) => xs.reduce((a, c) => a + c, 0) / xs.length;

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const dir = process.argv[2] ?? PRETRAINED_DIR;
  const limit = Number(process.argv[3] ?? 600);
  const { model } = await loadCheckpoint(dir);
  const cfg = resolveConfig({ quick: false, argv: [] });
  const source = domainDataset("pretrain", cfg, 7);
  console.log(`checkpoint ${dir}; ${limit} held-out pretrain-domain images (${source.name}) of the embedded synthetic world, people >= 30 px`);
  console.log("| 3D from | yaw decoding | matched people | MPJPE mm | PA-MPJPE mm | median yaw error deg | yaw error > 90 deg |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  for (const pose of ["fk", "direct"] as const) {
    for (const yaw of (process.env.YAWS ?? "argmax,local").split(",") as YawDecode[]) {
      const pairs = matchedPairs(predictSource(model, source, { quiet: true, pose, yaw, flipTest: true, limit }));
      const e = pairs.map(({ gt, pred }) => 1000 * mpjpe(pred.joints3dRel, gt.joints3dRel));
      const pa = pairs.map(({ gt, pred }) => 1000 * paMpjpe(pred.joints3dRel, gt.joints3dRel));
      const yawErr = yawErrorsDeg(pairs);
      const flips = yawErr.filter((x) => x > 90).length / yawErr.length;
      console.log(`| ${pose} | ${yaw} | ${pairs.length} | ${mean(e).toFixed(1)} | ${mean(pa).toFixed(1)} | ${yawErr[Math.floor(yawErr.length / 2)].toFixed(1)} | ${(100 * flips).toFixed(1)}% |`);
    }
  }
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
