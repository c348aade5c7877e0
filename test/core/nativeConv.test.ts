import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/core/backend";
import { activeNativeConvKernels, nativeConv, nativeConvStatus, registerNativeConvKernels, unregisterNativeConvKernels } from "../../lib/core/nativeConv";
import { activeWasmGradKernels } from "../../lib/core/wasmKernels";
import { CONV_CASES, type ConvCase, assertClose, convForward, convGrads, wasmDataIds } from "./convCases";

// The oracle is tfjs's cpu backend, as for the wasm kernels (wasmKernels.test.ts). These run where the
// addon is built (g++ and libdnnl-dev present: scripts/build-native.mjs); elsewhere they skip and say why.

const NAMES = ["Conv2D", "Conv2DBackpropFilter", "Conv2DBackpropInput", "FusedConv2D"];

describe("core/nativeConv (oneDNN kernels for wasm)", function () {
  before(async function () {
    const info = await initBackend({ quiet: true });
    if (info.name !== "wasm" || !nativeConv()) {
      console.log(`      (skipped: backend ${info.name}, native convs ${nativeConvStatus()})`);
      this.skip();
    }
    registerNativeConvKernels();
  });
  after(() => tf.setBackend("wasm"));

  it("are registered for wasm by initBackend, over the wasm gradient kernels", async () => {
    const info = await initBackend({ quiet: true });
    assert.deepEqual(activeNativeConvKernels().sort(), NAMES);
    assert.deepEqual([...info.customKernels].sort(), [...NAMES, "Concat", "Pack", "Slice", "SplitV", "Unpack"].sort()); // + lib/core/wasmCopy.ts
    assert.match(info.native ?? "", /^oneDNN \d+\.\d+/);
  });

  it(`conv2d output and gradients (dx, dW) match the cpu backend on ${CONV_CASES.length} geometries, leak-free`, async () => {
    tf.env().set("IS_TEST", true); // the engine checks each kernel for leaked data ids
    try {
      for (const [i, c] of CONV_CASES.entries()) {
        const what = `${c.hw.join("x")} k${c.k} ci${c.ci} co${c.co} s${c.strides} pad ${JSON.stringify(c.pad)}`;
        const want = [await convForward("cpu", c, i), ...(await convGrads("cpu", c, i))];
        const tensorsBefore = tf.memory().numTensors;
        await tf.setBackend("wasm");
        const idsBefore = wasmDataIds();
        const got = [await convForward("wasm", c, i), ...(await convGrads("wasm", c, i))];
        assert.equal(tf.memory().numTensors, tensorsBefore, `${what}: leaked tensors`);
        assert.equal(wasmDataIds(), idsBefore, `${what}: leaked wasm buffers`);
        ["y", "dx", "dW"].forEach((name, k) => assertClose(got[k], want[k], `${what} ${name}`));
      }
    } finally {
      tf.env().set("IS_TEST", false);
    }
  });

  it("fused conv + bias + relu matches cpu; activations and dilations it does not cover go to wasm's kernels", async () => {
    const c: ConvCase = { hw: [9, 8], k: 3, ci: 4, co: 5, strides: [1, 1], pad: "same" };
    for (const fused of [{ activation: "linear" }, { activation: "relu" }, { activation: "elu" }, { activation: "relu", dilation: 2 }] as const) {
      const want = await convForward("cpu", c, 5, fused);
      const got = await convForward("wasm", c, 5, fused);
      assertClose(got, want, `fused ${JSON.stringify(fused)}`);
      if (fused.activation === "relu") assert.ok(got.some((v) => v === 0) && got.some((v) => v > 0), "relu output has zeros and positives");
    }
  });

  it("a bad geometry is a clear error from the addon, naming the argument", () => {
    const g = [1, 4, 4, 2, 3, 3, 3, 4, 4, 1, 1, 1, 1, 1, 1];
    assert.throws(() => nativeConv()!.conv(0, new Float32Array(31), new Float32Array(54), new Float32Array(48), null, g, false),
      /dnnlconv: x has 31 floats, the geometry needs 32/);
    assert.throws(() => nativeConv()!.conv(1, new Float32Array(32), new Float32Array(54), new Float32Array(48), new Float32Array(3), g, false),
      /bias and relu apply to the forward conv only/);
  });

  it("unregister puts the wasm kernels back (the gradient ones ours), register is idempotent", async () => {
    const c: ConvCase = { hw: [7, 8], k: 3, ci: 3, co: 4, strides: [2, 2], pad: "same" };
    const native = await convGrads("wasm", c, 7);
    try {
      unregisterNativeConvKernels();
      assert.deepEqual(activeNativeConvKernels(), []);
      assert.deepEqual(activeWasmGradKernels().sort(), ["Conv2DBackpropFilter", "Conv2DBackpropInput"]);
      const wasm = await convGrads("wasm", c, 7);
      native.forEach((g, k) => assertClose(g, wasm[k], `grad ${k}: oneDNN against the wasm kernels`));
    } finally {
      registerNativeConvKernels();
    }
    assert.deepEqual(registerNativeConvKernels().sort(), NAMES);
  });
});
