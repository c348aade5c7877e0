import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/core/backend";
import { Rng } from "../../lib/core/rng";
import { activeWasmCopyKernels, copyBox, registerWasmCopyKernels, unregisterWasmCopyKernels } from "../../lib/core/wasmCopy";
import { wasmDataIds } from "./convCases";

type DType = "float32" | "int32" | "bool";
interface Case { shape: number[]; begin: number[]; size: number[]; dtype: DType; seed: number }

/** Random boxes of random arrays, ranks 1-6, with whole axes, unit axes, -1 sizes and empty boxes among them. */
function cases(n: number): Case[] {
  const rng = new Rng("wasmCopy/cases");
  return Array.from({ length: n }, (_, seed) => {
    const rank = rng.int(1, 6);
    const shape = Array.from({ length: rank }, () => rng.int(1, rank > 4 ? 4 : 9));
    const begin: number[] = [], size: number[] = [];
    shape.forEach((d) => {
      const u = rng.next();
      if (u < 0.3) (begin.push(0), size.push(d)); // the whole axis
      else if (u < 0.4) (begin.push(rng.int(0, d - 1)), size.push(-1)); // to the end
      else if (u < 0.43) (begin.push(rng.int(0, d - 1)), size.push(0)); // empty
      else {
        const b = rng.int(0, d - 1);
        begin.push(b);
        size.push(rng.int(1, d - b));
      }
    });
    return { shape, begin, size, dtype: rng.pick(["float32", "float32", "int32", "bool"] as const), seed };
  });
}

function input(c: Case): tf.Tensor {
  const rng = new Rng(c.seed);
  const n = c.shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, () => (c.dtype === "float32" ? rng.normal() : c.dtype === "int32" ? rng.int(-1000, 1000) : rng.int(0, 1)));
  return tf.tensor(v, c.shape, c.dtype);
}

/**
 * Every op the copy kernels serve, on one case: the slice; along each axis a split, an unstack, a
 * concat of three (one of them the slice, when it fits, or an empty one) and a stack of two.
 */
function ops(c: Case): tf.Tensor[] {
  return tf.tidy(() => {
    // y is a second random input, not x.reverse(): wasm's own Reverse fails on bool tensors (tfjs 4.22).
    const x = input(c), y = input({ ...c, seed: c.seed + 1000 });
    const box = tf.slice(x, c.begin, c.size);
    const outs = [box, tf.stack([x, y], c.shape.length), tf.stack([box, box], 0)];
    c.shape.forEach((d, ax) => {
      if (d > 1) outs.push(...tf.split(x, [1, -1], ax));
      outs.push(...tf.unstack(x, ax));
      const fits = box.shape.every((n, i) => i === ax || n === x.shape[i]);
      outs.push(tf.concat([x, fits ? box : tf.slice(x, 0, x.shape.map((n, i) => (i === ax ? 0 : n))), y], ax));
      outs.push(tf.stack([x, y], ax), tf.stack([x, x, x], -1 - ax));
    });
    return outs;
  });
}

async function values(c: Case): Promise<{ shape: number[]; dtype: string; data: number[] }[]> {
  const outs = ops(c);
  const got = await Promise.all(outs.map(async (t) => ({ shape: t.shape, dtype: t.dtype, data: Array.from(await t.data()) })));
  tf.dispose(outs);
  return got;
}

describe("core/wasmCopy", function () {
  before(async function () {
    const info = await initBackend({ quiet: true });
    if (info.name !== "wasm") this.skip(); // another backend was selected: these kernels are not in use
  });
  after(async () => {
    await tf.setBackend("wasm");
    registerWasmCopyKernels();
  });

  it("are registered for wasm by initBackend", () => {
    assert.deepEqual(activeWasmCopyKernels().sort(), ["Concat", "Pack", "Slice", "SplitV", "Unpack"]);
  });

  it("copyBox copies a hand-checked box: rows of a 3-D array, runs joined across whole axes", () => {
    // x[i][j][k] = 100 i + 10 j + k, shape [2, 3, 4]
    const x = Float32Array.from({ length: 24 }, (_, n) => 100 * Math.floor(n / 12) + 10 * Math.floor((n % 12) / 4) + (n % 4));
    const out = new Float32Array(4);
    copyBox(x, [2, 3, 4], [1, 1, 2], [1, 2, 2], out);
    assert.deepEqual(Array.from(out), [112, 113, 122, 123]);
    const whole = new Float32Array(8);
    copyBox(x, [2, 3, 4], [1, 1, 0], [1, 2, 4], whole); // one run of 8
    assert.deepEqual(Array.from(whole), [110, 111, 112, 113, 120, 121, 122, 123]);
  });

  const all = cases(60);

  it(`slice, split, unstack, concat and stack give wasm's own results bit for bit, and the cpu backend's, on ${all.length} random boxes (float32, int32, bool)`, async () => {
    const ours = [];
    for (const c of all) ours.push(await values(c));
    unregisterWasmCopyKernels();
    try {
      assert.deepEqual(activeWasmCopyKernels(), []);
      for (const [i, c] of all.entries()) assert.deepEqual(await values(c), ours[i], `case ${JSON.stringify(c)}: against wasm's own kernels`);
    } finally {
      registerWasmCopyKernels();
    }
    await tf.setBackend("cpu");
    try {
      for (const [i, c] of all.entries()) assert.deepEqual(await values(c), ours[i], `case ${JSON.stringify(c)}: against the cpu backend`);
    } finally {
      await tf.setBackend("wasm");
    }
  });

  it("gradients through slice, split, unstack, concat and stack match the cpu backend", async () => {
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor(Array.from({ length: 2 * 5 * 6 * 7 }, (_, i) => Math.sin(i)), [2, 5, 6, 7]);
      const w = tf.tensor(Array.from({ length: 7 }, (_, i) => i - 3), [7]);
      const g = tf.grad((t: tf.Tensor) => {
        const [a, b] = tf.split(t, [3, -1], 3);
        const rows = tf.unstack(tf.slice(t, [0, 1, 0, 0], [-1, 3, -1, -1]), 1);
        const joined = tf.concat([a.square(), tf.stack(rows, 1).slice([0, 0, 0, 4], [-1, -1, -1, 3])], 1);
        return joined.sum().add(b.mul(w.slice([3], [4])).sum()).add(rows[2].square().sum());
      })(x);
      const out = Array.from(await g.data());
      tf.dispose([x, w, g]);
      return out;
    };
    const ours = await grad("wasm");
    assert.deepEqual(ours, await grad("cpu"));
  });

  it("leave no tensors or wasm buffers behind", async () => {
    await values(all[0]); // warm up
    const tensors = tf.memory().numTensors, ids = wasmDataIds();
    for (const c of all.slice(0, 20)) await values(c);
    assert.equal(tf.memory().numTensors, tensors, "leaked tensors");
    assert.equal(wasmDataIds(), ids, "leaked wasm buffers");
  });

  it("string tensors go to wasm's own kernels", () => {
    tf.tidy(() => {
      const s = tf.tensor(["a", "b", "c", "d"], [2, 2]);
      assert.deepEqual(tf.unstack(s, 0)[0].arraySync(), ["a", "b"]);
      assert.deepEqual(tf.slice(s, [1, 1], [1, 1]).arraySync(), [["d"]]);
      assert.deepEqual(tf.concat([s, s], 1).arraySync(), [["a", "b", "a", "b"], ["c", "d", "c", "d"]]);
    });
  });
});
