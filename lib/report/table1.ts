/**
 * Table I (MPJPE per studio sequence and method) as a rollup of the tidy per-person result rows, with
 * what a single run cannot give: the spread over training seeds and a bootstrap CI over test frames.
 *
 * The report's Mean column is the mean of its four sequence columns, not a people-weighted mean over
 * all frames: (129.1 + 132.8 + 153.0 + 153.6) / 4 = 142.125 -> 142.1, and the other three rows check
 * the same way (146.675, 144.375, 144.0). Ours is computed the same way, per seed, before averaging seeds.
 *
 * danfojs-node is required lazily: loading it costs about a second (measured), and every notebook,
 * test and CLI run imports lib/ whether or not it builds a table.
 */
import type { ResultRow } from "../stages/experiment";
import * as aq from "arquero";
import type { DataFrame } from "danfojs-node";
import { join } from "node:path";
import { atomicWrite } from "../core/io";
import type { Rng } from "../core/rng";
import type { Protocol } from "../eval/protocols";
import { tableHtml } from "./display";

/** Methods in table order; ablation methods not listed here follow alphabetically, labelled by their id. */
export const METHODS = [
  { id: "pretrained", label: "pretrained ckpt" },
  { id: "baseline", label: "baseline (subset)" },
  { id: "pseudo", label: "pseudo label" },
  { id: "conf_pseudo", label: "conf. pseudo label" },
] as const;
/** Studio sequences in the report's column order (stand-ins for 160422_haggling1, _mafia2, _ultimatum1, 160906_pizza1). */
export const SEQUENCES = ["haggling", "mafia", "ultimatum", "pizza"] as const;
export const SEQUENCE_LABELS: Record<string, string> = { haggling: "Haggling", mafia: "Mafia", ultimatum: "Ultimatum", pizza: "Pizza", mean: "Mean" };

/** The report's Table I: MPJPE in mm on REAL CMU Panoptic data, single runs, crmh protocol (METHOD.md 1.7). */
export const REPORT_TABLE1 = [
  { method: "pretrained", reportLabel: "github ckpt", haggling: 129.1, mafia: 132.8, ultimatum: 153.0, pizza: 153.6, mean: 142.1 },
  { method: "baseline", reportLabel: "baseline (MPI 500)", haggling: 132.5, mafia: 137.4, ultimatum: 157.9, pizza: 158.9, mean: 146.7 },
  { method: "pseudo", reportLabel: "pseudo label", haggling: 132.1, mafia: 134.4, ultimatum: 153.4, pizza: 157.6, mean: 144.4 },
  { method: "conf_pseudo", reportLabel: "confident pseudo label", haggling: 130.4, mafia: 135.7, ultimatum: 153.6, pizza: 156.3, mean: 144.0 },
] as const;

export const TABLE1_DATA_SOURCE = "embedded synthetic world, studio test set (CMU Panoptic stand-in) — not Panoptic numbers";

export type Table1Metric = "mpjpe" | "pa_mpjpe";

export const methodLabel = (id: string) => METHODS.find((m) => m.id === id)?.label ?? id;
const rankOf = (order: readonly string[]) => (v: string) => (order.includes(v) ? order.indexOf(v) : order.length);
const methodRank = rankOf(METHODS.map((m) => m.id));
const sequenceRank = rankOf([...SEQUENCES, "mean"]);
/** Known ids in their fixed order, then unknown ones alphabetically. */
const byRank = (rank: (v: string) => number) => (a: string, b: string) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
export const compareMethods = byRank(methodRank);
export const compareSequences = byRank(sequenceRank);

/**
 * Per (method, seed, protocol, sequence): mean MPJPE and PA-MPJPE in mm over the kept people, frames
 * (all, skipped included), people (kept), skipped_frames; plus one sequence "mean" row per (method, seed,
 * protocol) whose errors are the mean of the sequence means present (the report's Mean column) and
 * whose counts are sums. crmh keeps only rows with skipped = false; strict keeps every row.
 */
export function sequenceRollup(rows: readonly ResultRow[]): aq.ColumnTable {
  const keys = ["method", "seed", "protocol", "sequence"];
  // Two stages so that a frame is counted once whatever its number of people.
  const perFrame = aq
    .from(rows as ResultRow[])
    .derive({ keep: "d => d.protocol === 'strict' || !d.skipped" })
    .groupby(...keys, "frame")
    .rollup({
      err: "d => op.sum(d.keep ? d.mpjpe : 0)",
      pa: "d => op.sum(d.keep ? d.pa_mpjpe : 0)",
      kept: "d => op.sum(d.keep ? 1 : 0)",
      skipped: "d => op.max(d.skipped ? 1 : 0)",
    });
  const perSequence = perFrame
    .groupby(...keys)
    .rollup({ err: "d => op.sum(d.err)", pa: "d => op.sum(d.pa)", frames: "d => op.count()", people: "d => op.sum(d.kept)", skipped_frames: "d => op.sum(d.skipped)" })
    // 0/0 = NaN when crmh skipped every frame of a sequence: no number rather than a made-up one.
    .derive({ mpjpe_mm: "d => 1000 * d.err / d.people", pa_mpjpe_mm: "d => 1000 * d.pa / d.people" })
    .select(...keys, "mpjpe_mm", "pa_mpjpe_mm", "frames", "people", "skipped_frames");
  const mean = perSequence
    .groupby("method", "seed", "protocol")
    .rollup({
      mpjpe_mm: "d => op.mean(d.mpjpe_mm)",
      pa_mpjpe_mm: "d => op.mean(d.pa_mpjpe_mm)",
      frames: "d => op.sum(d.frames)",
      people: "d => op.sum(d.people)",
      skipped_frames: "d => op.sum(d.skipped_frames)",
    })
    .derive({ sequence: "d => 'mean'" });
  return perSequence
    .concat(mean)
    .orderby(aq.escape((d: ResultRow) => methodRank(d.method)), "method", "protocol", "seed", aq.escape((d: ResultRow) => sequenceRank(d.sequence)), "sequence")
    .reify() as aq.ColumnTable;
}

/** One cell of Table I: a method on a sequence (or "mean"), over seeds. */
export interface Table1Row {
  method: string;
  label: string;
  sequence: string;
  /** mean over seeds of the per-seed figure, mm */
  mean_mm: number;
  /** sample std over seeds (n - 1), mm; NaN with a single seed (no estimate, rather than a false 0) */
  std_mm: number;
  /** bootstrap 95% CI of mean_mm (2.5 / 97.5 percentiles), mm */
  ci_lo_mm: number;
  ci_hi_mm: number;
  seeds: number;
  /** e.g. "131.2 ± 0.8 [129.9, 132.6]"; the "± std" part is left out with one seed */
  text: string;
}
export interface Table1Result {
  protocol: Protocol;
  metric: Table1Metric;
  /** sequences present in the rows, in column order (without "mean") */
  sequences: string[];
  seeds: number[];
  reps: number;
  /** per sequence: frames resampled with one draw shared by all seeds (same test frames), or per seed */
  resampling: Record<string, "paired" | "independent">;
  rows: Table1Row[];
  /** display table: method label, one column per sequence label and Mean, cells as `text` */
  frame: DataFrame;
}
export interface Table1Options {
  /** bootstrap resamples (default 1000) */
  reps?: number;
  /** default "mpjpe" */
  metric?: Table1Metric;
  /** use only these seeds' rows (default: every seed in the rows); the caption lists the seeds found */
  seeds?: readonly number[];
}

/** Linear-interpolation percentile (numpy's default) of an ascending-sorted array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p, lo = Math.floor(h), hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
function sampleStd(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.length < 2 ? NaN : Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "n/a");
export const cellText = (r: Pick<Table1Row, "mean_mm" | "std_mm" | "ci_lo_mm" | "ci_hi_mm">) =>
  `${fmt(r.mean_mm)}${Number.isFinite(r.std_mm) ? ` ± ${fmt(r.std_mm)}` : ""} [${fmt(r.ci_lo_mm)}, ${fmt(r.ci_hi_mm)}]`;

/**
 * Table I for one protocol and metric. Per method, seed and sequence the figure is the mean over kept
 * people (crmh drops skipped rows). The CI resamples whole frames (people of a frame together) with
 * replacement, the noise of upstream's random frame sampling, recomputes every seed's figure and their
 * mean, and takes the 2.5 / 97.5 percentiles. The frame list includes crmh-skipped frames, which add no
 * people when drawn, as upstream skipped them after drawing. When every seed of a method was evaluated
 * on the same frames, one draw is shared by all seeds (a fixed test set's frame noise does not average
 * out over seeds); otherwise each seed draws its own. Draws come from `rng.fork(sequence[/seed])`, so
 * they do not depend on method order, and MPJPE and PA-MPJPE tables from the same rng use the same draws.
 */
export function table1(rows: readonly ResultRow[], protocol: Protocol, rng: Rng, opts: Table1Options = {}): Table1Result {
  const reps = opts.reps ?? 1000, metric = opts.metric ?? "mpjpe";
  const sel = rows.filter((r) => r.protocol === protocol && (!opts.seeds || opts.seeds.includes(r.seed)));
  const methods = [...new Set(sel.map((r) => r.method))].sort(compareMethods);
  const sequences = [...new Set(sel.map((r) => r.sequence))].sort(compareSequences);
  const allSeeds = [...new Set(sel.map((r) => r.seed))].sort((a, b) => a - b);
  // method -> sequence -> seed -> frame -> [error sum of kept people (m), kept people]
  const agg = new Map<string, Map<string, Map<number, Map<number, [number, number]>>>>();
  for (const r of sel) {
    const bySeq = agg.get(r.method) ?? agg.set(r.method, new Map()).get(r.method)!;
    const bySeed = bySeq.get(r.sequence) ?? bySeq.set(r.sequence, new Map()).get(r.sequence)!;
    const byFrame = bySeed.get(r.seed) ?? bySeed.set(r.seed, new Map()).get(r.seed)!;
    const a = byFrame.get(r.frame) ?? byFrame.set(r.frame, [0, 0]).get(r.frame)!;
    if (protocol === "strict" || !r.skipped) {
      a[0] += r[metric];
      a[1] += 1;
    }
  }
  const resampling: Record<string, "paired" | "independent"> = {};
  const out: Table1Row[] = [];
  for (const m of methods) {
    const bySeq = agg.get(m)!;
    const seeds = [...new Set([...bySeq.values()].flatMap((s) => [...s.keys()]))].sort((a, b) => a - b);
    // point[q][s]: the seed's figure (m); boot[q][s][b]: its value in bootstrap replicate b. NaN when missing.
    const point: number[][] = [], boot: Float64Array[][] = [];
    for (const q of sequences) {
      const frameLists = seeds.map((s) => [...(bySeq.get(q)?.get(s)?.entries() ?? [])].sort((a, b) => a[0] - b[0]).map((e) => e[1]));
      const ids = seeds.map((s) => [...(bySeq.get(q)?.get(s)?.keys() ?? [])].sort((a, b) => a - b).join(","));
      const paired = ids.every((k) => k === ids[0]);
      resampling[q] = paired && resampling[q] !== "independent" ? "paired" : "independent";
      point.push(frameLists.map((fs) => fs.reduce((s, f) => s + f[0], 0) / fs.reduce((s, f) => s + f[1], 0)));
      const perSeed = seeds.map(() => new Float64Array(reps).fill(NaN));
      const draw = (key: string, n: number) => {
        const g = rng.fork(key);
        return Array.from({ length: reps }, () => Int32Array.from({ length: n }, () => Math.floor(g.next() * n)));
      };
      const shared = paired && frameLists[0].length ? draw(`table1/${q}`, frameLists[0].length) : null;
      frameLists.forEach((fs, k) => {
        if (!fs.length) return;
        const draws = shared ?? draw(`table1/${q}/${seeds[k]}`, fs.length);
        for (let b = 0; b < reps; b++) {
          let e = 0, n = 0;
          for (const i of draws[b]) {
            e += fs[i][0];
            n += fs[i][1];
          }
          perSeed[k][b] = e / n;
        }
      });
      boot.push(perSeed);
    }
    const cell = (sequence: string, perSeed: number[], perRep: (b: number) => number): Table1Row => {
      // A crmh replicate that drew only skipped frames has no people (0/0): left out, as upstream could not score it.
      const dist = Float64Array.from({ length: reps }, (_, b) => 1000 * perRep(b)).filter(Number.isFinite).sort();
      const r = { method: m, label: methodLabel(m), sequence, mean_mm: 1000 * mean(perSeed), std_mm: 1000 * sampleStd(perSeed), ci_lo_mm: percentile(dist, 0.025), ci_hi_mm: percentile(dist, 0.975), seeds: seeds.length };
      return { ...r, text: cellText(r) };
    };
    sequences.forEach((q, i) => out.push(cell(q, point[i], (b) => mean(boot[i].map((x) => x[b])))));
    // Mean column: per seed (and per replicate) the mean over sequences, then over seeds.
    const seedMean = (k: number) => mean(point.map((p) => p[k]));
    out.push(cell("mean", seeds.map((_, k) => seedMean(k)), (b) => mean(seeds.map((_, k) => mean(boot.map((x) => x[k][b]))))));
  }
  return { protocol, metric, sequences, seeds: allSeeds, reps, resampling, rows: out, frame: displayFrame(out, sequences) };
}

function displayFrame(rows: readonly Table1Row[], sequences: readonly string[]): DataFrame {
  const dfd: typeof import("danfojs-node") = require("danfojs-node");
  const cols = [...sequences, "mean"];
  const methods = [...new Set(rows.map((r) => r.method))];
  const records = methods.map((m) => ({
    method: methodLabel(m),
    ...Object.fromEntries(cols.map((q) => [SEQUENCE_LABELS[q] ?? q, rows.find((r) => r.method === m && r.sequence === q)?.text ?? ""])),
  }));
  return new dfd.DataFrame(records.length ? records : [{ method: "(no rows)" }]);
}

const csvNum = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "");
const metricName = (m: Table1Metric) => (m === "mpjpe" ? "MPJPE" : "PA-MPJPE");

/** The caption: data source, protocol, metric, seeds and how the ± and [CI] were made. */
export function table1Caption(t: Table1Result): string {
  return (
    `Table I: ${metricName(t.metric)} (mm), ${t.protocol} protocol. Data: ${TABLE1_DATA_SOURCE}. ` +
    `Seeds: ${t.seeds.join(", ")}; cells: mean ± sample std over seeds (n − 1; omitted with one seed) ` +
    `[bootstrap 95% CI, ${t.reps} resamples of frames per sequence]. Mean = mean of the sequence columns.`
  );
}

export function table1Markdown(t: Table1Result): string {
  const cols = [...t.sequences, "mean"];
  const methods = [...new Set(t.rows.map((r) => r.method))];
  const lines = [
    `**${table1Caption(t)}**`,
    "",
    `| method | ${cols.map((q) => SEQUENCE_LABELS[q] ?? q).join(" | ")} |`,
    `|---|${cols.map(() => "---").join("|")}|`,
    ...methods.map((m) => `| ${methodLabel(m)} | ${cols.map((q) => t.rows.find((r) => r.method === m && r.sequence === q)?.text ?? "").join(" | ")} |`),
  ];
  return lines.join("\n") + "\n";
}

/** An HTML fragment: the caption and the table (for table1.html and the index page). */
export function table1Html(t: Table1Result): string {
  const caption = table1Caption(t).replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
  return `<p class="caption">${caption}</p>\n${tableHtml(t.frame)}`;
}

/**
 * Write `dir/<protocol>/`: table1.csv (method ids by column, mean mm), table1_ci.csv (long form),
 * table1.md and table1.html, each atomically. A PA-MPJPE table gets the stem `table1_pa_mpjpe`.
 */
export function writeTable1(
  dir: string, rows: readonly ResultRow[], protocol: Protocol, rng: Rng, opts: Table1Options = {},
): { result: Table1Result; files: string[]; markdown: string; html: string } {
  const t = table1(rows, protocol, rng, opts);
  const stem = join(dir, protocol, t.metric === "mpjpe" ? "table1" : "table1_pa_mpjpe");
  // Fixed columns (absent sequences empty) so downstream readers never depend on which rows existed.
  const cols = [...SEQUENCES, ...t.sequences.filter((q) => !(SEQUENCES as readonly string[]).includes(q)), "mean"];
  const methods = [...new Set(t.rows.map((r) => r.method))];
  const at = (m: string, q: string) => t.rows.find((r) => r.method === m && r.sequence === q);
  const wide = [["method", ...cols].join(","), ...methods.map((m) => [m, ...cols.map((q) => csvNum(at(m, q)?.mean_mm ?? NaN))].join(","))];
  const long = [
    "method,sequence,mean_mm,std_mm,ci_lo_mm,ci_hi_mm,seeds",
    ...t.rows.map((r) => [r.method, r.sequence, csvNum(r.mean_mm), csvNum(r.std_mm), csvNum(r.ci_lo_mm), csvNum(r.ci_hi_mm), r.seeds].join(",")),
  ];
  const title = `Table I, ${metricName(t.metric)}, ${protocol}`;
  const markdown = table1Markdown(t), html = table1Html(t);
  const page = `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n${html}\n</body></html>\n`;
  const files: [string, string][] = [[`${stem}.csv`, wide.join("\n") + "\n"], [`${stem}_ci.csv`, long.join("\n") + "\n"], [`${stem}.md`, markdown], [`${stem}.html`, page]];
  for (const [p, text] of files) atomicWrite(p, text);
  return { result: t, files: files.map(([p]) => p), markdown, html };
}

/**
 * The report's Table I (real CMU Panoptic, single runs) beside ours (an MPJPE table; without one, the
 * report's alone), as Markdown with the caveat that the data differ: compare orderings and differences
 * to the pretrained row, never absolute millimetres.
 */
export function reportComparisonMarkdown(ours?: Table1Result): string {
  if (ours && ours.metric !== "mpjpe") throw new Error("reportComparisonMarkdown: the report's Table I is MPJPE; pass an mpjpe table");
  const cols = ["haggling", "mafia", "ultimatum", "pizza", "mean"] as const;
  const oursAt = (m: string, q: string) => ours?.rows.find((r) => r.method === m && r.sequence === q)?.mean_mm ?? NaN;
  const sign = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${v.toFixed(1)}` : "n/a");
  const head = [`| method | source | ${cols.map((q) => SEQUENCE_LABELS[q]).join(" | ")} |`, `|---|---|${cols.map(() => "---").join("|")}|`];
  const lines = [
    `**Table I, the report's numbers${ours ? " beside ours" : ""} (MPJPE, mm).** Report: real CMU Panoptic, one run per method, crmh protocol. ` +
      (ours
        ? `Ours: ${TABLE1_DATA_SOURCE}, mean over seeds ${ours.seeds.join(", ")}, ${ours.protocol} protocol` +
          `${ours.protocol === "crmh" ? "" : " (the report used crmh: not the same protocol)"}. `
        : `Our tables are on the ${TABLE1_DATA_SOURCE}. `) +
      `The data differ, so only orderings and differences to the pretrained row are comparable, never absolute millimetres; ` +
      `the report's 1 to 3 mm differences come from single runs on randomly sampled frames.`,
    "",
    ...head,
  ];
  for (const rep of REPORT_TABLE1) {
    lines.push(`| ${methodLabel(rep.method)} | report (${rep.reportLabel}) | ${cols.map((q) => rep[q].toFixed(1)).join(" | ")} |`);
    if (ours) lines.push(`| | ours (synthetic) | ${cols.map((q) => fmt(oursAt(rep.method, q))).join(" | ")} |`);
  }
  lines.push("", "Difference to the pretrained row (mm; negative = better than pretrained):", "", ...head);
  for (const rep of REPORT_TABLE1.slice(1)) {
    lines.push(`| ${methodLabel(rep.method)} | report | ${cols.map((q) => sign(rep[q] - REPORT_TABLE1[0][q])).join(" | ")} |`);
    if (ours) lines.push(`| | ours | ${cols.map((q) => sign(oursAt(rep.method, q) - oursAt("pretrained", q))).join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}
