/**
 * The one place that picks the tfjs backend. Order: tfjs-node-gpu, tfjs-node (optional packages that
 * cannot install on machines without the libtensorflow download, so their absence is normal), wasm
 * (SIMD, one thread), cpu. `WB_BACKEND` or the `backend` option forces one, and a forced backend that
 * cannot start is an error: tfjs itself would silently fall back to cpu, which is ~250x slower here
 * (see shared/reference/TOOLCHAIN.md).
 */
import * as tf from "@tensorflow/tfjs";
import { dirname } from "node:path";
import { nativeConvStatus, registerNativeConvKernels } from "./nativeConv";
import { registerWasmCopyKernels } from "./wasmCopy";
import { registerWasmGradKernels } from "./wasmKernels";

export type BackendName = "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";
export const BACKEND_ORDER: readonly BackendName[] = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"];

export interface BackendInfo {
  /** The choice, spelled as `WB_BACKEND` spells it. */
  name: BackendName;
  /** `tf.getBackend()`: 'tensorflow' for both tfjs-node flavours. */
  tfBackend: string;
  tfjsVersion: string;
  /** wasm only. */
  simd?: boolean;
  /** wasm only: threads XNNPACK uses (1 in Node: tfjs hard-wires threads off there). */
  threads?: number;
  /** Kernels this project registered for the backend: the wasm conv gradients, then the oneDNN convs over them. */
  customKernels: string[];
  /** wasm only: the oneDNN conv addon's version, or why it is off (lib/core/nativeConv.ts). */
  native?: string;
}

const NODE_PACKAGES: Partial<Record<BackendName, string>> = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node",
  wasm: "@tensorflow/tfjs-backend-wasm",
};

// The engine is process-global, so the choice is too.
let starting: Promise<BackendInfo> | null = null;
let chosen: BackendInfo | null = null;

/** The backend chosen by `initBackend`, or null before it has finished. */
export function getBackendInfo(): BackendInfo | null {
  return chosen;
}

/**
 * Which convolution kernels this process trains with, in one phrase ("wasm + oneDNN 2.6.3", "wasm",
 * "tensorflow"): the two wasm paths sum in different orders, so a training run matches its rerun only on
 * the same one. Checkpoints record it, and a resume on the other path says so (lib/train/loop.ts).
 */
export function convKernels(): string {
  const info = chosen;
  if (!info) return "unknown";
  return info.name === "wasm" && info.native?.startsWith("oneDNN") ? `wasm + ${info.native}` : info.name;
}

/**
 * Starts the best available backend (or the forced one) once per process; later calls return the
 * same info, and throw if they force a different backend than the one running.
 */
export async function initBackend(opts: { backend?: string; quiet?: boolean } = {}): Promise<BackendInfo> {
  const forced = parseBackendName(opts.backend ?? process.env.WB_BACKEND);
  if (!starting) {
    starting = select(forced, opts.quiet ?? false);
    starting.catch(() => (starting = null)); // a failed start may be retried (e.g. with another WB_BACKEND)
  }
  const info = await starting;
  if (forced && forced !== info.name) {
    throw new Error(`initBackend: backend '${forced}' was asked for, but this process already runs '${info.name}' (tfjs has one engine per process)`);
  }
  return (chosen = info);
}

function parseBackendName(s: string | undefined): BackendName | null {
  if (s == null || s === "") return null;
  if (!(BACKEND_ORDER as readonly string[]).includes(s)) {
    throw new Error(`unknown backend '${s}' (from WB_BACKEND or the backend option): use one of ${BACKEND_ORDER.join(", ")}`);
  }
  return s as BackendName;
}

async function select(forced: BackendName | null, quiet: boolean): Promise<BackendInfo> {
  const skipped: string[] = [];
  for (const name of forced ? [forced] : BACKEND_ORDER) {
    try {
      const info = await start(name);
      if (!quiet) {
        const extra = name === "wasm" ? `, SIMD ${info.simd ? "on" : "OFF"}, ${info.threads} thread(s), native convs ${info.native}` : "";
        const kernels = info.customKernels.length ? `, custom kernels ${info.customKernels.join("+")}` : "";
        const skip = skipped.length ? `; skipped ${skipped.join(", ")}` : "";
        console.error(`tfjs backend: ${name}${extra}${kernels} (tfjs ${info.tfjsVersion})${skip}`);
      }
      return info;
    } catch (e) {
      const why = (e as Error).message;
      if (forced) throw new Error(`backend '${name}' was forced (WB_BACKEND or the backend option) but cannot start: ${why}`);
      skipped.push(`${name} (${why.split("\n")[0]})`);
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.join("; ")}`);
}

async function start(name: BackendName): Promise<BackendInfo> {
  const pkg = NODE_PACKAGES[name];
  let wasm: typeof import("@tensorflow/tfjs-backend-wasm") | undefined;
  if (name === "wasm") {
    // Loaded here, not at the top: once registered, wasm (priority 2) would be the engine's lazy default,
    // and as an async backend it makes any op that runs before `await tf.ready()` throw.
    wasm = await import("@tensorflow/tfjs-backend-wasm");
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  } else if (pkg) {
    try {
      require(pkg); // registers backend 'tensorflow' into the tfjs-core it resolves
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const missing = err.code === "MODULE_NOT_FOUND" && err.message.includes(`'${pkg}'`);
      throw new Error(missing ? `${pkg} is not installed` : `${pkg} failed to load: ${err.message}`);
    }
  }
  if (pkg) assertSameTfjsCore(pkg);
  const tfName = name === "tensorflow-gpu" ? "tensorflow" : name;
  // Registered after loading wasm: loading it registers wasm's own Conv2DBackpropInput over ours.
  let customKernels = name === "wasm" ? [...registerWasmGradKernels(), ...registerWasmCopyKernels()] : [];
  const ok = await tf.setBackend(tfName);
  if (!ok || tf.getBackend() !== tfName) {
    throw new Error(`tf.setBackend('${tfName}') failed (tfjs is on '${tf.getBackend()}' instead; see the tfjs warning above)`);
  }
  await tf.ready();
  // After the start: the kernels oneDNN replaces stay as fallbacks, and wasm's own need their setup run.
  if (name === "wasm") customKernels = [...new Set([...customKernels, ...registerNativeConvKernels()])];
  return {
    name,
    tfBackend: tfName,
    tfjsVersion: tf.version.tfjs,
    ...(wasm ? { simd: await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT") as boolean, threads: wasm.getThreadsCount(), native: nativeConvStatus() } : {}),
    customKernels,
  };
}

/**
 * A backend package that resolves its own copy of tfjs-core registers its backend and kernels into
 * that copy, which this project's `tf` never sees: fail with the two paths instead.
 */
function assertSameTfjsCore(pkg: string): void {
  const coreFrom = (p: string) => require.resolve("@tensorflow/tfjs-core", { paths: [dirname(require.resolve(`${p}/package.json`))] });
  const ours = coreFrom("@tensorflow/tfjs");
  const theirs = coreFrom(pkg);
  if (ours !== theirs) throw new Error(`${pkg} uses another @tensorflow/tfjs-core (${theirs}) than @tensorflow/tfjs (${ours}): dedupe node_modules`);
}
