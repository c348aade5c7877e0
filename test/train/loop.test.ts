import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convKernels } from "../../lib/core/backend";
import { decodeTensors, loadCheckpoint } from "../../lib/core/checkpoint";
import type { Sample, SampleSource } from "../../lib/data/records";
import { TINY_MODEL, buildRegressor } from "../../lib/model/regressor";
import { DEFAULT_LOSS, LOSS_NAMES } from "../../lib/train/losses";
import { emaDecayAt } from "../../lib/train/ema";
import { CSV_COLUMNS, DEFAULT_TRAIN, NonFiniteLossError, budgetWarning, firstNonFinite, readLossCsv, train, type TrainConfig } from "../../lib/train/loop";
import { fakeSource, useBackend } from "./fixtures";

/** Tiny runs: 32 px images, batch 2, Adam (the finetuning default lr 1e-5 would barely move). */
const TC: TrainConfig = { ...DEFAULT_TRAIN, optimizer: "adam", lr: 3e-3, weightDecay: 0, warmupSteps: 2, batchSize: 2, epochs: 2, stepsPerEpoch: 4 };
const cfg = (over: Partial<TrainConfig> = {}) => ({ train: { ...TC, ...over }, loss: DEFAULT_LOSS });

function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

describe("train/loop", () => {
  let dir: string;
  const labeled = fakeSource("loop/labeled", 16, { size: 32, people: [1, 2] });
  const pseudo = fakeSource("loop/pseudo", 8, { size: 32, people: [1, 1], source: "pseudo" });
  const sources = [{ source: labeled, weight: 0.5 }, { source: pseudo, weight: 0.5 }];
  before(async () => {
    await useBackend();
    dir = mkdtempSync(join(tmpdir(), "wb-loop-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps the tensor count flat over 20 steps and frees everything it made", async () => {
    const model = buildRegressor(TINY_MODEL, 1);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await train({ model, sources, cfg: cfg({ epochs: 1, stepsPerEpoch: 20 }), runDir: join(dir, "flat"), seed: 0, plot: "none", quiet: true, onStep: () => counts.push(tf.memory().numTensors) });
    assert.equal(counts.length, 20);
    assert.ok(counts.every((c) => c === counts[0]), `tensor counts ${counts}`);
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });

  it("writes losses.csv, a checkpoint with optimizer state, and the loss plot", async function () {
    this.timeout(60_000); // the PNG takes headless chromium a few seconds
    const model = buildRegressor(TINY_MODEL, 1);
    const runDir = join(dir, "files");
    const res = await train({ model, sources, cfg: cfg(), runDir, seed: 0, plot: "end", quiet: true });
    assert.deepEqual([res.step, res.totalSteps, res.stopped, res.ranSteps], [8, 8, "done", 8]);
    const [head] = readFileSync(res.csvPath, "utf8").split("\n");
    assert.equal(head, CSV_COLUMNS.join(","));
    const rows = readLossCsv(res.csvPath);
    assert.deepEqual(rows.map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(rows.map((r) => r.epoch), [0, 0, 0, 0, 1, 1, 1, 1]);
    for (const r of rows) for (const k of [...LOSS_NAMES, "total", "gradNorm", "lr"] as const) assert.ok(Number.isFinite(r[k]), `${k} at ${r.step}`);
    assert.ok(rows[0].lr < rows[2].lr, "warm-up");
    for (const f of ["model.json", "weights.bin", "meta.json", "config.json", "optimizer.json", "optimizer.bin"]) assert.ok(existsSync(join(res.checkpointDir, f)), f);
    const { meta, model: saved } = await loadCheckpoint(res.checkpointDir);
    assert.equal(meta.step, 8);
    assert.deepEqual(weightsOf(saved), weightsOf(model));
    saved.dispose();
    assert.ok(existsSync(join(runDir, "losses.html")));
    model.dispose();
  });

  it("resumes after a crash at the saved step with the same data order: same weights and losses as one run", async () => {
    const straight = buildRegressor(TINY_MODEL, 1);
    const a = await train({ model: straight, sources, cfg: cfg(), runDir: join(dir, "straight"), seed: 3, plot: "none", quiet: true });
    const runDir = join(dir, "crashed");
    const first = buildRegressor(TINY_MODEL, 1);
    await assert.rejects(
      train({ model: first, sources, cfg: cfg(), runDir, seed: 3, plot: "none", quiet: true, onStep: (r) => { if (r.step === 6) throw new Error("simulated crash"); } }),
      /simulated crash/,
    );
    assert.deepEqual(readLossCsv(join(runDir, "losses.csv")).map((r) => r.step), [1, 2, 3, 4], "rows after the last checkpoint were never written");
    first.dispose();
    const resumed = buildRegressor(TINY_MODEL, 99); // another init: the checkpoint's weights replace it
    const b = await train({ model: resumed, sources, cfg: cfg(), runDir, seed: 3, plot: "none", quiet: true });
    assert.deepEqual([b.step, b.ranSteps], [8, 4]);
    const wa = weightsOf(straight), wb = weightsOf(resumed);
    wa.forEach((w, i) => assert.deepEqual(Buffer.from(wb[i].buffer), Buffer.from(w.buffer), `weight ${i} differs`));
    const la = readLossCsv(a.csvPath), lb = readLossCsv(b.csvPath);
    assert.deepEqual(lb.map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(lb.map((r) => r.total), la.map((r) => r.total));
    straight.dispose();
    resumed.dispose();
  });

  it("records the conv kernels in the checkpoint, and a resume on other kernels says so", async () => {
    const runDir = join(dir, "kernels");
    const first = buildRegressor(TINY_MODEL, 1);
    await assert.rejects(train({ model: first, sources, cfg: cfg(), runDir, seed: 3, plot: "none", quiet: true, onStep: (r) => { if (r.step === 6) throw new Error("simulated crash"); } }), /simulated crash/);
    first.dispose();
    const metaPath = join(runDir, "checkpoint", "meta.json");
    const meta = JSON.parse(readFileSync(metaPath, "utf8"));
    assert.equal(meta.convKernels, convKernels());
    writeFileSync(metaPath, JSON.stringify({ ...meta, convKernels: "wasm + oneDNN 0.0" }));
    const warned: string[] = [];
    const [warn, write] = [console.warn, process.stderr.write];
    console.warn = (m: string) => void warned.push(m);
    process.stderr.write = (() => true) as typeof process.stderr.write; // the progress lines
    const resumed = buildRegressor(TINY_MODEL, 1);
    try {
      await train({ model: resumed, sources, cfg: cfg(), runDir, seed: 3, plot: "none", quiet: false });
    } finally {
      [console.warn, process.stderr.write] = [warn, write];
      resumed.dispose();
    }
    assert.equal(warned.filter((m) => m.includes("a run trained on wasm + oneDNN 0.0; this process runs " + convKernels())).length, 1, warned.join("\n"));
  });

  it("a weight average (emaDecay): the returned model and weights.bin are the average of the raw steps, train-weights.bin the raw weights", async () => {
    // The raw trajectory, one weight list per step, from a run without the average (same seed, same data).
    const plain = buildRegressor(TINY_MODEL, 1);
    const traj: Float32Array[][] = [weightsOf(plain)];
    await train({ model: plain, sources, cfg: cfg(), runDir: join(dir, "ema-plain"), seed: 5, plot: "none", quiet: true, onStep: () => traj.push(weightsOf(plain)) });
    // 0.3: steps 1-2 take the warm-up decay (2/11, 3/12), later ones the cap.
    const decay = 0.3;
    const expected = traj[0].map((w, k) => traj.slice(1).reduce((avg, ws, i) => {
      const d = emaDecayAt(decay, i + 1);
      return avg.map((a, j) => d * a + (1 - d) * ws[k][j]);
    }, Array.from(w)));
    assert.deepEqual([emaDecayAt(decay, 1), emaDecayAt(decay, 2), emaDecayAt(decay, 3)], [2 / 11, 3 / 12, 0.3]);
    const model = buildRegressor(TINY_MODEL, 1);
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const res = await train({ model, sources, cfg: cfg({ emaDecay: decay }), runDir: join(dir, "ema"), seed: 5, plot: "none", quiet: true, onStep: () => counts.push(tf.memory().numTensors) });
    assert.ok(counts.every((c) => c === counts[0]), `tensor counts ${counts}`);
    assert.equal(tf.memory().numTensors, before, "the average's variables are freed");
    const got = weightsOf(model);
    let maxErr = 0, moved = 0;
    got.forEach((w, k) => w.forEach((v, j) => {
      maxErr = Math.max(maxErr, Math.abs(v - expected[k][j]));
      moved = Math.max(moved, Math.abs(v - traj[8][k][j]));
    }));
    assert.ok(maxErr < 1e-6, `average off by ${maxErr}`);
    assert.ok(moved > 1e-4, `the average equals the last raw weights (max difference ${moved})`);
    const { model: saved, meta } = await loadCheckpoint(res.checkpointDir);
    assert.deepEqual(weightsOf(saved), got);
    assert.equal((meta as unknown as { emaDecay: number }).emaDecay, decay);
    saved.dispose();
    const raw = decodeTensors(readFileSync(join(res.checkpointDir, "train-weights.json"), "utf8"), readFileSync(join(res.checkpointDir, "train-weights.bin")));
    raw.forEach((t, k) => assert.deepEqual(t.dataSync(), traj[8][k], `raw weight ${k}`));
    tf.dispose(raw);
    plain.dispose();
    model.dispose();
  });

  it("a weight average resumes exactly: a crashed run continued gives the uninterrupted run's average", async () => {
    const over = { emaDecay: 0.5 };
    const straight = buildRegressor(TINY_MODEL, 1);
    await train({ model: straight, sources, cfg: cfg(over), runDir: join(dir, "ema-straight"), seed: 4, plot: "none", quiet: true });
    const runDir = join(dir, "ema-crashed");
    const first = buildRegressor(TINY_MODEL, 1);
    await assert.rejects(
      train({ model: first, sources, cfg: cfg(over), runDir, seed: 4, plot: "none", quiet: true, onStep: (r) => { if (r.step === 7) throw new Error("simulated crash"); } }),
      /simulated crash/,
    );
    first.dispose();
    const resumed = buildRegressor(TINY_MODEL, 99);
    const b = await train({ model: resumed, sources, cfg: cfg(over), runDir, seed: 4, plot: "none", quiet: true });
    assert.deepEqual([b.step, b.ranSteps], [8, 4]);
    const wa = weightsOf(straight), wb = weightsOf(resumed);
    wa.forEach((w, i) => assert.deepEqual(Buffer.from(wb[i].buffer), Buffer.from(w.buffer), `weight ${i} differs`));
    // Switching the average on for a run saved without it is refused, naming the folder.
    const other = buildRegressor(TINY_MODEL, 1);
    await train({ model: other, sources, cfg: cfg(), runDir: join(dir, "ema-none"), seed: 4, plot: "none", quiet: true });
    await assert.rejects(train({ model: other, sources, cfg: cfg(over), runDir: join(dir, "ema-none"), seed: 4, plot: "none", quiet: true }), /ema-none.*emaDecay/);
    [straight, resumed, other].forEach((m) => m.dispose());
  });

  it("stops on a NaN loss, naming the term and the step, and keeps the last good checkpoint", async () => {
    let poison = false;
    const bad: SampleSource = {
      name: "loop/poisoned",
      size: labeled.size,
      get: (i: number): Sample => {
        const s = labeled.get(i);
        return poison ? { ...s, image: new Float32Array(s.image.length).fill(NaN) } : s;
      },
    };
    const model = buildRegressor(TINY_MODEL, 1);
    const runDir = join(dir, "nan");
    let saved: Float32Array[] = [];
    const err = await train({
      model, sources: [{ source: bad, weight: 1 }], cfg: cfg(), runDir, seed: 0, plot: "none", quiet: true,
      onStep: (r) => {
        if (r.step === 4) {
          saved = weightsOf(model); // what the epoch-end checkpoint right after this call stores
          poison = true;
        }
      },
    }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof NonFiniteLossError, String(err));
    assert.equal(err.step, 5);
    assert.equal(err.checkpointStep, 4);
    // NaN pixels: the first ReLU turns them to 0, so the losses stay finite but the gradient norm is NaN.
    assert.match(err.message, /loss 'gradNorm' is NaN at step 5; the last good checkpoint \(step 4\) is kept in .*checkpoint/);
    const { meta, model: ck } = await loadCheckpoint(join(runDir, "checkpoint"));
    assert.equal(meta.step, 4);
    const w = weightsOf(ck);
    saved.forEach((s, i) => assert.deepEqual(Buffer.from(w[i].buffer), Buffer.from(s.buffer)));
    assert.ok(weightsOf(model).every((a) => a.every(Number.isFinite)), "the NaN step was not applied");
    ck.dispose();
    model.dispose();
  });

  it("names the first non-finite value: terms, then total, then gradient norm", () => {
    assert.equal(firstNonFinite([["heatmap", 1], ["box", 2], ["total", 3], ["gradNorm", 4]]), null);
    assert.deepEqual(firstNonFinite([["heatmap", 1], ["joints3d", Infinity], ["total", NaN], ["gradNorm", NaN]]), ["joints3d", Infinity]);
    assert.deepEqual(firstNonFinite([["heatmap", 1], ["total", 3], ["gradNorm", NaN]]), ["gradNorm", NaN]);
    const e = new NonFiniteLossError(12, "depth", -Infinity, null, "/run/checkpoint");
    assert.equal(e.message, "training stopped: loss 'depth' is -Infinity at step 12; no checkpoint had been saved yet (/run/checkpoint)");
  });

  it("stops at the time budget with a checkpoint, and a restart stays stopped", async () => {
    const model = buildRegressor(TINY_MODEL, 1);
    const runDir = join(dir, "time");
    const res = await train({ model, sources, cfg: cfg({ maxMinutes: 1e-9 }), runDir, seed: 0, plot: "none", quiet: true });
    assert.deepEqual([res.step, res.stopped], [1, "time"]);
    assert.equal((await loadCheckpoint(res.checkpointDir).then((c) => (c.model.dispose(), c.meta))).step, 1);
    const again = await train({ model, sources, cfg: cfg({ maxMinutes: 1e-9 }), runDir, seed: 0, plot: "none", quiet: true });
    assert.deepEqual([again.step, again.ranSteps, again.stopped], [1, 0, "time"]);
    model.dispose();
  });

  it("warns when the measured speed would run past the time budget, saying where the run will stop", () => {
    // 100 steps in 60 s of a 6,250-step run: 0.6 s per step, 62.5 min in all against a 60-minute budget.
    const over = budgetWarning({ step: 100, totalSteps: 6250, trainSeconds: 60, secondsPerStep: 0.6, maxMinutes: 60 });
    assert.ok(over, "expected a warning");
    assert.match(over!, /600 ms per step the 6250 steps need about 63 min, over maxMinutes \(60\)/);
    assert.match(over!, /stop near step 6000 /); // 100 + floor((3600 - 60) / 0.6) = 100 + 5900
    // Resumed runs count the time already spent: 1,000 steps done in 50 min, the rest at 0.5 s.
    assert.match(budgetWarning({ step: 1000, totalSteps: 6250, trainSeconds: 3000, secondsPerStep: 0.5, maxMinutes: 60 })!, /stop near step 2200 /);
    assert.equal(budgetWarning({ step: 100, totalSteps: 6250, trainSeconds: 37, secondsPerStep: 0.37, maxMinutes: 60 }), null, "fits: 38.5 min");
    assert.equal(budgetWarning({ step: 100, totalSteps: 6250, trainSeconds: 60, secondsPerStep: 0.6, maxMinutes: 0 }), null, "no budget");
    assert.equal(budgetWarning({ step: 6250, totalSteps: 6250, trainSeconds: 4000, secondsPerStep: 0.6, maxMinutes: 60 }), null, "finished");
  });

  it("a tiny model overfits 4 images: the loss falls below 0.3 of its start", async function () {
    this.timeout(60_000);
    const four = fakeSource("loop/four", 4, { size: 32, people: [1, 2] });
    const model = buildRegressor(TINY_MODEL, 7);
    const totals: number[] = [];
    await train({
      model, sources: [{ source: four, weight: 1 }], runDir: join(dir, "overfit"), seed: 0, plot: "none", quiet: true,
      cfg: cfg({ batchSize: 4, epochs: 1, stepsPerEpoch: 150, lr: 5e-3, warmupSteps: 10, schedule: "constant", flipProb: 0, colourNoise: [1, 1] }),
      onStep: (r) => totals.push(r.total),
    });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const start = mean(totals.slice(0, 3)), end = mean(totals.slice(-10));
    assert.ok(end < 0.3 * start, `loss ${start.toFixed(3)} -> ${end.toFixed(3)} (${(end / start).toFixed(2)} of start)`);
    model.dispose();
  });
});
