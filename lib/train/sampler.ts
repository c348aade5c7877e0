/**
 * A weighted mix of datasets, as the report's finetuning mixes the labeled and the pseudo-labeled set
 * (weights 0.5 / 0.5): each draw picks a source with probability proportional to its weight, then an
 * index uniformly, both with replacement. The draws of step t come from `Rng(seed).fork(t)`, so the
 * data order is a pure function of (seed, step): a resumed run gets the same batches without replaying.
 */
import { Rng } from "../core/rng";
import type { SampleSource } from "../data/records";

export interface WeightedSource {
  source: SampleSource;
  /** Sampling weight (relative; need not sum to 1). */
  weight: number;
}

export interface Draw {
  /** Index into the sources list. */
  source: number;
  /** Index within that source. */
  index: number;
}

export class MixSampler {
  private readonly rng: Rng;
  private readonly weights: number[];

  constructor(readonly sources: readonly WeightedSource[], seed: number | string) {
    if (sources.length === 0) throw new Error("sampler: no sources");
    for (const s of sources) {
      if (!(s.weight >= 0 && Number.isFinite(s.weight))) throw new Error(`sampler: source '${s.source.name}' has weight ${s.weight}`);
      if (s.weight > 0 && !(s.source.size > 0)) throw new Error(`sampler: source '${s.source.name}' is empty but has weight ${s.weight}`);
    }
    this.weights = sources.map((s) => s.weight);
    if (!(this.weights.reduce((a, b) => a + b, 0) > 0)) throw new Error("sampler: the weights sum to 0");
    this.rng = new Rng(`${seed}/sampler`);
  }

  /** The `batchSize` draws of training step `step` (a pure function of seed and step). */
  batch(step: number, batchSize: number): Draw[] {
    const r = this.rng.fork(step);
    return Array.from({ length: batchSize }, () => {
      const source = r.weighted(this.weights);
      return { source, index: r.int(0, this.sources[source].source.size - 1) };
    });
  }

  /** Sum of the sources' sizes (an "epoch" of a weighted mix is a convention: this many images). */
  get totalSize(): number {
    return this.sources.reduce((n, s) => n + (s.weight > 0 ? s.source.size : 0), 0);
  }
}
