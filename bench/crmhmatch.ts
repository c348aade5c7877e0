/**
 * Whose prediction the crmh protocol scores each person with, on the studio test set (embedded synthetic
 * world; not Panoptic numbers). Run by hand; rows go into docs/model-notes.md (section 28):
 *
 *   node dist/bench/crmhmatch.js [CHECKPOINT_DIR] [fk|direct]      (default: the shipped checkpoint, fk)
 *
 * crmh (lib/eval/protocols.ts, faithful to CRMH's code) gives every GT person the prediction whose pose
 * is nearest its own, so a person may be scored with another person's pose. That makes its MPJPE a
 * minimum over the frame's predictions: a change that makes each person's own pose better can leave it
 * where it was (section 28: a crop refiner, -5.5% per person, crmh unchanged). This prints, for the people >= 30 px tall
 * that detection matches one-to-one (IoU >= 0.5, bench/matched.ts), how often crmh picks that same prediction, and the
 * MPJPE of the one-to-one pairs next to crmh's and the strict protocol's, with the mean-pose baseline.
 */
import { initBackend } from "../lib/core/backend";
import { loadCheckpoint } from "../lib/core/checkpoint";
import { resolveConfig } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import type { PersonLabel } from "../lib/data/records";
import { evaluateFrame } from "../lib/eval/protocols";
import { PRETRAINED_DIR } from "../lib/stages/pretrain";
import { matchedPairs } from "./matched";
import { MIN_HEIGHT_PX, crmhOverall, meanPoses, predictSource, scoreStudio, type PoseHead } from "../lib/stages/evaluate";

async function main(): Promise<void> {
  const dir = process.argv[2] ?? PRETRAINED_DIR;
  const pose = (process.argv[3] ?? "fk") as PoseHead;
  if (pose !== "fk" && pose !== "direct") throw new Error(`crmhmatch: pose must be fk or direct, got ${pose}`);
  await initBackend({ quiet: true });
  const { model } = await loadCheckpoint(dir);
  const cfg = resolveConfig({ quick: false, argv: [] });
  const preds = predictSource(model, studioDataset(cfg, 0), { quiet: true, pose });
  model.dispose();
  const { camera: mean } = meanPoses(domainDataset("pretrain", cfg, 0), 2000);
  // The prediction crmh scores each tall GT person with, from the same frames scoreStudio builds (tall GT, every prediction).
  const crmhPick = new Map<PersonLabel, PersonLabel>();
  for (const f of preds) {
    const tall = f.gt.filter((g) => g.box[3] - g.box[1] >= MIN_HEIGHT_PX);
    if (!tall.length || !f.pred.length) continue;
    const rows = evaluateFrame({ sequence: f.sequence, frame: f.frame, gt: tall.map((g) => ({ joints3d: g.joints3dRel, visible: g.visible })), pred: f.pred.map((p) => ({ joints3d: p.joints3dRel, score: p.score })) }, "crmh");
    rows.forEach((r, i) => crmhPick.set(tall[i], f.pred[r.match]));
  }
  // crmh's own per-person error (visibility-weighted, 17 in the denominator) with the pairing fixed.
  const own = (g: PersonLabel, joints3d: number[][]) => evaluateFrame({ sequence: "", frame: 0, gt: [{ joints3d: g.joints3dRel, visible: g.visible }], pred: [{ joints3d }] }, "crmh")[0].mpjpe;
  // Paired as the detection metric pairs them (matched.ts), so `pairs` is the people its recall counts.
  const pairs = matchedPairs(preds);
  const same = pairs.filter(({ gt, pred }) => crmhPick.get(gt) === pred).length;
  const pairErr = pairs.reduce((a, { gt, pred }) => a + own(gt, pred.joints3dRel), 0);
  const pairBase = pairs.reduce((a, { gt }) => a + own(gt, mean), 0);
  const model_ = scoreStudio(preds, "tall"), base = scoreStudio(preds, "tall", () => mean);
  const strict = (s: typeof model_) => s.summary.find((r) => r.protocol === "strict" && r.sequence === "all")!.mpjpe_mm;
  const c = crmhOverall(model_).mpjpe_mm, cb = crmhOverall(base).mpjpe_mm;
  console.log(`${dir} (${pose}), studio, people >= ${MIN_HEIGHT_PX} px:`);
  console.log(`  ${pairs.length} detected one-to-one; crmh scores ${same} (${(same / pairs.length).toFixed(3)}) of them with that same prediction`);
  console.log("| pairing | model MPJPE mm | mean-pose baseline mm | ratio |\n|---|---:|---:|---:|");
  console.log(`| crmh (nearest pose; every tall person) | ${c.toFixed(1)} | ${cb.toFixed(1)} | ${(c / cb).toFixed(3)} |`);
  console.log(`| strict (one-to-one by pose, 150 mm per miss) | ${strict(model_).toFixed(1)} | ${strict(base).toFixed(1)} | ${(strict(model_) / strict(base)).toFixed(3)} |`);
  console.log(`| one-to-one by box (detected people only) | ${(1000 * pairErr / pairs.length).toFixed(1)} | ${(1000 * pairBase / pairs.length).toFixed(1)} | ${(pairErr / pairBase).toFixed(3)} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
