/**
 * Ablations: `npm run ablate -- filter.stdMax=0.2,0.42,0.8 filter.minMatches=4,6,8 [--grid]` runs the
 * study once per variant of any config keys and rolls every variant's Table I "mean" column into one
 * tidy table and one plot. One-at-a-time by default (each key varied alone, the others at their
 * defaults); `--grid` runs the full product.
 *
 * Variants run in the same results folder as the main job (default `results/main`), and every stage is
 * cached under the hash of exactly the config it reads, so a variant recomputes only what its change
 * touches: a filter threshold reruns the filter and the confident finetune, never the baseline or the
 * pseudo-label pass. Variants run one after another (two running at once could both start the same
 * shared stage); the tasks inside a variant run `processes` at a time.
 */
import { join } from "node:path";
import * as aq from "arquero";
import { resolveConfig, type Config } from "./config";
import { atomicWrite } from "./core/io";
import { initBackend } from "./core/backend";
import { collectArtifacts, defaultRun, runDir, runTasksInChildren } from "./pipeline";
import { runTask, taskList } from "./stages/experiment";
import { resultRows } from "./report/studyReport";
import { sequenceRollup } from "./report/table1";
import { ablationFigure } from "./report/resultFigures";
import { renderPng, savePlotHtml } from "./report/display";

export interface AblationAxis {
  /** A config key, dotted ("filter.stdMax"); values are coerced to the default's type. */
  key: string;
  values: string[];
}

export interface AblationVariant {
  /** "filter.stdMax=0.2" or, in a grid, "filter.stdMax=0.2 filter.minMatches=4". */
  name: string;
  /** The axis this variant belongs to ("filter.stdMax", or "filter.stdMax × filter.minMatches" in a grid). */
  key: string;
  /** Its value on that axis ("0.2", or "0.2 / 4"). */
  value: string;
  sets: Record<string, string>;
}

/** Split argv into axes (`key=v1,v2,...`), `--grid`, `--name NAME`, and the rest (--quick, --set ...). */
export function parseAblationArgs(argv: readonly string[]): { axes: AblationAxis[]; grid: boolean; name: string | null; rest: string[] } {
  const axes: AblationAxis[] = [], rest: string[] = [];
  let grid = false, name: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--grid") grid = true;
    else if (a === "--name") name = argv[++i] ?? null;
    else if (a === "--set" || a === "--run") rest.push(a, argv[++i]);
    else if (a.startsWith("--")) rest.push(a);
    else {
      const eq = a.indexOf("=");
      if (eq <= 0) throw new Error(`ablate: expected key=v1,v2,... got "${a}"`);
      const values = a.slice(eq + 1).split(",").map((v) => v.trim()).filter((v) => v !== "");
      if (!values.length) throw new Error(`ablate: "${a}" lists no values`);
      axes.push({ key: a.slice(0, eq), values });
    }
  }
  if (!axes.length) throw new Error("ablate: give at least one key=v1,v2,... (e.g. filter.stdMax=0.2,0.42,0.8)");
  return { axes, grid, name, rest };
}

/** The variants of a set of axes, one-at-a-time or as a grid. */
export function ablationVariants(axes: readonly AblationAxis[], grid: boolean): AblationVariant[] {
  if (!grid) return axes.flatMap((ax) => ax.values.map((v) => ({ name: `${ax.key}=${v}`, key: ax.key, value: v, sets: { [ax.key]: v } })));
  let combos: Record<string, string>[] = [{}];
  for (const ax of axes) combos = combos.flatMap((c) => ax.values.map((v) => ({ ...c, [ax.key]: v })));
  const key = axes.map((a) => a.key).join(" × ");
  return combos.map((sets) => ({ name: Object.entries(sets).map(([k, v]) => `${k}=${v}`).join(" "), key, value: Object.values(sets).join(" / "), sets }));
}

/** One row per (variant, method, protocol): the Table I mean column's mean and spread over seeds. */
export interface AblationResultRow {
  variant: string;
  key: string;
  value: string | number;
  method: string;
  protocol: string;
  mean_mm: number;
  std_mm: number;
  seeds: number;
}

/** Config of a variant: the base arguments (--quick, --set ...) plus the variant's values. */
export function variantConfig(rest: readonly string[], v: AblationVariant): { cfg: Config; argv: string[] } {
  const argv = [...rest.filter((a, i) => a !== "--run" && rest[i - 1] !== "--run"), ...Object.entries(v.sets).flatMap(([k, val]) => ["--set", `${k}=${val}`])];
  return { cfg: resolveConfig({ argv }), argv };
}

/** Run every variant (cached stages shared), then write the tidy table and the figure. */
export async function runAblation(argv: readonly string[], opts: { inProcess?: boolean; log?: (s: string) => void } = {}): Promise<{ rows: AblationResultRow[]; dir: string; csv: string; figure: string }> {
  const log = opts.log ?? console.log;
  const { axes, grid, name, rest } = parseAblationArgs(argv);
  const variants = ablationVariants(axes, grid);
  await initBackend({ quiet: true });
  const base = resolveConfig({ argv: rest });
  const runIdx = rest.indexOf("--run");
  const run = runIdx >= 0 ? rest[runIdx + 1] : defaultRun(base);
  const dir = runDir(run);
  const outDir = join(dir, "ablations", name ?? axes.map((a) => a.key).join("+") + (grid ? "-grid" : ""));
  log(`ablation: ${variants.length} variants (${grid ? "grid" : "one at a time"}) in ${dir}; results -> ${outDir}`);
  const rows: AblationResultRow[] = [];
  for (const [i, v] of variants.entries()) {
    const { cfg, argv: vArgv } = variantConfig(rest, v);
    log(`[${i + 1}/${variants.length}] ${v.name}`);
    const tasks = taskList(cfg.seeds);
    if (opts.inProcess) for (const t of tasks) await runTask({ cfg, dir, quiet: true, log: () => {} }, t.task, t.seed);
    else await runTasksInChildren(tasks, { processes: Math.max(1, cfg.processes), run, argv: vArgv, log: (s) => log(`  ${s}`) });
    const artifacts = await collectArtifacts({ cfg, dir, quiet: true, log: () => {} }, cfg.seeds);
    const means = sequenceRollup(resultRows(artifacts)).filter("d => d.sequence === 'mean'")
      .groupby("method", "protocol")
      .rollup({ mean_mm: aq.op.mean("mpjpe_mm"), std_mm: aq.op.stdev("mpjpe_mm"), seeds: aq.op.count() })
      .objects() as { method: string; protocol: string; mean_mm: number; std_mm: number; seeds: number }[];
    // Numeric values as numbers, so that tables and plots order 250 before 1000.
    const value = v.value.trim() !== "" && Number.isFinite(Number(v.value)) ? Number(v.value) : v.value;
    rows.push(...means.map((m) => ({ variant: v.name, key: v.key, value, ...m, std_mm: m.seeds > 1 ? m.std_mm : NaN })));
  }
  const csv = join(outDir, "ablation.csv");
  atomicWrite(csv, aq.from(rows).toCSV());
  const shown = rows.filter((r) => r.method === "conf_pseudo" && r.protocol === "crmh");
  const html = savePlotHtml(ablationFigure(shown, "ablation: conf. pseudo label, mean MPJPE over sequences (crmh)"), join(outDir, "ablation.html"), { title: "ablation" });
  renderPng(html, join(outDir, "ablation.png"), { width: 300 + 350 * new Set(shown.map((r) => r.key)).size, height: 440 });
  log(aq.from(rows.filter((r) => r.protocol === "crmh")).orderby("key", "value", "method").toMarkdown());
  log(`ablation table: ${csv}`);
  return { rows, dir: outDir, csv, figure: html };
}
