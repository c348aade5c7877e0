/**
 * Conv2D gradient kernels for the tfjs wasm backend, built from wasm's own forward kernels.
 *
 * - `Conv2DBackpropFilter` is missing on wasm (training any conv net fails without it).
 * - wasm's `Conv2DBackpropInput` is a scalar loop; forward Conv2Ds (XNNPACK) are much faster.
 *
 * Both call kernels already registered for 'wasm' (Conv2D, Transpose, Slice) directly on TensorInfos,
 * the way wasm's own composite kernels do: no engine Tensors, no tape, and every intermediate is
 * released with `backend.disposeData` (wasm refcounts its data ids, so an output that shares an
 * intermediate's data id stays alive). The little data shuffling that wasm's kernels do slowly
 * (strided filter slices, 6-D interleaving) is done in JS on the wasm heap.
 *
 * Still missing on wasm in tfjs 4.22 (not needed by the models here, so not provided):
 * DepthwiseConv2dNativeBackpropFilter/Input (depthwise/separable convs cannot train), gradients of
 * dilated convs (tfjs-core's Conv2D gradient refuses dilations > 1 on every backend),
 * UnsortedSegmentSum, Einsum.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

type Info = tf.TensorInfo;
type Backend = tf.KernelBackend;
type Pads = [top: number, bottom: number, left: number, right: number];

function run(backend: Backend, kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: object): Info {
  const kernel = tf.getKernel(kernelName, "wasm");
  if (!kernel) throw new Error(`wasmKernels: kernel '${kernelName}' is not registered for 'wasm' (load @tensorflow/tfjs-backend-wasm first)`);
  return kernel.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend }) as Info;
}

/** Runs `f`, then frees every intermediate it marked with `tmp` except the returned one, also on error. */
function composite(backend: Backend, f: (tmp: (t: Info) => Info) => Info): Info {
  const tmps: Info[] = [];
  let out: Info | undefined;
  try {
    out = f((t) => (tmps.push(t), t));
    return out;
  } finally {
    for (const t of tmps) if (t !== out) backend.disposeData(t.dataId);
  }
}

/**
 * Stride-1 Conv2D with explicit pads, where a negative pad means "crop that many rows/cols first"
 * (rows the forward conv never reached: 'valid' or 1x1 filters with a stride that does not divide
 * the size). Conv2D itself only accepts non-negative pads.
 */
function convPadded(backend: Backend, tmp: (t: Info) => Info, x: Info, filter: Info, pads: Pads, dilations: [number, number]): Info {
  const [t, b, l, r] = pads;
  if (Math.min(t, b, l, r) < 0) {
    const [n, h, w, c] = x.shape;
    const [ct, cb, cl, cr] = pads.map((p) => Math.max(0, -p));
    if (h - ct - cb <= 0 || w - cl - cr <= 0) throw new Error(`wasmKernels: pads ${pads} crop away all of ${x.shape}`);
    x = tmp(run(backend, "Slice", { x }, { begin: [0, ct, cl, 0], size: [n, h - ct - cb, w - cl - cr, c] }));
  }
  const pad = [[0, 0], [Math.max(0, t), Math.max(0, b)], [Math.max(0, l), Math.max(0, r)], [0, 0]];
  return run(backend, "Conv2D", { x, filter }, { strides: [1, 1], dilations, pad, dataFormat: "NHWC" });
}

/** Geometry of the forward conv whose gradient is asked for; refuses what the tricks below do not cover. */
function forwardInfo(kernelName: string, xShape: number[], filterShape: number[], attrs: tf.NamedAttrMap) {
  const { strides, pad, dataFormat, dimRoundingMode, dilations } = attrs as unknown as tf.Conv2DBackpropFilterAttrs & { dilations?: number | number[] };
  if (dataFormat !== "NHWC") throw new Error(`wasm ${kernelName}: only dataFormat NHWC is supported, got '${dataFormat}'`);
  // The gradient ops never pass dilations today; refuse them loudly in case a future caller does.
  if (dilations != null && [dilations].flat().some((d) => d !== 1)) throw new Error(`wasm ${kernelName}: dilations > 1 are not supported, got ${dilations}`);
  return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, 1, pad, dimRoundingMode, false, "channelsLast");
}

/**
 * dW[p,q,ci,co] = sum_{n,i,j} x[n, i*s+p-pt, j*s+q-pl, ci] * dy[n,i,j,co]: a conv of x^T (batch = Ci,
 * channels = N) with dy^T as a (Ho x Wo) filter over N channels, whose taps sit s apart (dilation = stride).
 */
const backpropFilter: tf.KernelFunc = ({ inputs, attrs = {}, backend }) => {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const c = forwardInfo("Conv2DBackpropFilter", x.shape, (attrs as unknown as tf.Conv2DBackpropFilterAttrs).filterShape, attrs);
  const be = backend as Backend;
  return composite(be, (tmp) => {
    const xt = tmp(run(be, "Transpose", { x }, { perm: [3, 1, 2, 0] })); // [N,H,W,Ci] -> [Ci,H,W,N]
    const dyt = tmp(run(be, "Transpose", { x: dy }, { perm: [1, 2, 0, 3] })); // [N,Ho,Wo,Co] -> [Ho,Wo,N,Co]
    // Output height kh = (H + pt + pb) - (Ho-1)*s  =>  pb below (negative: rows never used by the forward conv).
    const pads: Pads = [
      c.padInfo.top, c.filterHeight + (c.outHeight - 1) * c.strideHeight - c.inHeight - c.padInfo.top,
      c.padInfo.left, c.filterWidth + (c.outWidth - 1) * c.strideWidth - c.inWidth - c.padInfo.left,
    ];
    const dwt = tmp(convPadded(be, tmp, xt, dyt, pads, [c.strideHeight, c.strideWidth])); // [Ci,kh,kw,Co]
    return run(be, "Transpose", { x: dwt }, { perm: [1, 2, 0, 3] }); // -> [kh,kw,Ci,Co]
  });
};

/**
 * dx[n,h,w,ci] = sum dy[n,i,j,co] * W[p,q,ci,co] over h = i*s+p-pt, w = j*s+q-pl. Textbook form: a
 * stride-1 conv of dy with s-1 zeros inserted between pixels, by W flipped in space with in/out
 * channels swapped. At stride 2 three in four of that conv's multiply-adds hit inserted zeros, so it
 * is split by output phase instead: rows h with (h+pt) mod s = r only meet taps p = r, r+s, ..., so
 * each (row phase, col phase) is a dense stride-1 conv of dy itself by those taps, and the s*s results
 * are interleaved. Same multiply-adds as the forward conv: about 3x faster than zero insertion at
 * stride 2 (measured on 16x16x128 -> 32x32x64). At stride 1 there is one phase: the textbook form.
 */
const backpropInput: tf.KernelFunc = ({ inputs, attrs = {}, backend }) => {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const c = forwardInfo("Conv2DBackpropInput", (attrs as unknown as tf.Conv2DBackpropInputAttrs).inputShape, filter.shape, attrs);
  const [n, , , co] = dy.shape;
  const [h, w, ci, kw, sh, sw] = [c.inHeight, c.inWidth, c.inChannels, c.filterWidth, c.strideHeight, c.strideWidth];
  const rows = phases(h, c.outHeight, c.filterHeight, sh, c.padInfo.top);
  const cols = phases(w, c.outWidth, kw, sw, c.padInfo.left);
  const be = backend as BackendWasm;
  // Filters are small: their taps are gathered in JS (wasm's StridedSlice takes ~9 ms on a 3x3x128x64 filter).
  const wv = be.readSync(filter.dataId) as Float32Array;
  return composite(be, (tmp) => {
    const parts: { r: Phase; q: Phase; dx: Info }[] = [];
    for (const r of rows) {
      for (const q of cols) {
        if (!r.taps.length || !q.taps.length) continue; // e.g. 1x1 filter, stride 2: odd rows get no gradient
        // Sub-filter [tr, tq, Co, Ci]: the phase's taps, flipped in space, in/out channels swapped.
        const sub = new Float32Array(r.taps.length * q.taps.length * co * ci);
        let o = 0;
        for (const p of r.taps) for (const t of q.taps) for (let oc = 0; oc < co; oc++) for (let ic = 0; ic < ci; ic++) sub[o++] = wv[((p * kw + t) * ci + ic) * co + oc];
        const wSub = tmp(be.makeOutput([r.taps.length, q.taps.length, co, ci], "float32", undefined, sub));
        parts.push({ r, q, dx: tmp(convPadded(be, tmp, dy, wSub, [r.padFront, r.padBack, q.padFront, q.padBack], [1, 1])) });
      }
    }
    if (sh === 1 && sw === 1) return parts[0].dx;
    // Interleave in JS: wasm's 6-D Transpose (130 ms) and DepthToSpace (85 ms) cost more than the convs here.
    const out = be.makeOutput([n, h, w, ci], "float32");
    const dst = be.typedArrayFromHeap(out); // views only after the last allocation: heap growth detaches them
    if (parts.length < sh * sw) dst.fill(0);
    for (const { r, q, dx } of parts) {
      const src = be.typedArrayFromHeap(dx);
      const [lh, lw] = [dx.shape[1], dx.shape[2]];
      for (let b = 0; b < n; b++) {
        for (let i = 0, y = r.offset; i < lh && y < h; i++, y += sh) {
          for (let j = 0, x = q.offset; j < lw && x < w; j++, x += sw) {
            const s0 = ((b * lh + i) * lw + j) * ci, d0 = ((b * h + y) * w + x) * ci;
            for (let k = 0; k < ci; k++) dst[d0 + k] = src[s0 + k];
          }
        }
      }
    }
    return out;
  });
};

interface Phase { taps: number[]; offset: number; padFront: number; padBack: number }

/**
 * One spatial axis of the phase split. Phase r in [0, s) uses filter taps r + s*m (listed in flipped
 * order, as the conv over dy needs them) and writes input rows offset, offset+s, ...; the pads make its
 * dense conv over dy (outSize rows) yield ceil(inSize/s) rows (the last may fall past the input: dropped).
 */
function phases(inSize: number, outSize: number, k: number, s: number, padFront: number): Phase[] {
  const rowsOut = Math.ceil(inSize / s);
  return Array.from({ length: s }, (_, r) => {
    const m = Math.max(0, Math.ceil((k - r) / s));
    const q0 = Math.ceil((padFront - r) / s); // first dy row whose phase-r contribution lands at input row >= 0
    const front = m - 1 - q0;
    return { taps: Array.from({ length: m }, (_, i) => r + s * (m - 1 - i)), offset: q0 * s + r - padFront, padFront: front, padBack: rowsOut + m - 1 - outSize - front };
  });
}

const ours: Record<string, tf.KernelConfig> = {
  Conv2DBackpropFilter: { kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: backpropFilter },
  Conv2DBackpropInput: { kernelName: "Conv2DBackpropInput", backendName: "wasm", kernelFunc: backpropInput },
};

/**
 * Kernels this project puts in place of wasm's own (or where wasm has none), which it can take out
 * again for benchmarks and tests: the conv gradients above, and the copy kernels of ./wasmCopy.
 */
export class WasmKernelSet {
  /** wasm's own kernel for each name we replaced (undefined: it had none), so that it can be put back. */
  private readonly replaced = new Map<string, tf.KernelConfig | undefined>();
  constructor(private readonly ours: Record<string, tf.KernelConfig>) {}

  /** wasm's own kernel that ours replaced under `name` (undefined: it had none, or ours is not registered yet). */
  original(name: string): tf.KernelConfig | undefined {
    return this.replaced.get(name);
  }

  /** Names of ours currently registered for 'wasm'. */
  active(): string[] {
    return Object.keys(this.ours).filter((name) => tf.getKernel(name, "wasm")?.kernelFunc === this.ours[name].kernelFunc);
  }

  /** Registers `names` (default all; idempotent); returns the names now active. */
  register(names: readonly string[] = Object.keys(this.ours)): string[] {
    for (const name of names) {
      const current = tf.getKernel(name, "wasm");
      if (current?.kernelFunc === this.ours[name].kernelFunc) continue;
      if (!this.replaced.has(name)) this.replaced.set(name, current);
      if (current) tf.unregisterKernel(name, "wasm"); // registerKernel would warn "already registered"
      tf.registerKernel(this.ours[name]);
    }
    return this.active();
  }

  /** Puts wasm's own kernels back. */
  unregister(): void {
    for (const name of this.active()) {
      tf.unregisterKernel(name, "wasm");
      const original = this.replaced.get(name);
      if (!original) continue;
      tf.registerKernel(original);
      // The engine runs setupFuncs (which bind the wasm functions) only for kernels registered when the
      // backend starts; ours stood in for this one then, so bind it now if the backend is already up.
      const backend = tf.engine().registry["wasm"];
      if (backend) original.setupFunc?.(backend);
    }
  }
}

const grads = new WasmKernelSet(ours);

/** Names of our gradient kernels currently registered for 'wasm'. */
export function activeWasmGradKernels(): string[] {
  return grads.active();
}

/**
 * Registers the gradient kernels for 'wasm' (idempotent; `backpropInput: false` keeps wasm's own
 * loop kernel, for benchmarks). Call after @tensorflow/tfjs-backend-wasm is loaded: loading it
 * later would put wasm's Conv2DBackpropInput back. Returns the names now active.
 */
export function registerWasmGradKernels(opts: { backpropInput?: boolean } = {}): string[] {
  return grads.register(opts.backpropInput === false ? ["Conv2DBackpropFilter"] : undefined);
}

/** Puts wasm's own kernels back (for benchmarks and tests). */
export function unregisterWasmGradKernels(): void {
  grads.unregister();
}
