/**
 * Optimisers, the learning-rate schedule and gradient clipping.
 *
 * Adam and RAdam share one small implementation over tf.Variables (`AdamFamily`) rather than
 * tf.train.adam, for two reasons: tf.train.adam re-derives beta^t with a float32 pow when its state is
 * restored, so a resumed run drifts from an uninterrupted one by rounding; here the step count t is
 * the whole schedule state and every bias correction is computed from it in float64, so a resume is
 * bit-exact. And it gives both the decoupled weight decay of the RAdam reference code.
 *
 * Adam (Kingma & Ba 2015), as tf.train.adam and PyTorch compute it:
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * RAdam (Liu et al., ICLR 2020, "On the variance of the adaptive learning rate and beyond"), as the
 * authors' code (LiyuanLucasLiu/RAdam, radam.py, degenerated_to_sgd=True) computes it:
 *   rho_inf = 2 / (1 - b2) - 1;  rho_t = rho_inf - 2 t b2^t / (1 - b2^t)
 *   rho_t >= threshold (5 in the code; the paper's Algorithm 2 says > 4):
 *     r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
 *     p -= lr * r_t * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
 *   otherwise (the first steps, variance not tractable): p -= lr * m / (1 - b1^t)   (SGD with momentum)
 * Weight decay, both (decoupled, as radam.py): p -= lr * wd * p before the update.
 */
import * as tf from "@tensorflow/tfjs";
import { decodeWeightBytes } from "../core/checkpoint";

export type OptimizerKind = "adam" | "radam";

export interface OptimizerConfig {
  optimizer: OptimizerKind;
  /** Peak learning rate (after warm-up). */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay (upstream 1e-4). */
  weightDecay: number;
  /** RAdam: rectify once rho_t reaches this (the reference code's 5). */
  rectifyThreshold: number;
}

export interface ScheduleConfig {
  lr: number;
  /** Linear warm-up over this many steps (upstream 50), from lr * warmupRatio to lr. */
  warmupSteps: number;
  /** mmdetection's linear warm-up starts at 1/3 of the rate. */
  warmupRatio: number;
  /** After warm-up: constant, cosine decay to lr * minLrFactor over the run, or steps at epochs. */
  schedule: "constant" | "cosine" | "step";
  minLrFactor: number;
  /** schedule "step": multiply by lrStepGamma at the start of each of these epochs (0-based). */
  lrStepEpochs: number[];
  lrStepGamma: number;
}

/** The learning rate of update number `step` (0-based) of a run of `totalSteps`. */
export function learningRate(step: number, cfg: ScheduleConfig, run: { totalSteps: number; stepsPerEpoch: number }): number {
  let f = 1;
  if (cfg.schedule === "cosine") {
    const x = Math.min(1, step / Math.max(1, run.totalSteps));
    f = cfg.minLrFactor + ((1 - cfg.minLrFactor) * (1 + Math.cos(Math.PI * x))) / 2;
  } else if (cfg.schedule === "step") {
    const epoch = Math.floor(step / Math.max(1, run.stepsPerEpoch));
    f = cfg.lrStepGamma ** cfg.lrStepEpochs.filter((e) => epoch >= e).length;
  }
  if (step < cfg.warmupSteps) f *= 1 - (1 - cfg.warmupRatio) * (1 - step / cfg.warmupSteps);
  return cfg.lr * f;
}

/**
 * Scale `grads` so that their global L2 norm is at most `maxNorm` (PyTorch's clip_grad_norm_:
 * factor maxNorm / (norm + 1e-6) when norm > maxNorm). maxNorm <= 0 = no clipping.
 * Returns new tensors (the caller disposes them) and the norm before clipping.
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  const norm = Math.sqrt(tf.tidy(() => tf.addN(grads.map((g) => g.square().sum())).dataSync()[0]));
  const f = maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  return { grads: grads.map((g) => (f === 1 ? g.clone() : tf.tidy(() => g.mul(f)))), norm };
}

/** RAdam's rectification factor r_t, or null while the variance is not tractable (rho_t < threshold). */
export function radamRectifier(t: number, beta2: number, threshold = 5): number | null {
  const rhoInf = 2 / (1 - beta2) - 1;
  const b2t = beta2 ** t;
  const rho = rhoInf - (2 * t * b2t) / (1 - b2t);
  if (rho < threshold) return null;
  return Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
}

/** Adam or RAdam over a fixed, ordered list of variables (see header). */
export class AdamFamily {
  /** Updates applied so far (t of the last update). */
  t = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(readonly vars: readonly tf.Variable[], readonly cfg: OptimizerConfig) {
    // tidy: a variable shares its initial value's data, and that tensor would otherwise stay tracked.
    this.m = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
    this.v = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
  }

  /** One update with `grads` (same order and shapes as `vars`) at learning rate `lr`. */
  apply(grads: readonly tf.Tensor[], lr: number): void {
    if (grads.length !== this.vars.length) throw new Error(`optimizer: ${grads.length} gradients for ${this.vars.length} variables`);
    const { beta1: b1, beta2: b2, eps, weightDecay: wd } = this.cfg;
    const t = this.t + 1;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    // Per-tensor update p -= a * m / (sqrt(v) + e), or p -= a * m without the adaptive denominator.
    let a: number, e: number, adaptive = true;
    if (this.cfg.optimizer === "adam") {
      // lr * m_hat / (sqrt(v_hat) + eps) == (lr sqrt(bc2) / bc1) * m / (sqrt(v) + eps sqrt(bc2))
      a = (lr * Math.sqrt(bc2)) / bc1;
      e = eps * Math.sqrt(bc2);
    } else {
      const r = radamRectifier(t, b2, this.cfg.rectifyThreshold);
      adaptive = r !== null;
      a = r !== null ? (lr * r * Math.sqrt(bc2)) / bc1 : lr / bc1;
      e = eps;
    }
    tf.tidy(() => {
      this.vars.forEach((p, i) => {
        const g = grads[i];
        const m = this.m[i].mul(b1).add(g.mul(1 - b1));
        const v = this.v[i].mul(b2).add(g.square().mul(1 - b2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const decayed = wd > 0 ? p.mul(1 - lr * wd) : p;
        const step = adaptive ? m.div(v.sqrt().add(e)).mul(a) : m.mul(a);
        p.assign(decayed.sub(step));
      });
    });
    this.t = t;
  }

  /** State for a checkpoint: t, then the moments in variable order. */
  getState(): { t: number; tensors: { name: string; tensor: tf.Tensor }[] } {
    return {
      t: this.t,
      tensors: [...this.m.map((x, i) => ({ name: `m/${i}`, tensor: x })), ...this.v.map((x, i) => ({ name: `v/${i}`, tensor: x }))],
    };
  }

  setState(state: { t: number; tensors: { name: string; tensor: tf.Tensor }[] }): void {
    const byName = new Map(state.tensors.map((n) => [n.name, n.tensor]));
    const restore = (vs: tf.Variable[], prefix: string) =>
      vs.forEach((x, i) => {
        const src = byName.get(`${prefix}/${i}`);
        if (!src) throw new Error(`optimizer state: missing ${prefix}/${i}`);
        if (src.shape.join() !== x.shape.join()) throw new Error(`optimizer state: ${prefix}/${i} has shape [${src.shape}], the variable [${x.shape}]`);
        x.assign(src);
      });
    restore(this.m, "m");
    restore(this.v, "v");
    this.t = state.t;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

/** Serialise an optimizer's state to the two files a checkpoint folder keeps. */
export async function optimizerFiles(opt: AdamFamily): Promise<Record<string, string | Uint8Array>> {
  const { t, tensors } = opt.getState();
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return {
    "optimizer.json": JSON.stringify({ kind: opt.cfg.optimizer, t, specs }, null, 1) + "\n",
    "optimizer.bin": new Uint8Array(data),
  };
}

/** Restore an optimizer from `optimizer.json` + `optimizer.bin` contents. */
export function restoreOptimizer(opt: AdamFamily, json: string, bin: Uint8Array): void {
  const { kind, t, specs } = JSON.parse(json) as { kind: OptimizerKind; t: number; specs: tf.io.WeightsManifestEntry[] };
  if (kind !== opt.cfg.optimizer) throw new Error(`optimizer state is for '${kind}', the run uses '${opt.cfg.optimizer}'`);
  const map = decodeWeightBytes(bin, specs);
  try {
    opt.setState({ t, tensors: Object.entries(map).map(([name, tensor]) => ({ name, tensor })) });
  } finally {
    tf.dispose(Object.values(map));
  }
}
