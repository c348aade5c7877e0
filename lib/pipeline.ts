/**
 * The stages wired together, each behind the cached stage shell (lib/core/stage.ts): a rerun skips
 * what is already done for the same config hash, and an interrupted run resumes at the first missing
 * stage. The CLI's `start` and the notebooks call the same functions.
 */
import { join } from "node:path";
import { configHash } from "./core/config";
import type { Config } from "./config";
import { atomicWriteJson, codeVersion } from "./core/io";
import { paths } from "./core/paths";
import { initBackend } from "./core/backend";
import { subsetStage, type Subset } from "./data/subset";
import { domainDataset, studioDataset } from "./data/datasets";

/** The data every table and figure must be labelled with. */
export const DATA_LABEL = "embedded synthetic world (mocap-driven; NOT MPI-INF-3DHP / Cityscapes / CMU Panoptic)";

/** `results/<run>` for a run name (the main job uses "main", quick mode "main-quick"). */
export function runDir(name: string): string {
  return join(paths.results, name);
}

export interface MainReport {
  run: string;
  data: string;
  quick: boolean;
  configHash: string;
  codeVersion: string;
  backend: string;
  seeds: number[];
  stages: { stage: string; seed?: number; cached: boolean; seconds: number }[];
  world: { domain: string; images: number; peoplePerImage: number }[];
  wallSeconds: number;
}

/**
 * The main job on the embedded default. Today: the subset stage for every seed, and a census of the
 * world's domains. Later stages (pretrained evaluation, finetunes, pseudo labels, filter, Table I)
 * append here as they land.
 */
export async function runMain(cfg: Config, opts: { run?: string; log?: (s: string) => void } = {}): Promise<MainReport> {
  const log = opts.log ?? console.log;
  const t0 = Date.now();
  const run = opts.run ?? (cfg.quick ? "main-quick" : "main");
  const dir = runDir(run);
  const backend = await initBackend();
  log(`data: ${DATA_LABEL}`);
  log(`run: ${dir} (config ${configHash(cfg)}, ${cfg.quick ? "quick" : "full"} mode, seeds ${cfg.seeds.join(",")})`);
  atomicWriteJson(join(dir, "config.json"), cfg);
  const stages: MainReport["stages"] = [];
  const subsets: Subset[] = [];
  for (const seed of cfg.seeds) {
    const { result, info } = await subsetStage(cfg, seed, join(dir, `seed${seed}`));
    subsets.push(result);
    stages.push({ stage: info.stage, seed, cached: info.cached, seconds: info.seconds });
  }
  // A census of the world as the runs see it (a few images per domain; cheap, and catches a broken world early).
  const census = (["pretrain", "lab", "street"] as const).map((d) => {
    const ds = domainDataset(d, cfg, cfg.seed);
    const n = Math.min(ds.size, cfg.quick ? 16 : 200);
    let people = 0;
    for (let i = 0; i < n; i++) {
      const s = ds.get(i);
      people += s.people.length || (s.truth?.length ?? 0);
    }
    return { domain: d, images: n, peoplePerImage: people / n };
  });
  const st = studioDataset(cfg, cfg.seed);
  let sp = 0;
  for (let i = 0; i < st.size; i++) sp += st.get(i).people.length;
  census.push({ domain: "studio" as never, images: st.size, peoplePerImage: sp / st.size });
  const report: MainReport = {
    run, data: DATA_LABEL, quick: cfg.quick, configHash: configHash(cfg), codeVersion: codeVersion(), backend: backend.name,
    seeds: cfg.seeds, stages, world: census, wallSeconds: (Date.now() - t0) / 1000,
  };
  atomicWriteJson(join(dir, "report.json"), report);
  log(`subset sizes: ${subsets.map((s) => `seed ${s.seed}: ${s.indices.length} of ${s.of}`).join("; ")}`);
  for (const c of census) log(`world ${c.domain}: ${c.images} images, ${c.peoplePerImage.toFixed(2)} people/image`);
  log(`report: ${join(dir, "report.json")} (${report.wallSeconds.toFixed(1)} s)`);
  return report;
}
