import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/core/backend";
import { Rng } from "../../lib/core/rng";
import { registerNativeConvKernels, unregisterNativeConvKernels } from "../../lib/core/nativeConv";
import { activeWasmGradKernels, registerWasmGradKernels, unregisterWasmGradKernels } from "../../lib/core/wasmKernels";
import { CONV_CASES, type ConvCase, assertClose, convGrads, randn, wasmDataIds } from "./convCases";

describe("core/wasmKernels", function () {
  before(async function () {
    const info = await initBackend({ quiet: true });
    if (info.name !== "wasm") this.skip(); // another backend was selected: these kernels are not in use
    unregisterNativeConvKernels(); // these are the fallbacks under the oneDNN kernels: test them bare
  });
  after(async () => {
    await tf.setBackend("wasm");
    registerNativeConvKernels();
  });

  it("are registered for wasm by initBackend", () => {
    assert.deepEqual(activeWasmGradKernels().sort(), ["Conv2DBackpropFilter", "Conv2DBackpropInput"]);
  });

  const cases = CONV_CASES;

  it(`conv2d gradients (dx and dW) match the cpu backend on ${cases.length} geometries, leak-free`, async () => {
    // IS_TEST makes the engine check each kernel for leaked data ids. Only here: its count of data moved
    // between backends inside nested kernels is wrong (tfjs 4.22), which the model test below would trip.
    tf.env().set("IS_TEST", true);
    try {
      await checkAllCases();
    } finally {
      tf.env().set("IS_TEST", false);
    }
  });

  async function checkAllCases() {
    for (const [i, c] of cases.entries()) {
      const what = `${c.hw.join("x")} k${c.k} ci${c.ci} co${c.co} s${c.strides} pad ${JSON.stringify(c.pad)}`;
      const want = await convGrads("cpu", c, i);
      const tensorsBefore = tf.memory().numTensors;
      await tf.setBackend("wasm");
      const idsBefore = wasmDataIds();
      const got = await convGrads("wasm", c, i);
      assert.equal(tf.memory().numTensors, tensorsBefore, `${what}: leaked tensors`);
      assert.equal(wasmDataIds(), idsBefore, `${what}: leaked wasm buffers`);
      assertClose(got[0], want[0], `${what} dx`);
      assertClose(got[1], want[1], `${what} dW`);
    }
  }

  it("NCHW is refused with a clear error", async () => {
    await tf.setBackend("wasm");
    const x = tf.zeros([1, 2, 5, 5]), dy = tf.zeros([1, 3, 5, 5]);
    try {
      assert.throws(() => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy },
        { strides: 1, pad: "same", dataFormat: "NCHW", filterShape: [3, 3, 2, 3] }), /only dataFormat NHWC/);
    } finally {
      tf.dispose([x, dy]);
    }
  });

  it("a tiny conv model's train-step gradients match the cpu backend, and an Adam step leaks nothing", async () => {
    const rng = new Rng("train-step");
    const inShape = [4, 15, 16, 3];
    const xv = randn(rng, inShape.reduce((a, b) => a * b));
    const yv = randn(rng, 4 * 5);
    let weightValues: Float32Array[] | null = null;

    const build = () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ inputShape: inShape.slice(1), filters: 8, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }));
      m.add(tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: "valid", activation: "relu" }));
      m.add(tf.layers.conv2d({ filters: 5, kernelSize: 1, strides: 2, padding: "same" }));
      m.add(tf.layers.globalAveragePooling2d({}));
      // Same weights on both backends, drawn once from the seeded generator (not the layers' initialisers).
      weightValues ??= m.getWeights().map((w) => randn(rng, w.size).map((v) => v * 0.3));
      tf.tidy(() => m.setWeights(m.getWeights().map((w, i) => tf.tensor(weightValues![i], w.shape))));
      return m;
    };
    const lossOf = (m: tf.Sequential) => tf.losses.meanSquaredError(tf.tensor2d(yv, [4, 5]), m.apply(tf.tensor4d(xv, inShape as [number, number, number, number])) as tf.Tensor) as tf.Scalar;
    const gradsOn = async (backend: string) => {
      await tf.setBackend(backend);
      const m = build();
      const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
      const out = tf.tidy(() => Object.values(tf.variableGrads(() => lossOf(m), vars).grads).map((g) => Float32Array.from(g.dataSync())));
      m.dispose();
      return out;
    };

    const want = await gradsOn("cpu");
    const tensorsBefore = tf.memory().numTensors;
    const got = await gradsOn("wasm");
    assert.equal(got.length, want.length);
    got.forEach((g, i) => assertClose(g, want[i], `weight ${i}`));

    const idsBefore = wasmDataIds();
    const m = build();
    const opt = tf.train.adam(1e-3);
    for (let step = 0; step < 2; step++) tf.dispose(opt.minimize(() => lossOf(m), true) ?? []);
    opt.dispose();
    m.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, "leaked tensors");
    assert.equal(wasmDataIds(), idsBefore, "leaked wasm buffers");
  });

  it("unregister puts wasm's own kernels back (working), and register is idempotent", async () => {
    const c: ConvCase = { hw: [7, 8], k: 3, ci: 3, co: 4, strides: [2, 2], pad: "same" };
    const ours = await convGrads("wasm", c, 99);
    try {
      unregisterWasmGradKernels();
      assert.deepEqual(activeWasmGradKernels(), []);
      assert.equal(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined);
      assert.deepEqual(registerWasmGradKernels({ backpropInput: false }), ["Conv2DBackpropFilter"]);
      // wasm's own loop kernel, bound after the backend started, agrees with ours.
      assertClose((await convGrads("wasm", c, 99))[0], ours[0], "dx from wasm's own Conv2DBackpropInput");
    } finally {
      registerWasmGradKernels();
    }
    assert.deepEqual(registerWasmGradKernels().sort(), ["Conv2DBackpropFilter", "Conv2DBackpropInput"]);
  });
});
