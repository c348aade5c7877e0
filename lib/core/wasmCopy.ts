/**
 * Slice, SplitV, Unpack, Concat and Pack for the tfjs wasm backend, reading the inputs in place on the
 * wasm heap.
 *
 * Why: wasm's own `slice` (tfjs-backend-wasm 4.22, a JS kernel that SplitV and Unpack call once per
 * output) starts with `backend.readSync(x)`, which copies the WHOLE input out of the heap, and then
 * copies each innermost row with a fresh `subarray`. So splitting the [8, 16, 16, 265] output maps of
 * one 8-image step into two parts copies 2 x 2.2 MB first, and unstacking [128, 25, 3, 1] into 25 joints
 * copies the input 25 times. Measured on this machine (results/probes/s30/mb.cjs): a 4-channel slice
 * of [8, 16, 16, 265] took 5.4 ms (ours: 0.12). In a profile of the training step taken beside another
 * run (bench/profile.ts) SplitV, Unpack and Slice took 58 of 238 ms of kernel time; the default
 * pretraining run got about 5% faster (docs/model-notes.md section 30).
 *
 * These read heap views (`typedArrayFromHeap`, no copy) and copy the box in runs: every innermost axis
 * the box spans whole joins its run, short runs go by a plain loop and long ones by `TypedArray.set`.
 * wasm's own Concat and Pack (Pack is Concat after ExpandDims) read heap views already but copy every
 * run with a fresh `subarray`, one per element when stacking along the last axis (stacking 3 x [3072]
 * took 0.84 ms); here short runs go by a plain loop too.
 * Pure copies, so every result is bit for bit wasm's own (tests: test/core/wasmCopy.test.ts). String
 * tensors go to wasm's kernels. Registered by initBackend; `WasmKernelSet` can take them out again.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { WasmKernelSet } from "./wasmKernels";

type Info = tf.TensorInfo;
type View = Float32Array | Int32Array | Uint8Array;

/** Copy the box (begin, size) of a row-major array of `shape` from `x` into `out`, densely. */
export function copyBox(x: View, shape: readonly number[], begin: readonly number[], size: readonly number[], out: View): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0];
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  // The innermost axes the box spans whole are contiguous in x: one run with the axis just outside them.
  let a = rank - 1;
  while (a > 0 && begin[a] === 0 && size[a] === shape[a]) a--;
  const run = size[a] * strides[a];
  let rows = 1;
  for (let i = 0; i < a; i++) rows *= size[i];
  if (run === 0 || rows === 0) return;
  const idx = new Array<number>(a).fill(0);
  for (let r = 0, o = 0; r < rows; r++, o += run) {
    let off = begin[a] * strides[a];
    for (let i = 0; i < a; i++) off += (begin[i] + idx[i]) * strides[i];
    copyRun(x, off, out, o, run);
    for (let i = a - 1; i >= 0 && ++idx[i] === size[i]; i--) idx[i] = 0;
  }
}

/** Copy `run` elements from x at `from` to out at `to`: a loop for short runs, `set` for long ones. */
function copyRun(x: View, from: number, out: View, to: number, run: number): void {
  if (run >= 64) out.set(x.subarray(from, from + run), to);
  else for (let k = 0; k < run; k++) out[to + k] = x[from + k];
}

/** A new wasm tensor holding the box (begin, size) of x. */
function sliceInfo(backend: BackendWasm, x: Info, begin: readonly number[], size: number[]): Info {
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  // Views taken after makeOutput: allocating may grow the heap, which detaches older views.
  copyBox(backend.typedArrayFromHeap(x) as View, x.shape, begin, size, backend.typedArrayFromHeap(out) as View);
  return out;
}

/** wasm's own kernel for what this file does not handle (string tensors). */
function wasmOwn(name: string, args: Parameters<tf.KernelFunc>[0]) {
  const original = copies.original(name);
  if (!original) throw new Error(`wasmCopy: no wasm kernel '${name}' to fall back on`);
  return original.kernelFunc(args);
}

const slice: tf.KernelFunc = (args) => {
  const x = args.inputs.x as Info;
  if (x.dtype === "string") return wasmOwn("Slice", args);
  const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  return sliceInfo(args.backend as BackendWasm, x, b, s);
};

const splitV: tf.KernelFunc = (args) => {
  const x = args.inputs.x as Info;
  if (x.dtype === "string") return wasmOwn("SplitV", args);
  const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((n) => {
    const size = [...x.shape];
    size[ax] = n;
    const out = sliceInfo(args.backend as BackendWasm, x, begin, size);
    begin[ax] += n;
    return out;
  });
};

const unpack: tf.KernelFunc = (args) => {
  const value = args.inputs.value as Info;
  if (value.dtype === "string") return wasmOwn("Unpack", args);
  const rank = value.shape.length;
  const { axis } = args.attrs as unknown as tf.UnpackAttrs;
  const ax = axis < 0 ? axis + rank : axis;
  const outShape = value.shape.filter((_, i) => i !== ax);
  const begin = new Array<number>(rank).fill(0);
  const size = [...value.shape];
  size[ax] = 1;
  return Array.from({ length: value.shape[ax] }, (_, i) => {
    begin[ax] = i;
    const { dataId, dtype } = sliceInfo(args.backend as BackendWasm, value, begin, size);
    return { dataId, dtype, shape: outShape }; // the same data, without the unit axis (as wasm's own)
  });
};

/**
 * Inputs joined along `axis` into a new tensor of `outShape`: each input contributes, per index of the
 * axes before `axis`, one run of all its elements from `axis` on.
 */
function joinInfo(backend: BackendWasm, inputs: Info[], axis: number, outShape: number[]): Info {
  const out = backend.makeOutput(outShape, inputs[0].dtype);
  const rows = tf.util.sizeFromShape(outShape.slice(0, axis));
  const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (rows === 0 || !parts.length) return out;
  const runs = parts.map((t) => tf.util.sizeFromShape(t.shape) / rows);
  const width = runs.reduce((a, b) => a + b, 0);
  const ov = backend.typedArrayFromHeap(out) as View; // after makeOutput (heap growth detaches views)
  parts.forEach((t, i) => {
    const xv = backend.typedArrayFromHeap(t) as View, run = runs[i];
    const start = runs.slice(0, i).reduce((a, b) => a + b, 0);
    for (let r = 0; r < rows; r++) copyRun(xv, r * run, ov, r * width + start, run);
  });
  return out;
}

const concat: tf.KernelFunc = (args) => {
  const inputs = args.inputs as unknown as Info[];
  if (inputs[0].dtype === "string") return wasmOwn("Concat", args);
  const axis = tf.util.parseAxisParam((args.attrs as unknown as tf.ConcatAttrs).axis, inputs[0].shape)[0];
  tf.backend_util.assertParamsConsistent(inputs.map((t) => t.shape), axis);
  return joinInfo(args.backend as BackendWasm, inputs, axis, tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis));
};

const pack: tf.KernelFunc = (args) => {
  const inputs = args.inputs as unknown as Info[];
  if (inputs[0].dtype === "string") return wasmOwn("Pack", args);
  const shape = inputs[0].shape;
  inputs.forEach((t) => {
    tf.util.assertShapesMatch(shape, t.shape, "All tensors passed to stack must have matching shapes");
    tf.util.assert(t.dtype === inputs[0].dtype, () => "All tensors passed to stack must have matching dtypes");
  });
  const axis = (args.attrs as unknown as tf.PackAttrs).axis;
  const ax = axis < 0 ? axis + shape.length + 1 : axis;
  return joinInfo(args.backend as BackendWasm, inputs, ax, [...shape.slice(0, ax), inputs.length, ...shape.slice(ax)]);
};

const copies = new WasmKernelSet({
  Slice: { kernelName: "Slice", backendName: "wasm", kernelFunc: slice },
  SplitV: { kernelName: "SplitV", backendName: "wasm", kernelFunc: splitV },
  Unpack: { kernelName: "Unpack", backendName: "wasm", kernelFunc: unpack },
  Concat: { kernelName: "Concat", backendName: "wasm", kernelFunc: concat },
  Pack: { kernelName: "Pack", backendName: "wasm", kernelFunc: pack },
});

/** Names of the copy kernels currently registered for 'wasm'. */
export function activeWasmCopyKernels(): string[] {
  return copies.active();
}

/** Registers the copy kernels for 'wasm' (idempotent); returns the names now active. */
export function registerWasmCopyKernels(): string[] {
  return copies.register();
}

/** Puts wasm's own Slice, SplitV, Unpack, Concat and Pack back (for benchmarks and tests). */
export function unregisterWasmCopyKernels(): void {
  copies.unregister();
}
