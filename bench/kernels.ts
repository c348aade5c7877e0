/**
 * Train-step time of a small conv net on wasm with: oneDNN's convs (lib/core/nativeConv.ts, where the
 * addon is built), our wasm gradient kernels, and wasm's own loop-based Conv2DBackpropInput
 * (Conv2DBackpropFilter is ours there: wasm has none). Run by hand: `node dist/bench/kernels.js`;
 * prints a markdown table for bench/RESULTS.md. The regressor's own step: `node dist/bench/profile.js`
 * (with `WB_NATIVE=0` for the wasm kernels).
 */
import * as tf from "@tensorflow/tfjs";
import { cpus } from "node:os";
import { initBackend } from "../lib/core/backend";
import { Rng } from "../lib/core/rng";
import { nativeConvStatus, registerNativeConvKernels, unregisterNativeConvKernels } from "../lib/core/nativeConv";
import { registerWasmGradKernels, unregisterWasmGradKernels } from "../lib/core/wasmKernels";

const BATCH = 16, SIZE = 64, CLASSES = 10;
// Other processes share this 2-core machine: min is the least disturbed run, median the typical one.
const WARMUP = 2, STEPS = 8;

/** 4 convs, strides 2-1-2-2 so that both the stride-1 and the zero-insertion paths are timed. */
function buildNet(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [SIZE, SIZE, 3], filters: 32, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 1, padding: "same", activation: "relu" }));
  m.add(tf.layers.conv2d({ filters: 128, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }));
  m.add(tf.layers.conv2d({ filters: 128, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }));
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: CLASSES }));
  return m;
}

function timeIt(f: () => void, n: number): { min: number; median: number } {
  for (let i = 0; i < WARMUP; i++) f();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { min: ts[0], median: ts[Math.floor(n / 2)] };
}

async function main(): Promise<void> {
  const info = await initBackend({ backend: "wasm", quiet: true });
  const rng = new Rng("bench/kernels");
  const x = tf.tensor4d(Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, () => rng.uniform()), [BATCH, SIZE, SIZE, 3]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, () => rng.int(0, CLASSES - 1)), "int32"), CLASSES);
  const net = buildNet();
  const opt = tf.train.adam(1e-3);
  // dataSync forces completion (wasm runs synchronously, but a later backend may not).
  const step = () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, net.apply(x) as tf.Tensor) as tf.Scalar, true)!;
    loss.dataSync();
    loss.dispose();
  };
  const forward = () => tf.tidy(() => (net.predict(x) as tf.Tensor).dataSync());

  const rows: [string, { min: number; median: number }][] = [];
  if (registerNativeConvKernels().length) {
    rows.push([`forward only, oneDNN convs (${nativeConvStatus()})`, timeIt(forward, 10)]);
    rows.push(["train step, oneDNN convs and gradients", timeIt(step, STEPS)]);
  } else console.error(`bench/kernels: no oneDNN rows: native convs ${nativeConvStatus()}`);
  unregisterNativeConvKernels();
  const wasmRow = rows.length + 1;
  rows.push(["forward only, wasm (XNNPACK)", timeIt(forward, 10)]);
  rows.push(["train step, both custom kernels", timeIt(step, STEPS)]);
  unregisterWasmGradKernels();
  registerWasmGradKernels({ backpropInput: false });
  rows.push(["train step, custom filter kernel + wasm's own Conv2DBackpropInput", timeIt(step, STEPS)]);
  registerWasmGradKernels();
  registerNativeConvKernels();

  const params = net.countParams();
  console.log(`Conv net: batch ${BATCH} of ${SIZE}x${SIZE}x3, 4 conv layers + dense, ${params} params, Adam; ` +
    `backend ${info.name} (SIMD ${info.simd}, ${info.threads} thread), tfjs ${info.tfjsVersion}, Node ${process.version}, ${cpus()[0].model}. ` +
    `${STEPS} steps (10 forwards) after ${WARMUP} warm-up.\n`);
  const base = rows[wasmRow][1].min;
  console.log("| what | min ms | median ms | images/s (min) | vs both custom kernels (min) |\n|---|---:|---:|---:|---:|");
  for (const [what, t] of rows) {
    console.log(`| ${what} | ${t.min.toFixed(1)} | ${t.median.toFixed(1)} | ${(BATCH / (t.min / 1000)).toFixed(1)} | ${(t.min / base).toFixed(2)}x |`);
  }
  tf.dispose([x, y]);
  net.dispose();
  opt.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
