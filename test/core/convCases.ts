/** Shared by the wasm and oneDNN conv kernel tests: geometries, the cpu oracle, tolerances. */
import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/core/rng";

// The oracle is tfjs's own cpu backend (plain JS loops, independent of XNNPACK), in the same process.

export type Pad = "same" | "valid" | number | [[0, 0], [number, number], [number, number], [0, 0]];

export function randn(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

export function assertClose(got: Float32Array, want: Float32Array, what: string, tol = 1e-4): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let maxAbs = 0, maxDiff = 0;
  for (let i = 0; i < want.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(want[i]));
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
  }
  assert.ok(maxAbs > 0, `${what}: oracle is all zeros, the case tests nothing`);
  assert.ok(maxDiff / maxAbs < tol, `${what}: max relative error ${(maxDiff / maxAbs).toExponential(2)} >= ${tol}`);
}

/** Number of live data buffers in the wasm backend: intermediates of our kernels are not engine Tensors. */
export function wasmDataIds(): number {
  return tf.findBackend("wasm")!.numDataIds();
}

export interface ConvCase { hw: [number, number]; k: number; ci: number; co: number; strides: [number, number]; pad: Pad }

/** dL/dx and dL/dW of L = sum(conv2d(x, W) * r) on `backend`; r (a random cotangent) makes dy non-constant. */
export async function convGrads(backend: string, c: ConvCase, seed: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const rng = new Rng(seed);
  const xShape: [number, number, number, number] = [2, c.hw[0], c.hw[1], c.ci];
  const wShape: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
  const outShape = tf.backend_util.computeConv2DInfo(xShape, wShape, c.strides, 1, c.pad).outShape;
  const xv = randn(rng, xShape.reduce((a, b) => a * b)), wv = randn(rng, wShape.reduce((a, b) => a * b));
  const rv = randn(rng, outShape.reduce((a, b) => a * b));
  return tf.tidy(() => {
    const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, c.strides, c.pad);
    const grads = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([tf.tensor4d(xv, xShape), tf.tensor4d(wv, wShape)], tf.tensor4d(rv, outShape));
    return grads.map((g) => Float32Array.from(g.dataSync()));
  });
}

/** Geometries every conv kernel must get right: odd and even sizes, 1/3/5 filters, strides, all pad kinds. */
export const CONV_CASES: ConvCase[] = (() => {
  const cases: ConvCase[] = [];
  const channels: [number, number][] = [[1, 4], [3, 8], [5, 2], [4, 3]];
  for (const hw of [[7, 7], [8, 8], [6, 9]] as [number, number][])
    for (const k of [1, 3, 5])
      for (const s of [1, 2])
        for (const pad of ["same", "valid"] as const) {
          const [ci, co] = channels[cases.length % channels.length];
          cases.push({ hw, k, ci, co, strides: [s, s], pad });
        }
  // An even kernel at its own stride (the regressor's 2x2 stride-2 head, `fineWidth`).
  cases.push({ hw: [8, 8], k: 2, ci: 3, co: 8, strides: [2, 2], pad: "valid" });
  cases.push({ hw: [7, 6], k: 2, ci: 2, co: 3, strides: [2, 2], pad: "same" });
  // Explicit pads, mixed strides, and a filter wider than the padded input reaches with stride 2.
  cases.push({ hw: [7, 8], k: 3, ci: 2, co: 3, strides: [2, 2], pad: 1 });
  cases.push({ hw: [8, 7], k: 5, ci: 3, co: 2, strides: [1, 1], pad: 2 });
  cases.push({ hw: [9, 8], k: 3, ci: 2, co: 4, strides: [2, 1], pad: [[0, 0], [1, 0], [2, 1], [0, 0]] });
  cases.push({ hw: [8, 8], k: 3, ci: 2, co: 2, strides: [2, 2], pad: [[0, 0], [3, 3], [0, 0], [0, 0]] });

  return cases;
})();

/** conv2d(x, W) + bias, then `activation`, on `backend` (tf.fused.conv2d: the FusedConv2D kernel when fused). */
export async function convForward(backend: string, c: ConvCase, seed: number, fused?: { activation: "linear" | "relu" | "elu"; dilation?: number }): Promise<Float32Array> {
  await tf.setBackend(backend);
  const rng = new Rng(seed);
  const xShape: [number, number, number, number] = [2, c.hw[0], c.hw[1], c.ci];
  const wShape: [number, number, number, number] = [c.k, c.k, c.ci, c.co];
  const xv = randn(rng, xShape.reduce((a, b) => a * b)), wv = randn(rng, wShape.reduce((a, b) => a * b)), bv = randn(rng, c.co);
  return tf.tidy(() => {
    const x = tf.tensor4d(xv, xShape), w = tf.tensor4d(wv, wShape);
    const y = fused
      ? tf.fused.conv2d({ x, filter: w, strides: c.strides, pad: c.pad, bias: tf.tensor1d(bv), activation: fused.activation, dilations: fused.dilation ?? 1 })
      : tf.conv2d(x, w, c.strides, c.pad);
    return Float32Array.from(y.dataSync());
  });
}
