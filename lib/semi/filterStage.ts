/**
 * The confident-filter stage: the shell around the pure rules of ./filter.ts. It reads the counts and
 * spreads the pseudo-label pass recorded (so changing a threshold never reruns the model), decides
 * every image under both rules, keeps those of the configured one, and writes
 *
 *   filter_stats.csv   per image: counts, std, matches, the two decisions, the truth
 *   filter.json        the kept totals (the report: 480 of 4824) and the filter's measured quality
 */
import { join } from "node:path";
import { atomicWrite } from "../core/io";
import { cachedStage, type StageInfo } from "../core/stage";
import { configHash } from "../core/config";
import type { Config } from "../config";
import { confidenceStats, filterQuality } from "./filter";
import type { PseudoImage } from "./pseudo";

export interface FilterRow {
  image: number;
  counts: number[];
  std: number;
  matches: number;
  /** The report's rule. */
  confident: boolean;
  /** The pose-stability rule. */
  stable: boolean;
  /** The configured rule's decision. */
  kept: boolean;
  predCount: number;
  trueCount: number;
  maxSpreadMm: number;
  errorMm: number;
}

export interface FilterSummary {
  rule: Config["filter"]["rule"];
  K: number;
  stdMax: number;
  minMatches: number;
  maxSpreadMm: number;
  /** Pseudo-labelled images (those with at least one person). */
  images: number;
  kept: number;
  keptPeople: number;
  /** Quality against the synthetic truth, per rule (None of this can be measured on Cityscapes). */
  quality: { rule: string; images: number; kept: number; correct: number; keptCorrect: number; precision: number; recall: number; keptMeanError: number; droppedMeanError: number }[];
}

/** Both rules' decisions for every pseudo-labelled image, under `f`. Uses the first f.K copies. */
export function filterRows(records: readonly PseudoImage[], f: Config["filter"]): FilterRow[] {
  return records.map((r) => {
    if (r.counts.length < f.K + 1) throw new Error(`filter: image ${r.image} has ${r.counts.length - 1} jittered counts, the filter needs K = ${f.K}`);
    const counts = r.counts.slice(0, f.K + 1);
    const c = confidenceStats(counts, { stdMax: f.stdMax, minMatches: f.minMatches });
    const maxSpreadMm = r.spreadMm.length ? Math.max(...r.spreadMm) : Infinity;
    const stable = r.people.length > 0 && maxSpreadMm <= f.maxSpreadMm;
    return {
      image: r.image, counts, std: c.std, matches: c.matches, confident: c.confident, stable,
      kept: f.rule === "count" ? c.confident : stable,
      predCount: r.people.length, trueCount: r.trueCount, maxSpreadMm, errorMm: r.errorMm,
    };
  });
}

const csvNumber = (v: number) => (Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v > 0 ? "inf" : "");

/** Filter the records; write filter_stats.csv and filter.json into `<seedDir>/filter/<hash>/` unless cached. */
export async function filterStage(cfg: Config, seedDir: string, records: readonly PseudoImage[], pseudoHash: string, quiet = false): Promise<{ summary: FilterSummary; kept: PseudoImage[]; rows: FilterRow[]; info: StageInfo; dir: string }> {
  const rows = filterRows(records, cfg.filter);
  const key = { filter: cfg.filter, pseudo: pseudoHash };
  const dir = join(seedDir, "filter", configHash(key));
  const { result, info } = await cachedStage<FilterSummary>("filter", dir, key, () => {
    const header = "image,counts,std,matches,confident,stable,kept,pred_count,true_count,max_spread_mm,error_mm";
    const lines = rows.map((r) => [r.image, r.counts.join(" "), r.std.toFixed(4), r.matches, r.confident, r.stable, r.kept, r.predCount, r.trueCount, csvNumber(r.maxSpreadMm), csvNumber(r.errorMm)].join(","));
    atomicWrite(join(dir, "filter_stats.csv"), [header, ...lines].join("\n") + "\n");
    const quality = (["count", "stability"] as const).map((rule) => ({
      rule,
      ...filterQuality(rows.map((r) => ({ kept: rule === "count" ? r.confident : r.stable, predCount: r.predCount, trueCount: r.trueCount, error: r.errorMm }))),
    }));
    const keptRows = rows.filter((r) => r.kept);
    return {
      rule: cfg.filter.rule, K: cfg.filter.K, stdMax: cfg.filter.stdMax, minMatches: cfg.filter.minMatches, maxSpreadMm: cfg.filter.maxSpreadMm,
      images: rows.length, kept: keptRows.length, keptPeople: keptRows.reduce((s, r) => s + r.predCount, 0), quality,
    };
  }, quiet ? () => {} : undefined);
  const keptIds = new Set(rows.filter((r) => r.kept).map((r) => r.image));
  return { summary: result, kept: records.filter((r) => keptIds.has(r.image)), rows, info, dir };
}
