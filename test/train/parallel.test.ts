import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../lib/core/rng";
import { TINY_MODEL, buildRegressor, modelGeometry } from "../../lib/model/regressor";
import { DEFAULT_LOSS, LOSS_NAMES, computeLosses } from "../../lib/train/losses";
import { DEFAULT_TRAIN, train, type TrainConfig } from "../../lib/train/loop";
import { GradWorker, deserialiseBatch, serialiseBatch, splitSizes } from "../../lib/train/parallel";
import { buildBatch, disposeBatch } from "../../lib/train/targets";
import { fakeSample, fakeSource, useBackend } from "./fixtures";

describe("train/parallel", () => {
  before(useBackend);

  it("splits a batch into contiguous parts as equal as possible", () => {
    assert.deepEqual(splitSizes(16, 2), [8, 8]);
    assert.deepEqual(splitSizes(5, 2), [3, 2]);
    assert.deepEqual(splitSizes(1, 2), [1]);
  });

  it("a batch survives serialisation exactly", () => {
    const rng = new Rng(1);
    const model = buildRegressor(TINY_MODEL, 0);
    const b = buildBatch([fakeSample(rng), fakeSample(rng)], modelGeometry(model), DEFAULT_LOSS);
    const c = deserialiseBatch(serialiseBatch(b));
    for (const [k, v] of Object.entries(b)) {
      if (v instanceof tf.Tensor) assert.deepEqual([...(c as unknown as Record<string, tf.Tensor>)[k].dataSync()], [...v.dataSync()], k);
    }
    disposeBatch(b);
    disposeBatch(c);
    model.dispose();
  });

  it("a worker thread returns the same gradients as this thread for the same weights and batch", async function () {
    this.timeout(60_000);
    const rng = new Rng(2);
    const model = buildRegressor(TINY_MODEL, 3);
    const batch = buildBatch([fakeSample(rng), fakeSample(rng)], modelGeometry(model), DEFAULT_LOSS);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => computeLosses(model.apply(batch.images, { training: true }) as tf.Tensor, batch, DEFAULT_LOSS).total, vars);
    const worker = new GradWorker(model.toJSON(null, true) as string, DEFAULT_LOSS);
    try {
      const r = await worker.grads(model.weights.map((w) => w.read().dataSync() as Float32Array), serialiseBatch(batch));
      assert.ok(Math.abs(r.total - value.dataSync()[0]) < 1e-5 * Math.abs(r.total), `total ${r.total} vs ${value.dataSync()[0]}`);
      assert.equal(r.terms.length, LOSS_NAMES.length);
      vars.forEach((v, k) => {
        const a = grads[v.name].dataSync(), b = r.grads[k];
        const scale = Math.max(1e-8, ...[...a].map(Math.abs));
        const err = Math.max(...[...a].map((x, i) => Math.abs(x - b[i])));
        assert.ok(err / scale < 1e-4, `${v.name}: relative error ${err / scale}`);
      });
    } finally {
      await worker.terminate();
      tf.dispose([value, ...Object.values(grads)]);
      disposeBatch(batch);
      model.dispose();
    }
  });

  it("training with 2 gradient parts runs, keeps tensors flat, and tracks the 1-part run's losses", async function () {
    this.timeout(120_000);
    const dir = mkdtempSync(join(tmpdir(), "wb-par-"));
    const TC: TrainConfig = { ...DEFAULT_TRAIN, optimizer: "adam", lr: 3e-3, weightDecay: 0, warmupSteps: 2, batchSize: 4, epochs: 1, stepsPerEpoch: 6 };
    const sources = [{ source: fakeSource("par", 16, { size: 32 }), weight: 1 }];
    const run = async (workers: number) => {
      const model = buildRegressor(TINY_MODEL, 1);
      const totals: number[] = [], counts: number[] = [];
      await train({ model, sources, cfg: { train: { ...TC, workers }, loss: DEFAULT_LOSS }, runDir: join(dir, `w${workers}`), seed: 0, plot: "none", quiet: true, onStep: (r) => (totals.push(r.total), counts.push(tf.memory().numTensors)) });
      model.dispose();
      return { totals, counts };
    };
    try {
      const one = await run(1), two = await run(2);
      assert.ok(two.counts.every((c) => c === two.counts[0]), `tensor counts ${two.counts}`);
      // Same data and start: the first step's loss is the same mix of the same images.
      assert.ok(Math.abs(one.totals[0] - two.totals[0]) < 0.05 * one.totals[0], `${one.totals[0]} vs ${two.totals[0]}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
