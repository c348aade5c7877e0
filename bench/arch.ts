/**
 * Architecture candidates for the regressor: params, FLOPs, receptive field, and the time of a full
 * training step (targets, forward, all losses with the body model, backward, Adam) and of a forward
 * pass, at 128 and 96 px input. Run by hand: `node dist/bench/arch.js [batch]`; the table goes into
 * docs/model-notes.md. Fake images (test/train/fixtures.ts): the timing does not depend on content.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/core/backend";
import { Rng } from "../lib/core/rng";
import { DEFAULT_MODEL, buildRegressor, modelGeometry, modelStats, type ModelConfig } from "../lib/model/regressor";
import { DEFAULT_LOSS, computeLosses } from "../lib/train/losses";
import { AdamFamily } from "../lib/train/optim";
import { buildBatch, disposeBatch } from "../lib/train/targets";
import { fakeSample } from "../test/train/fixtures";

const CANDIDATES: Record<string, Partial<ModelConfig>> = {
  // The prototype's shape: 7 convs to stride 8, no context branch (receptive field ~100 px).
  plain: { widths: [16, 32, 64], depths: [0, 1, 2], contextWidth: 0, contextDepth: 0, headWidth: 96, headDepth: 1, headKernel: 3, fineWidth: 0 },
  // A stride-16 context branch concatenated back at stride 8, merged by a 3x3 conv.
  context3: { widths: [24, 48, 96], depths: [0, 1, 1], contextWidth: 128, contextDepth: 2, headWidth: 128, headDepth: 1, headKernel: 3, fineWidth: 0 },
  // The same, narrower at full resolution, one more context conv, merged by a 1x1 conv (the merge dominated context3's FLOPs).
  context1: { widths: [16, 32, 64], depths: [0, 1, 1], contextWidth: 128, contextDepth: 3, headWidth: 128, headDepth: 1, headKernel: 1, fineWidth: 0 },
  // context1, wider everywhere.
  wide1: { widths: [24, 48, 96], depths: [0, 1, 1], contextWidth: 192, contextDepth: 3, headWidth: 192, headDepth: 1, headKernel: 1, fineWidth: 0 },
  // context1 with the heat and box from a stride-4 top-down path (`fineWidth`, docs/model-notes.md section 17).
  fine1: { widths: [16, 32, 64], depths: [0, 1, 1], contextWidth: 128, contextDepth: 3, headWidth: 128, headDepth: 1, headKernel: 1, fineWidth: 32 },
  // fine1 with a 3x3 head conv: the per-person rows see the 3x3 cells (24 px) around the centre (section 19).
  fine1k3: { widths: [16, 32, 64], depths: [0, 1, 1], contextWidth: 128, contextDepth: 3, headWidth: 128, headDepth: 1, headKernel: 3, fineWidth: 32 },
  // fine1 with the per-person parameters read from the stride-4 path too (`fineParams`, section 20).
  fine1p: { widths: [16, 32, 64], depths: [0, 1, 1], contextWidth: 128, contextDepth: 3, headWidth: 128, headDepth: 1, headKernel: 1, fineWidth: 32, fineParams: true },
  // fine1 with a stride-4 path twice as wide (64 channels): more capacity where the heat and box are made (section 24).
  fine1w64: { widths: [16, 32, 64], depths: [0, 1, 1], contextWidth: 128, contextDepth: 3, headWidth: 128, headDepth: 1, headKernel: 1, fineWidth: 64 },
  // With the oneDNN convs (section 29) the step costs half: two ways to spend it on the backbone.
  // fine1 wider everywhere (wide1's trunk and branch) with its stride-4 path.
  wide1f: { widths: [24, 48, 96], depths: [0, 1, 1], contextWidth: 192, contextDepth: 3, headWidth: 192, headDepth: 1, headKernel: 1, fineWidth: 32 },
  // fine1 deeper: one more 3x3 conv at stride 4 and at stride 8, one more in the stride-16 branch.
  deep1f: { widths: [16, 32, 64], depths: [0, 2, 2], contextWidth: 128, contextDepth: 4, headWidth: 128, headDepth: 1, headKernel: 1, fineWidth: 32 },
  // Both: wide1f's widths with deep1f's depths.
  big1f: { widths: [24, 48, 96], depths: [0, 2, 2], contextWidth: 192, contextDepth: 4, headWidth: 192, headDepth: 1, headKernel: 1, fineWidth: 48 },
  // Wider again, a conv at stride 2 too.
  big2f: { widths: [32, 64, 128], depths: [1, 2, 2], contextWidth: 256, contextDepth: 4, headWidth: 256, headDepth: 1, headKernel: 1, fineWidth: 64 },
  // fine1 with partner rows: each row also regresses the person behind its own (`partner`, section 25).
  fine1pr: { widths: [16, 32, 64], depths: [0, 1, 1], contextWidth: 128, contextDepth: 3, headWidth: 128, headDepth: 1, headKernel: 1, fineWidth: 32, partner: true },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const batchSize = Number(process.argv[2] ?? 16);
  const rng = new Rng("bench/arch");
  const samples = Array.from({ length: batchSize }, () => fakeSample(rng, { size: 128, people: [1, 4] }));
  console.log(`batch ${batchSize}, ${tf.getBackend()}, train step = targets + forward + losses (FK) + backward + Adam; median of 5 after 2 warm-up\n`);
  console.log("| candidate | input | params | GFLOP/img | RF px | train ms/step | train img/s | forward ms/img (batch 16) |\n|---|---:|---:|---:|---:|---:|---:|---:|");
  const only = process.argv[3]?.split(",");
  for (const [name, over] of Object.entries(CANDIDATES)) {
    if (only && !only.includes(name)) continue;
    for (const inputSize of [128, 96]) {
      const cfg = { ...DEFAULT_MODEL, ...over, inputSize };
      const model = buildRegressor(cfg, 1);
      const geom = modelGeometry(model);
      const st = modelStats(model);
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
      const x = tf.randomUniform([16, inputSize, inputSize, 3]);
      // Read back outside tidy: tidy walks whatever it returns, and a large typed array takes it ~1 s.
      const fwd = () => {
        const y = model.predict(x) as tf.Tensor;
        y.dataSync();
        y.dispose();
      };
      const times = (f: () => void, n: number) => {
        for (let i = 0; i < 2; i++) f();
        return Array.from({ length: n }, () => {
          const t0 = performance.now();
          f();
          return performance.now() - t0;
        });
      };
      const ts = median(times(step, 5));
      const tf16 = median(times(fwd, 5));
      console.log(`| ${name} | ${inputSize} | ${st.params} | ${(st.flopsPerImage / 1e9).toFixed(3)} | ${st.receptiveField} | ${ts.toFixed(0)} | ${((batchSize * 1000) / ts).toFixed(1)} | ${(tf16 / 16).toFixed(2)} |`);
      x.dispose();
      opt.dispose();
      model.dispose();
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
