/**
 * Conv2D, FusedConv2D and both conv gradients for the tfjs wasm backend, run by oneDNN through a small
 * native addon (native/dnnlconv.cc, built by scripts/build-native.mjs when g++ and Debian's
 * `libdnnl-dev` are present).
 *
 * Why: tfjs-node, which would run these through libtensorflow's oneDNN, cannot install here (its
 * download is unreachable). wasm's XNNPACK runs a conv at ~30 GFLOP/s on one core; oneDNN runs the same
 * layers 3-8x faster (`node dist/bench/kernels.js`, docs/model-notes.md section 29). Convolutions are two
 * thirds of a training step (section 23), so this is where the 60-minute pretraining budget goes.
 *
 * The tensors stay in wasm memory: each kernel allocates its output there (`makeOutput`) and the addon
 * reads and writes the heap views in place, synchronously. It is optional: without the built addon, or
 * with `WB_NATIVE=0`, the wasm kernels run as before (lib/core/wasmKernels.ts for the gradients). A call
 * the addon does not cover (NCHW, dilations, other fused activations), or a geometry oneDNN has no
 * primitive for (warned once), goes to the kernel it replaced.
 * The two paths sum in different orders, so a training run on one does not reproduce the other's
 * weights bit for bit; the checkpoint's meta records which ran (`customKernels`).
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { join } from "node:path";
import { ROOT } from "./paths";

type Info = tf.TensorInfo;

interface Addon {
  conv(kind: 0 | 1 | 2, a: Float32Array, b: Float32Array, c: Float32Array, bias: Float32Array | null, geometry: number[], relu: boolean): void;
  version(): string;
}

/** Where scripts/build-native.mjs puts the addon. */
export const NATIVE_ADDON = join(ROOT, "native", "build", "dnnlconv.node");

let addon: Addon | null | undefined;
let loadError = "";

/** The addon, or null when it is not built, cannot load, or `WB_NATIVE=0`; `nativeConvStatus` says why. */
export function nativeConv(): Addon | null {
  if (addon !== undefined) return addon;
  if (process.env.WB_NATIVE === "0") {
    loadError = "disabled by WB_NATIVE=0";
    return (addon = null);
  }
  try {
    addon = require(NATIVE_ADDON) as Addon;
  } catch (e) {
    loadError = (e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" ? `not built (${NATIVE_ADDON}; needs g++ and libdnnl-dev, then npm run build)` : (e as Error).message.split("\n")[0];
    addon = null;
  }
  return addon;
}

/** One line for logs: the oneDNN version in use, or why the wasm kernels run instead. */
export function nativeConvStatus(): string {
  const a = nativeConv();
  return a ? `oneDNN ${a.version()}` : `off: ${loadError}`;
}

/** tfjs's conv geometry in the addon's order (n, h, w, ci, kh, kw, co, oh, ow, sh, sw, pt, pb, pl, pr). */
function geometry(c: tf.backend_util.Conv2DInfo): number[] {
  return [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, c.outChannels, c.outHeight, c.outWidth,
    c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.bottom, c.padInfo.left, c.padInfo.right];
}

/** The conv's geometry, or null where the addon does not apply (the replaced kernel runs). */
function convInfo(xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap, dtypes: string[]): tf.backend_util.Conv2DInfo | null {
  const { strides, pad, dataFormat, dimRoundingMode, dilations } = attrs as unknown as tf.Conv2DAttrs;
  if (dataFormat !== "NHWC" || dtypes.some((d) => d !== "float32")) return null;
  if (dilations != null && [dilations].flat().some((d) => d !== 1)) return null;
  const c = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, 1, pad, dimRoundingMode, false, "channelsLast");
  const p = c.padInfo;
  // oneDNN needs pads it can express (no negative pads; tfjs never makes them) and a non-empty output.
  if (Math.min(p.top, p.bottom, p.left, p.right) < 0 || c.outHeight <= 0 || c.outWidth <= 0) return null;
  return c;
}

/** The kernels this module replaced, so that unsupported calls and `unregisterNativeConvKernels` reach them. */
const replaced = new Map<string, tf.KernelConfig>();

function fallback(name: string, args: Parameters<tf.KernelFunc>[0]): Info {
  const k = replaced.get(name);
  if (!k) throw new Error(`nativeConv: no wasm kernel '${name}' to fall back to`);
  return k.kernelFunc(args) as Info;
}

/** Kernel calls (name, geometry, fusion) oneDNN refused (no primitive on this CPU): they run on wasm, said once each. */
const refused = new Set<string>();

/**
 * One kernel call through the addon: allocates the output in wasm memory and hands the addon heap views
 * taken after that allocation (heap growth detaches views); `outSlot` is the argument the output takes.
 * Where oneDNN has no primitive for the geometry (its error carries a status) the replaced kernel runs
 * instead; other errors of the call (wrong sizes) are bugs and propagate.
 */
function runNative(name: string, args: Parameters<tf.KernelFunc>[0], kind: 0 | 1 | 2, outShape: number[], ins: (Info | null)[], outSlot: 0 | 1 | 2,
  c: tf.backend_util.Conv2DInfo, fused: { bias?: Info; relu?: boolean } = {}): Info {
  const g = geometry(c);
  const key = `${name} ${g.join(",")}${fused.bias ? " bias" : ""}${fused.relu ? " relu" : ""}`;
  if (refused.has(key)) return fallback(name, args);
  const be = args.backend as BackendWasm;
  const out = be.makeOutput(outShape, "float32");
  try {
    const views = ins.map((t, i) => be.typedArrayFromHeap(i === outSlot ? out : t!)) as Float32Array[];
    nativeConv()!.conv(kind, views[0], views[1], views[2], fused.bias ? be.typedArrayFromHeap(fused.bias) as Float32Array : null, g, fused.relu ?? false);
    return out;
  } catch (e) {
    be.disposeData(out.dataId);
    const msg = (e as Error).message;
    if (!/\(status -?\d+, geometry/.test(msg)) throw e;
    refused.add(key);
    console.warn(`nativeConv: oneDNN refused ${key}, running wasm's kernel for it instead: ${msg}`);
    return fallback(name, args);
  }
}

const conv2d: tf.KernelFunc = (args) => {
  const { inputs, attrs = {} } = args;
  const { x, filter } = inputs as { x: Info; filter: Info };
  const c = convInfo(x.shape, filter.shape, attrs, [x.dtype, filter.dtype]);
  if (!c) return fallback("Conv2D", args);
  return runNative("Conv2D", args, 0, c.outShape, [x, filter, null], 2, c);
};

const fusedConv2d: tf.KernelFunc = (args) => {
  const { inputs, attrs = {} } = args;
  const { x, filter, bias, preluActivationWeights } = inputs as { x: Info; filter: Info; bias?: Info; preluActivationWeights?: Info };
  const { activation } = attrs as unknown as tf.FusedConv2DAttrs;
  const c = convInfo(x.shape, filter.shape, attrs, [x.dtype, filter.dtype, ...(bias ? [bias.dtype] : [])]);
  const simpleBias = !bias || (bias.shape.length === 1 && bias.shape[0] === filter.shape[3]);
  if (!c || preluActivationWeights || !simpleBias || (activation !== "linear" && activation !== "relu")) return fallback("FusedConv2D", args);
  return runNative("FusedConv2D", args, 0, c.outShape, [x, filter, null], 2, c, { bias, relu: activation === "relu" });
};

const backpropInput: tf.KernelFunc = (args) => {
  const { inputs, attrs = {} } = args;
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const { inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const c = convInfo(inputShape, filter.shape, attrs, [dy.dtype, filter.dtype]);
  if (!c) return fallback("Conv2DBackpropInput", args);
  return runNative("Conv2DBackpropInput", args, 1, [...inputShape], [null, filter, dy], 0, c);
};

const backpropFilter: tf.KernelFunc = (args) => {
  const { inputs, attrs = {} } = args;
  const { x, dy } = inputs as { x: Info; dy: Info };
  const { filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const c = convInfo(x.shape, filterShape, attrs, [x.dtype, dy.dtype]);
  if (!c) return fallback("Conv2DBackpropFilter", args);
  return runNative("Conv2DBackpropFilter", args, 2, [...filterShape], [x, null, dy], 1, c);
};

const ours: Record<string, tf.KernelFunc> = {
  Conv2D: conv2d,
  FusedConv2D: fusedConv2d,
  Conv2DBackpropInput: backpropInput,
  Conv2DBackpropFilter: backpropFilter,
};

/** Names of the kernels this module has registered for 'wasm' now. */
export function activeNativeConvKernels(): string[] {
  return Object.keys(ours).filter((name) => tf.getKernel(name, "wasm")?.kernelFunc === ours[name]);
}

/**
 * Registers the oneDNN kernels for 'wasm' when the addon loads (idempotent); returns the names active.
 * Call after the wasm backend has started and after `registerWasmGradKernels`: the kernels replaced here
 * are the fallbacks, and wasm's own ones must have had their setup run by the backend's start.
 */
export function registerNativeConvKernels(): string[] {
  if (!nativeConv()) return [];
  for (const [name, kernelFunc] of Object.entries(ours)) {
    const current = tf.getKernel(name, "wasm");
    if (current?.kernelFunc === kernelFunc) continue;
    if (!current) throw new Error(`nativeConv: wasm has no '${name}' kernel to stand in for (register the wasm gradient kernels first)`);
    replaced.set(name, current);
    tf.unregisterKernel(name, "wasm"); // registerKernel would warn "already registered"
    tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc });
  }
  return activeNativeConvKernels();
}

/** Puts back the kernels `registerNativeConvKernels` replaced (benchmarks and tests compare both paths). */
export function unregisterNativeConvKernels(): void {
  for (const name of activeNativeConvKernels()) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(replaced.get(name)!);
  }
}
