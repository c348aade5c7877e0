/**
 * A short pretraining probe for design choices: train a model config on the world's pretrain domain for
 * a fixed number of steps, then score it on the studio test set against the mean-pose baseline (the
 * issue's quality bars). Run by hand; rows go into docs/model-notes.md:
 *
 *   node dist/bench/probe.js --steps 600 [--model '{"inputSize":96}'] [--train '{"lr":2e-3}'] [--loss '{...}'] [--out DIR]
 *
 * JSON overrides are shallow per section (`loss.weights` is replaced whole).
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { initBackend } from "../lib/core/backend";
import { resolveConfig } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import { predict } from "../lib/model/decode";
import { DEFAULT_MODEL, buildRegressor, modelStats } from "../lib/model/regressor";
import { meanPose, scoreStudio, type FramePrediction } from "../lib/stages/evaluate";
import { DEFAULT_LOSS } from "../lib/train/losses";
import { DEFAULT_PRETRAIN, readLossCsv, train } from "../lib/train/loop";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const steps = Number(arg("steps") ?? 600);
  const seed = Number(arg("seed") ?? 0);
  const model = { ...DEFAULT_MODEL, ...JSON.parse(arg("model") ?? "{}") };
  const trainCfg = { ...DEFAULT_PRETRAIN, epochs: 1, stepsPerEpoch: steps, maxMinutes: 0, ...JSON.parse(arg("train") ?? "{}") };
  const loss = { ...DEFAULT_LOSS, ...JSON.parse(arg("loss") ?? "{}") };
  const out = arg("out") ?? join("results", "probes", `probe-${Date.now()}`);
  const cfg = resolveConfig({ quick: false, argv: [] });
  // World scenes that cannot be placed throw (pretrain seed 0 index 187447 did, at world commit 7592df5):
  // the probe takes the next index instead and counts them.
  const world = domainDataset("pretrain", cfg, seed);
  let skipped = 0;
  const pretrain = {
    ...world,
    get(i: number) {
      for (let k = 0; ; k++) {
        try {
          return world.get((i + k) % world.size);
        } catch (e) {
          if (k > 10) throw e;
          skipped++;
        }
      }
    },
  };
  const net = buildRegressor(model, seed);
  const t0 = Date.now();
  await train({ model: net, sources: [{ source: pretrain, weight: 1 }], cfg: { train: trainCfg, loss }, runDir: out, seed, plot: "end", quiet: true, config: { model, train: trainCfg, loss } });
  const minutes = (Date.now() - t0) / 60000;
  const rows = readLossCsv(join(out, "losses.csv"));
  const ips = rows.slice(2).map((r) => r.imagesPerSec).sort((a, b) => a - b)[Math.floor((rows.length - 2) / 2)];
  const last = (k: keyof (typeof rows)[number]) => rows.slice(-50).reduce((s, r) => s + (r[k] as number), 0) / Math.min(50, rows.length);
  // Studio evaluation as lib/stages/evaluate.ts does it, for both 3D decodings (body model, direct head).
  const studio = studioDataset(cfg, seed);
  const preds = { fk: [] as FramePrediction[], direct: [] as FramePrediction[] };
  for (let i = 0; i < studio.size; i += 32) {
    const samples = Array.from({ length: Math.min(32, studio.size - i) }, (_, k) => studio.get(i + k));
    for (const pose of ["fk", "direct"] as const) {
      const out = predict(net, samples.map((s) => s.image), samples.map((s) => s.camera), { pose });
      samples.forEach((s, k) => preds[pose].push({ sequence: s.sequence ?? s.domain, frame: s.frame ?? s.index, camera: s.cameraName ?? "", gt: s.people, pred: out[k] }));
    }
  }
  const mp = meanPose(pretrain, 2000);
  const pick = (s: ReturnType<typeof scoreStudio>) => ({
    crmh: s.summary.find((r) => r.sequence === "all" && r.protocol === "crmh")!,
    strict: s.summary.find((r) => r.sequence === "all" && r.protocol === "strict")!,
    det: s.detection.find((d) => d.sequence === "all")!,
  });
  const st = modelStats(net);
  console.log(JSON.stringify({ model, train: trainCfg, loss: arg("loss") ?? "default", skippedWorldSamples: skipped }));
  console.log("| input | params | steps x batch | train min | img/s | last-50 total / j3d / j3d direct / det | 3D from | det P / R (>=30 px) | MPJPE mm model / base (ratio) | PA-MPJPE mm model / base (ratio) | strict MPJPE ratio |");
  for (const pose of ["fk", "direct"] as const) {
    const m = pick(scoreStudio(preds[pose], "tall")), b = pick(scoreStudio(preds[pose], "tall", () => mp)); // "tall": people >= 30 px, the bar
    console.log(
      `| ${model.inputSize} | ${st.params} | ${steps} x ${trainCfg.batchSize} | ${minutes.toFixed(1)} | ${ips.toFixed(1)} | ${last("total").toFixed(3)} / ${last("joints3d").toFixed(4)} / ${last("joints3dDirect").toFixed(4)} / ${last("heatmap").toFixed(3)} | ${pose} | ` +
        `${m.det.precision.toFixed(3)} / ${m.det.recall.toFixed(3)} | ${m.crmh.mpjpe_mm.toFixed(1)} / ${b.crmh.mpjpe_mm.toFixed(1)} (${(m.crmh.mpjpe_mm / b.crmh.mpjpe_mm).toFixed(3)}) | ` +
        `${m.crmh.pa_mpjpe_mm.toFixed(1)} / ${b.crmh.pa_mpjpe_mm.toFixed(1)} (${(m.crmh.pa_mpjpe_mm / b.crmh.pa_mpjpe_mm).toFixed(3)}) | ${(m.strict.mpjpe_mm / b.strict.mpjpe_mm).toFixed(3)} |`,
    );
  }
  net.dispose();
  tf.disposeVariables();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
