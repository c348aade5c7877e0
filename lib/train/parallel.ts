/**
 * Data parallelism over worker threads. The wasm backend uses one core (tfjs hard-wires its threads
 * off in Node), and two tfjs instances side by side each keep their speed (TOOLCHAIN.md: 1.9x
 * together), so a training step splits its batch: the main thread computes the gradients of one
 * part while each worker computes another, on its own model copy loaded with the main thread's
 * current weights. The loop averages the parts' gradients (weighted by images) and takes one update,
 * so the optimizer, its state and the checkpoints stay on the main thread only.
 *
 * Measured (bench/RESULTS.md): 1.14x at 128 px and no gain at 96 px, well short of two processes'
 * 1.9x: the main thread's serial part (weights out, gradients back and averaged) eats the rest.
 *
 * The split of a batch is fixed (contiguous parts in draw order), so a run is as deterministic and
 * resumable with workers as without; it equals the single-thread run up to float summation order
 * and the per-part normalisation of the masked means.
 */
import * as tf from "@tensorflow/tfjs";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import type { Batch } from "./targets";
import type { LossConfig } from "./losses";

/** A Batch as plain data (what crosses a thread boundary). */
export interface SerialBatch {
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
  numPeople: number;
  skipped: number;
}

export function serialiseBatch(b: Batch): SerialBatch {
  const tensors: SerialBatch["tensors"] = {};
  for (const [k, v] of Object.entries(b)) if (v instanceof tf.Tensor) tensors[k] = { shape: v.shape, data: v.dataSync() as Float32Array };
  return { tensors, numPeople: b.numPeople, skipped: b.skipped };
}

export function deserialiseBatch(s: SerialBatch): Batch {
  const out: Record<string, unknown> = { numPeople: s.numPeople, skipped: s.skipped };
  for (const [k, v] of Object.entries(s.tensors)) out[k] = tf.tensor(v.data, v.shape);
  return out as unknown as Batch;
}

export interface PartResult {
  /** one per trainable weight, in `model.trainableWeights` order */
  grads: Float32Array[];
  /** loss terms in LOSS_NAMES order */
  terms: Float32Array;
  total: number;
}

interface Pending {
  resolve: (r: PartResult) => void;
  reject: (e: Error) => void;
}

/** One worker thread holding a copy of the model (built from its JSON topology). */
export class GradWorker {
  private readonly worker: Worker;
  private pending: Pending | null = null;
  private failed: Error | null = null;

  constructor(modelTopology: string, loss: LossConfig) {
    this.worker = new Worker(join(__dirname, "gradWorker.js"), { workerData: { modelTopology, loss } });
    this.worker.on("message", (m: { ok: true; result: PartResult } | { ok: false; error: string }) => {
      const p = this.pending;
      this.pending = null;
      if (!p) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`gradient worker: ${m.error}`));
    });
    this.worker.on("error", (e) => {
      this.failed = e;
      this.pending?.reject(e);
      this.pending = null;
    });
  }

  /** Start the gradients of `batch` at `weights` (all model weights, `model.weights` order). */
  grads(weights: Float32Array[], batch: SerialBatch): Promise<PartResult> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.pending) return Promise.reject(new Error("gradient worker: busy"));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ weights, batch });
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Sizes of `parts` contiguous parts of `n` images, as equal as possible, larger first. */
export function splitSizes(n: number, parts: number): number[] {
  const k = Math.max(1, Math.min(parts, n));
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}
