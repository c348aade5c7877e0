/**
 * Figures of the experiment's results as plotly JSON specs ({data, layout}; show with showPlot, save with
 * savePlotHtml): Table I as bars, training curves of several runs, the confident filter's decisions and
 * threshold sweep, and ablations. Every title names its data source through sourcedTitle (default
 * SYNTHETIC_SOURCE); the computations behind a figure are exported pure functions, tested on their own.
 */
import type { PlotlyFigure } from "./display";
import { SYNTHETIC_SOURCE, sourcedTitle } from "./figures";
import { SEQUENCE_LABELS, type Table1Result, methodLabel } from "./table1";
import type { LossRow } from "../train/loop";

const metricName = (m: string) => (m === "mpjpe" ? "MPJPE" : "PA-MPJPE");

/**
 * Table I as grouped bars: x = sequence (and Mean), one trace per method. Error bars: the bootstrap 95%
 * CI (asymmetric, default) or ± the sample std over seeds. Bars start at 0 on purpose: the differences
 * are a few mm on ~140 and the error bars, not a cut axis, are what says whether they are real.
 */
export function sequenceBarsFigure(t: Table1Result, opts: { error?: "ci" | "std"; source?: string } = {}): PlotlyFigure {
  const error = opts.error ?? "ci";
  const cols = [...t.sequences, "mean"];
  const methods = [...new Set(t.rows.map((r) => r.method))];
  const data = methods.map((m) => {
    const rs = cols.map((q) => t.rows.find((r) => r.method === m && r.sequence === q));
    const y = rs.map((r) => r?.mean_mm ?? null);
    const error_y =
      error === "ci"
        ? { type: "data", symmetric: false, array: rs.map((r) => (r ? r.ci_hi_mm - r.mean_mm : null)), arrayminus: rs.map((r) => (r ? r.mean_mm - r.ci_lo_mm : null)) }
        : { type: "data", array: rs.map((r) => (r && Number.isFinite(r.std_mm) ? r.std_mm : null)) };
    return { type: "bar", name: methodLabel(m), x: cols.map((q) => SEQUENCE_LABELS[q] ?? q), y, error_y, hovertext: rs.map((r) => r?.text ?? ""), hoverinfo: "name+x+text", textposition: "none" };
  });
  const bars = error === "ci" ? "bootstrap 95% CI over frames" : "± std over seeds";
  return {
    data,
    layout: {
      title: sourcedTitle(`${metricName(t.metric)} per sequence, ${t.protocol} protocol (seeds ${t.seeds.join(", ")}; bars: ${bars})`, opts.source),
      barmode: "group",
      xaxis: { title: { text: "sequence" } },
      yaxis: { title: { text: `${metricName(t.metric)} (mm)` }, rangemode: "tozero" },
      margin: { t: 80 },
    },
  };
}

/** Trailing moving average over the last `w` finite values (w <= 1: the values themselves). */
export function movingAverage(xs: readonly number[], w: number): number[] {
  const out: number[] = [], win: number[] = [];
  let sum = 0;
  for (const x of xs) {
    if (Number.isFinite(x)) {
      win.push(x), (sum += x);
      if (win.length > Math.max(1, w)) sum -= win.shift()!;
    }
    out.push(win.length ? sum / win.length : NaN);
  }
  return out;
}

/** Training curves of several runs overlaid: `metric` (a losses.csv column, default "total") smoothed, log y. */
export function trainingCurvesFigure(runs: readonly { label: string; rows: readonly LossRow[] }[], opts: { metric?: keyof LossRow; smooth?: number; source?: string } = {}): PlotlyFigure {
  const metric = opts.metric ?? "total", smooth = opts.smooth ?? 25;
  const data = runs.map((r) => ({ type: "scatter", mode: "lines", name: r.label, x: r.rows.map((x) => x.step), y: movingAverage(r.rows.map((x) => x[metric] as number), smooth) }));
  return {
    data,
    layout: {
      title: sourcedTitle(`training curves: ${String(metric)} (moving average over ${smooth} steps)`, opts.source),
      xaxis: { title: { text: "step" } },
      yaxis: { title: { text: `${String(metric)} loss` }, type: "log" },
      margin: { t: 80 },
    },
  };
}

/** One image's confident-filter statistics: population std of the K+1 person counts, jittered copies agreeing with the original, decision. */
export interface FilterStat {
  std: number;
  matches: number;
  kept: boolean;
  /** people predicted on the original image */
  predCount: number;
  /** people really there (the synthetic street domain keeps its truth), when known */
  trueCount?: number;
}
export interface SweepRow {
  stdMax: number;
  minMatches: number;
  kept: number;
  keptFraction: number;
  /** share of kept images whose predicted count equals the true count; NaN when none kept or no truth */
  correctAmongKept: number;
}

/** The filter's rule (METHOD.md 1.5): keep iff std <= stdMax and matches >= minMatches. */
export const keepImage = (s: Pick<FilterStat, "std" | "matches">, stdMax: number, minMatches: number) => s.std <= stdMax && s.matches >= minMatches;

/** Kept share for every (minMatches, stdMax) pair, minMatches-major, in the order given. */
export function keptFractionSweep(stats: readonly FilterStat[], stdGrid: readonly number[], matchesList: readonly number[]): SweepRow[] {
  const out: SweepRow[] = [];
  for (const minMatches of matchesList) {
    for (const stdMax of stdGrid) {
      const kept = stats.filter((s) => keepImage(s, stdMax, minMatches));
      const known = kept.filter((s) => s.trueCount !== undefined);
      const correctAmongKept = known.length ? known.filter((s) => s.predCount === s.trueCount).length / known.length : NaN;
      out.push({ stdMax, minMatches, kept: kept.length, keptFraction: stats.length ? kept.length / stats.length : NaN, correctAmongKept });
    }
  }
  return out;
}

/**
 * Deterministic 2D jitter in [-0.5, 0.5)^2 for point i: std and matches take few distinct values, so
 * points pile up; the R2 low-discrepancy sequence (plastic-number steps) spreads a pile evenly with no
 * generator to pass. Its two steps are incommensurate, so the offsets do not line up along a diagonal.
 */
const jitter = (i: number): [number, number] => [((0.5 + i * 0.7548776662466927) % 1) - 0.5, ((0.5 + i * 0.5698402909980532) % 1) - 0.5];

export function filterFigures(stats: readonly FilterStat[], opts: { stdMax: number; minMatches: number; K: number; source?: string }): { stdHistogram: PlotlyFigure; stdVsMatches: PlotlyFigure; keptFractionVsThreshold: PlotlyFigure } {
  const { stdMax, minMatches, K } = opts;
  const rule = `keep iff std ≤ ${stdMax} and matches ≥ ${minMatches} (K = ${K})`;
  const groups = [
    { name: "kept", kept: true, colour: "#2ca02c" },
    { name: "rejected", kept: false, colour: "#d62728" },
  ];
  const nKept = stats.filter((s) => s.kept).length;
  const vline = (x: number) => ({ type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1, line: { dash: "dash", color: "black" } });

  const stdHistogram: PlotlyFigure = {
    data: groups.map((g) => ({ type: "histogram", name: g.name, x: stats.filter((s) => s.kept === g.kept).map((s) => s.std), marker: { color: g.colour }, xbins: { size: 0.025 } })),
    layout: {
      title: sourcedTitle(`std of person counts over the original and ${K} jittered copies (${nKept} of ${stats.length} kept)`, opts.source),
      barmode: "stack",
      shapes: [vline(stdMax)],
      xaxis: { title: { text: "population std of the K + 1 counts" } },
      yaxis: { title: { text: "images" } },
      margin: { t: 80 },
    },
  };

  // x jitter stays well inside the gap between possible std values (about 0.05 apart for K = 8).
  const stdVsMatches: PlotlyFigure = {
    data: groups.map((g) => {
      const idx = stats.map((s, i) => [s, i] as const).filter(([s]) => s.kept === g.kept);
      return {
        type: "scattergl", mode: "markers", name: g.name, marker: { color: g.colour, size: 5, opacity: 0.6 },
        x: idx.map(([s, i]) => s.std + 0.02 * jitter(i)[0]),
        y: idx.map(([s, i]) => s.matches + 0.6 * jitter(i)[1]),
        text: idx.map(([s]) => `std ${s.std.toFixed(3)}, matches ${s.matches}, predicted ${s.predCount}${s.trueCount === undefined ? "" : `, true ${s.trueCount}`}`),
        hoverinfo: "text",
      };
    }),
    layout: {
      title: sourcedTitle(`confident filter decisions: ${rule}`, opts.source),
      // Matches are integers, so the boundary sits half-way below minMatches; std's boundary at stdMax itself.
      shapes: [
        vline(stdMax),
        { type: "line", xref: "paper", yref: "y", x0: 0, x1: 1, y0: minMatches - 0.5, y1: minMatches - 0.5, line: { dash: "dash", color: "black" } },
        { type: "rect", xref: "x", yref: "y", x0: -0.02, x1: stdMax, y0: minMatches - 0.5, y1: K + 0.5, fillcolor: "rgba(44,160,44,0.08)", line: { width: 0 } },
      ],
      xaxis: { title: { text: "population std of the K + 1 counts (jittered)" } },
      yaxis: { title: { text: "jittered copies agreeing with the original (jittered)" }, range: [-0.6, K + 0.6], dtick: 1 },
      margin: { t: 80 },
    },
  };

  const maxStd = Math.max(stdMax, ...stats.map((s) => s.std));
  const stdGrid = Array.from({ length: 61 }, (_, i) => (i * 1.1 * maxStd) / 60);
  const matchesList = [...new Set([minMatches - 2, minMatches - 1, minMatches, minMatches + 1, minMatches + 2].filter((m) => m >= 0 && m <= K))];
  const sweep = keptFractionSweep(stats, stdGrid, matchesList);
  const current = keptFractionSweep(stats, [stdMax], [minMatches])[0];
  const keptFractionVsThreshold: PlotlyFigure = {
    data: [
      ...matchesList.map((mm) => {
        const rs = sweep.filter((r) => r.minMatches === mm);
        return { type: "scatter", mode: "lines", line: { shape: "hv", width: mm === minMatches ? 3 : 1.5 }, name: `matches ≥ ${mm}`, x: rs.map((r) => r.stdMax), y: rs.map((r) => r.keptFraction) };
      }),
      { type: "scatter", mode: "markers", name: `chosen (${(100 * current.keptFraction).toFixed(1)}% kept)`, x: [stdMax], y: [current.keptFraction], marker: { size: 11, color: "black", symbol: "x" } },
    ],
    layout: {
      title: sourcedTitle(`share of images kept vs. the std threshold, per matches threshold (K = ${K}, ${stats.length} images)`, opts.source),
      xaxis: { title: { text: "stdMax" } },
      yaxis: { title: { text: "share kept" }, range: [0, 1.02] },
      margin: { t: 80 },
    },
  };
  return { stdHistogram, stdVsMatches, keptFractionVsThreshold };
}

export interface AblationRow {
  variant: string;
  /** the config key varied, e.g. "filter.stdMax" */
  key: string;
  value: string | number;
  mean_mm: number;
  std_mm: number;
}

/**
 * Mean MPJPE ± std over seeds per value of each ablated key: one panel per key side by side (keys have
 * different value domains), values in ascending order (numbers numerically), the variant name on hover.
 */
export function ablationFigure(rows: readonly AblationRow[], title: string, opts: { source?: string } = {}): PlotlyFigure {
  const keys = [...new Set(rows.map((r) => r.key))];
  const order = (a: AblationRow, b: AblationRow) =>
    typeof a.value === "number" && typeof b.value === "number" ? a.value - b.value : String(a.value).localeCompare(String(b.value));
  const axis = (k: number) => (k === 0 ? "" : String(k + 1));
  const data = keys.map((key, k) => {
    const rs = rows.filter((r) => r.key === key).sort(order);
    return {
      type: "scatter", mode: "markers+lines", name: key, xaxis: `x${axis(k)}`, yaxis: `y${axis(k)}`,
      x: rs.map((r) => String(r.value)), y: rs.map((r) => r.mean_mm),
      error_y: { type: "data", array: rs.map((r) => (Number.isFinite(r.std_mm) ? r.std_mm : null)) },
      text: rs.map((r) => r.variant), hoverinfo: "text+y",
    };
  });
  const layout: Record<string, unknown> = {
    title: sourcedTitle(title, opts.source ?? SYNTHETIC_SOURCE),
    grid: { rows: 1, columns: Math.max(1, keys.length), pattern: "independent" },
    showlegend: false,
    margin: { t: 80 },
  };
  keys.forEach((key, k) => {
    layout[`xaxis${axis(k)}`] = { title: { text: key }, type: "category" };
    layout[`yaxis${axis(k)}`] = { title: { text: k === 0 ? "MPJPE (mm, mean ± std over seeds)" : "" } };
  });
  return { data, layout };
}
