/**
 * The subset stage: a seeded random subset of the lab domain ("MPI 500" in the report: 500 frames
 * drawn at random from MPI-INF-3DHP training). Indices are drawn without replacement and stored
 * sorted, with the config that made them.
 */
import { Rng } from "../core/rng";
import type { Config } from "../config";
import { cachedStage, type StageInfo } from "../core/stage";
import { validateWorld } from "./datasets";

export interface Subset {
  domain: "lab";
  seed: number;
  /** Size of the lab dataset the indices refer to. */
  of: number;
  /** Sorted lab indices. */
  indices: number[];
}

/** Pure: the subset of `cfg.subset.size` lab indices for `seed`. */
export function drawSubset(cfg: Config, seed: number): Subset {
  validateWorld(cfg);
  const n = cfg.world.labImages, k = cfg.subset.size;
  if (!Number.isInteger(k) || k < 1) throw new Error(`config: subset.size must be a positive integer, got ${k}`);
  if (k > n) throw new Error(`config: subset.size (${k}) exceeds world.labImages (${n})`);
  const indices = new Rng(`subset/${seed}`).sampleWithoutReplacement(n, k).sort((a, b) => a - b);
  return { domain: "lab", seed, of: n, indices };
}

/** The stage: draw (or reuse) the subset and save it as `<dir>/subset.json` with its config. */
export async function subsetStage(cfg: Config, seed: number, dir: string, log?: (s: string) => void): Promise<{ result: Subset; info: StageInfo }> {
  const key = { world: cfg.world, subset: cfg.subset, seed };
  return cachedStage("subset", dir, key, () => drawSubset(cfg, seed), log);
}
