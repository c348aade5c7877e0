import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { AdamFamily, clipByGlobalNorm, learningRate, optimizerFiles, radamRectifier, restoreOptimizer, type OptimizerConfig, type ScheduleConfig } from "../../lib/train/optim";
import { useBackend } from "./fixtures";

const base: OptimizerConfig = { optimizer: "radam", lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, rectifyThreshold: 5 };

/**
 * RAdam on one scalar, written from the published rule in float64 (Liu et al. 2020, Algorithm 2 with
 * the reference code's threshold 5 and SGD-with-momentum steps before it).
 */
function radamReference(p0: number, grads: number[], c: OptimizerConfig): { p: number[]; rectified: boolean[] } {
  let p = p0, m = 0, v = 0;
  const rhoInf = 2 / (1 - c.beta2) - 1;
  const ps: number[] = [], rect: boolean[] = [];
  grads.forEach((g, i) => {
    const t = i + 1;
    m = c.beta1 * m + (1 - c.beta1) * g;
    v = c.beta2 * v + (1 - c.beta2) * g * g;
    const mHat = m / (1 - c.beta1 ** t);
    const rho = rhoInf - (2 * t * c.beta2 ** t) / (1 - c.beta2 ** t);
    p -= c.lr * c.weightDecay * p;
    if (rho >= c.rectifyThreshold) {
      const r = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
      const l = Math.sqrt(1 - c.beta2 ** t) / (Math.sqrt(v) + c.eps);
      p -= c.lr * r * mHat * l;
    } else p -= c.lr * mHat;
    ps.push(p);
    rect.push(rho >= c.rectifyThreshold);
  });
  return { p: ps, rectified: rect };
}

function run(cfg: OptimizerConfig, p0: number[], grads: number[][]): number[][] {
  const x = tf.variable(tf.tensor1d(p0));
  const opt = new AdamFamily([x], cfg);
  const out = grads.map((g) => {
    const gt = tf.tensor1d(g);
    opt.apply([gt], cfg.lr);
    gt.dispose();
    return Array.from(x.dataSync());
  });
  opt.dispose();
  x.dispose();
  return out;
}

describe("train/optim", () => {
  before(useBackend);

  it("RAdam: the first update is SGD with momentum, by hand", () => {
    // t = 1: m = 0.1 g, m_hat = g, rho_1 = 1 < 5: p = 1 - 0.1 * 2 = 0.8. t = 2: m = 0.19 g (g = 2),
    // m_hat = 0.38 / 0.19 = 2, p = 0.8 - 0.2 = 0.6.
    const [p1, p2] = run(base, [1], [[2], [2]]);
    assert.ok(Math.abs(p1[0] - 0.8) < 1e-6 && Math.abs(p2[0] - 0.6) < 1e-6, `${p1} ${p2}`);
  });

  it("RAdam matches the published rule for 12 steps, before and after rectification starts", () => {
    const grads = [0.5, -1, 2, 0.3, 1.5, -0.7, 0.9, 1.1, -0.2, 0.4, 0.8, -1.3];
    for (const cfg of [base, { ...base, weightDecay: 0.01 }, { ...base, beta2: 0.99 }]) {
      const ref = radamReference(1.5, grads, cfg);
      const got = run(cfg, [1.5], grads.map((g) => [g]));
      ref.p.forEach((p, i) => assert.ok(Math.abs(got[i][0] - p) < 1e-5, `wd ${cfg.weightDecay} b2 ${cfg.beta2} step ${i + 1}: ${got[i][0]} vs ${p}`));
      assert.ok(ref.rectified.includes(false) && ref.rectified.includes(true), "the test covers both regimes");
    }
    // beta2 = 0.999: rho_t crosses 5 at t = 6 (rho_5 = 4.99, rho_6 = 5.99).
    assert.equal(radamRectifier(5, 0.999), null);
    assert.ok(radamRectifier(6, 0.999)! > 0);
    assert.ok(Math.abs(radamRectifier(1e6, 0.999)! - 1) < 1e-3, "r_t -> 1");
  });

  it("Adam matches tf.train.adam", () => {
    const cfg: OptimizerConfig = { ...base, optimizer: "adam", lr: 0.05 };
    const grads = [[0.5, -1], [2, 0.3], [1.5, -0.7], [0.9, 1.1], [-0.2, 0.4]];
    const ours = run(cfg, [1, -2], grads);
    const x = tf.variable(tf.tensor1d([1, -2]));
    const ref = tf.train.adam(cfg.lr, cfg.beta1, cfg.beta2, cfg.eps);
    grads.forEach((g, i) => {
      const gt = tf.tensor1d(g);
      ref.applyGradients([{ name: x.name, tensor: gt }]);
      gt.dispose();
      const want = x.dataSync();
      ours[i].forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-5, `step ${i + 1}: ${v} vs ${want[k]}`));
    });
    ref.dispose();
    x.dispose();
  });

  it("weight decay is decoupled: a zero gradient shrinks p by lr * wd", () => {
    const [[p]] = run({ ...base, optimizer: "adam", weightDecay: 0.1 }, [2], [[0]]);
    assert.ok(Math.abs(p - 2 * (1 - 0.1 * 0.1)) < 1e-6);
  });

  it("state round-trips: a restored optimizer continues bit-identically", async () => {
    const cfgs: OptimizerConfig[] = [base, { ...base, optimizer: "adam" }];
    for (const cfg of cfgs) {
      const x = tf.variable(tf.tensor1d([1, 2, 3]));
      const a = new AdamFamily([x], cfg);
      const g = tf.tensor1d([0.3, -0.2, 0.1]);
      for (let i = 0; i < 7; i++) a.apply([g], 0.01);
      const files = await optimizerFiles(a);
      const y = tf.variable(x.clone());
      const b = new AdamFamily([y], cfg);
      restoreOptimizer(b, files["optimizer.json"] as string, files["optimizer.bin"] as Uint8Array);
      assert.equal(b.t, 7);
      for (let i = 0; i < 5; i++) {
        a.apply([g], 0.01);
        b.apply([g], 0.01);
      }
      assert.deepEqual(Array.from(y.dataSync()), Array.from(x.dataSync()));
      assert.throws(() => restoreOptimizer(new AdamFamily([y], { ...cfg, optimizer: cfg.optimizer === "adam" ? "radam" : "adam" }), files["optimizer.json"] as string, files["optimizer.bin"] as Uint8Array), /optimizer state is for/);
      tf.dispose([x, y, g]);
      a.dispose();
      b.dispose();
    }
  });

  it("warm-up and schedules give the hand-computed rates", () => {
    const s: ScheduleConfig = { lr: 1, warmupSteps: 50, warmupRatio: 1 / 3, schedule: "constant", minLrFactor: 0.1, lrStepEpochs: [2, 4], lrStepGamma: 0.1 };
    const run = { totalSteps: 100, stepsPerEpoch: 10 };
    assert.ok(Math.abs(learningRate(0, s, run) - 1 / 3) < 1e-12);
    assert.ok(Math.abs(learningRate(25, s, run) - (1 / 3 + 2 / 3 / 2)) < 1e-12);
    assert.equal(learningRate(50, s, run), 1);
    assert.equal(learningRate(99, s, run), 1);
    const cos = { ...s, warmupSteps: 0, schedule: "cosine" as const };
    assert.equal(learningRate(0, cos, run), 1);
    assert.ok(Math.abs(learningRate(50, cos, run) - 0.55) < 1e-12);
    assert.ok(Math.abs(learningRate(100, cos, run) - 0.1) < 1e-12);
    const step = { ...s, warmupSteps: 0, schedule: "step" as const };
    assert.deepEqual([0, 19, 20, 39, 40, 99].map((t) => +learningRate(t, step, run).toPrecision(6)), [1, 1, 0.1, 0.1, 0.01, 0.01]);
  });

  it("clips the global norm as clip_grad_norm_ does", () => {
    const a = tf.tensor1d([3]), b = tf.tensor1d([4]);
    const c = clipByGlobalNorm([a, b], 1);
    assert.ok(Math.abs(c.norm - 5) < 1e-6);
    assert.ok(Math.abs(c.grads[0].dataSync()[0] - 0.6) < 1e-6 && Math.abs(c.grads[1].dataSync()[0] - 0.8) < 1e-6);
    const d = clipByGlobalNorm([a, b], 35);
    assert.deepEqual([d.grads[0].dataSync()[0], d.grads[1].dataSync()[0]], [3, 4]);
    const e = clipByGlobalNorm([a, b], 0);
    assert.equal(e.grads[1].dataSync()[0], 4);
    tf.dispose([a, b, ...c.grads, ...d.grads, ...e.grads]);
  });
});
