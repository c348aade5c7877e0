/**
 * The thin shell around every stage: it stores the config that made an artifact next to it, skips
 * the work when an artifact of the same config hash is already there (so an interrupted run resumes
 * at the first missing stage), and writes atomically (a crash mid-stage leaves earlier artifacts intact).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { atomicWriteJson, codeVersion, readJson } from "./io";
import { configHash } from "./config";

export interface StageInfo {
  stage: string;
  hash: string;
  cached: boolean;
  dir: string;
  seconds: number;
}

/**
 * Run `compute` unless `dir/<stage>.json` already holds the result for the same `config` (by hash).
 * The result must be JSON-serialisable; `dir/<stage>.config.json` records the config, the hash, the
 * code version and the wall time.
 */
export async function cachedStage<T>(stage: string, dir: string, config: unknown, compute: () => T | Promise<T>, log: (s: string) => void = console.log): Promise<{ result: T; info: StageInfo }> {
  const hash = configHash(config);
  const out = join(dir, `${stage}.json`), meta = join(dir, `${stage}.config.json`);
  if (existsSync(out) && existsSync(meta) && readJson<{ hash: string }>(meta).hash === hash) {
    log(`${stage}: cached (${hash}) in ${dir}`);
    return { result: readJson<T>(out), info: { stage, hash, cached: true, dir, seconds: 0 } };
  }
  const t0 = Date.now();
  const result = await compute();
  const seconds = (Date.now() - t0) / 1000;
  // Artifact first, then its config: a crash between the two leaves a stale hash, hence a recompute.
  atomicWriteJson(out, result);
  atomicWriteJson(meta, { stage, hash, codeVersion: codeVersion(), seconds, writtenAt: new Date().toISOString(), config });
  log(`${stage}: done in ${seconds.toFixed(1)} s (${hash}) -> ${out}`);
  return { result, info: { stage, hash, cached: false, dir, seconds } };
}
