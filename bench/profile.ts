/**
 * Where a training step's time goes, by kernel: one step of the default regressor (targets, forward,
 * all losses with the body model, backward, Adam) on fake 128 px images under `tf.profile`, summed by
 * kernel name and by (kernel, input shapes). Run by hand: `node dist/bench/profile.js [batch]` (default
 * 8, one thread's half of the default 16-image step); docs/model-notes.md section 23 has its output.
 * With the oneDNN convs built (lib/core/nativeConv.ts) they run; `WB_NATIVE=0` times the wasm kernels.
 */
import * as tf from "@tensorflow/tfjs";
import { getBackendInfo, initBackend } from "../lib/core/backend";
import { Rng } from "../lib/core/rng";
import { DEFAULT_MODEL, buildRegressor, modelGeometry } from "../lib/model/regressor";
import { DEFAULT_LOSS, computeLosses } from "../lib/train/losses";
import { AdamFamily } from "../lib/train/optim";
import { buildBatch, disposeBatch } from "../lib/train/targets";
import { fakeSample } from "../test/train/fixtures";

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const B = Number(process.argv[2] ?? 8);
  const rng = new Rng("bench/profile");
  const samples = Array.from({ length: B }, () => fakeSample(rng, { size: 128, people: [1, 4] }));
  const model = buildRegressor(DEFAULT_MODEL, 1);
  const geom = modelGeometry(model);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const opt = new AdamFamily(vars, { optimizer: "adam", lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, rectifyThreshold: 5 });
  const step = () => {
    const batch = buildBatch(samples, geom, DEFAULT_LOSS);
    const { value, grads } = tf.variableGrads(() => computeLosses(model.apply(batch.images, { training: true }) as tf.Tensor, batch, DEFAULT_LOSS).total, vars);
    opt.apply(vars.map((v) => grads[v.name]), 1e-4);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    disposeBatch(batch);
  };
  for (let i = 0; i < 3; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) step();
  const stepMs = (performance.now() - t0) / 5;
  const info = await tf.profile(step);
  const byName = new Map<string, number>(), byShape = new Map<string, { ms: number; n: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    total += ms;
    byName.set(k.name, (byName.get(k.name) ?? 0) + ms);
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const a = byShape.get(key) ?? { ms: 0, n: 0 };
    byShape.set(key, { ms: a.ms + ms, n: a.n + 1 });
  }
  console.log(`batch ${B}, ${tf.getBackend()} (native convs ${getBackendInfo()?.native ?? "-"}): step ${stepMs.toFixed(1)} ms (mean of 5 after 3), kernels ${total.toFixed(1)} ms in ${info.kernels.length} calls\n`);
  console.log("| kernel | ms | share of kernel time |\n|---|---:|---:|");
  for (const [n, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`| ${n} | ${ms.toFixed(1)} | ${((100 * ms) / total).toFixed(1)}% |`);
  console.log("\n| kernel, input shapes | calls | ms |\n|---|---:|---:|");
  for (const [n, a] of [...byShape].sort((x, y) => y[1].ms - x[1].ms).slice(0, 15)) console.log(`| ${n} | ${a.n} | ${a.ms.toFixed(1)} |`);
  opt.dispose();
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
