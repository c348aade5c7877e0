/**
 * An exponential moving average of the weights (Polyak averaging, as YOLO, EfficientNet and many
 * detectors evaluate with): after update t, avg <- d_t avg + (1 - d_t) w, with
 * d_t = min(decay, (1 + t) / (10 + t)), TensorFlow's `ExponentialMovingAverage(num_updates)` warm-up,
 * so that the average does not drag in the random initial weights. d_t depends on t alone, so a
 * resumed run (the average restored from its checkpoint) reproduces an uninterrupted one exactly.
 */
import * as tf from "@tensorflow/tfjs";

/** The decay applied at update `t` (1-based). */
export function emaDecayAt(decay: number, t: number): number {
  return Math.min(decay, (1 + t) / (10 + t));
}

export class WeightAverage {
  private readonly avg: tf.Variable[];

  /** Starts at the current values of `vars`. */
  constructor(readonly vars: readonly tf.Variable[], readonly decay: number) {
    if (!(decay > 0 && decay < 1)) throw new Error(`train.emaDecay: ${decay} is not in (0, 1)`);
    this.avg = vars.map((v) => tf.tidy(() => tf.variable(v.clone(), false)));
  }

  /** Fold in the weights after update `t` (1-based). */
  update(t: number): void {
    const d = emaDecayAt(this.decay, t);
    tf.tidy(() => this.avg.forEach((a, i) => a.assign(a.mul(d).add(this.vars[i].mul(1 - d)))));
  }

  /** Copies of the averaged weights (the caller disposes them). */
  values(): tf.Tensor[] {
    return this.avg.map((a) => a.clone());
  }

  /** Replace the average (a resume). */
  set(values: readonly tf.Tensor[]): void {
    if (values.length !== this.avg.length || values.some((v, i) => v.shape.join() !== this.avg[i].shape.join())) {
      throw new Error("weight average: the saved average does not fit this model");
    }
    values.forEach((v, i) => this.avg[i].assign(v));
  }

  dispose(): void {
    tf.dispose(this.avg);
  }
}
