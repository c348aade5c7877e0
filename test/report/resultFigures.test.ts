import { strict as assert } from "node:assert";
import { Rng } from "../../lib/core/rng";
import { SYNTHETIC_SOURCE } from "../../lib/report/figures";
import {
  type FilterStat, ablationFigure, filterFigures, keptFractionSweep, movingAverage, sequenceBarsFigure, trainingCurvesFigure,
} from "../../lib/report/resultFigures";
import { table1 } from "../../lib/report/table1";
import type { ResultRow } from "../../lib/stages/experiment";
import type { LossRow } from "../../lib/train/loop";

type Trace = Record<string, unknown> & { error_y?: { array: number[]; arrayminus?: number[] } };
const titleOf = (f: { layout?: object }) => ((f.layout as { title: { text: string } }).title.text);

function rows(): ResultRow[] {
  const out: ResultRow[] = [];
  for (const method of ["baseline", "pretrained"]) for (const seed of [1, 2]) for (const sequence of ["mafia", "haggling"]) for (let frame = 0; frame < 4; frame++)
    out.push({ method, seed, protocol: "crmh", sequence, frame, person: 0, mpjpe: 0.1 + 0.01 * frame + (method === "baseline" ? 0.005 * seed : 0), pa_mpjpe: 0.05, skipped: false });
  return out;
}

describe("report/resultFigures", () => {
  it("sequenceBarsFigure: one trace per method, sequences in report order plus Mean, CI or std error bars", () => {
    const t = table1(rows(), "crmh", new Rng(1), { reps: 50 });
    const f = sequenceBarsFigure(t);
    assert.equal(f.data.length, 2);
    const [first] = f.data as Trace[];
    assert.equal(first.name, "pretrained ckpt"); // METHODS order, whatever the row order
    assert.deepEqual(first.x, ["Haggling", "Mafia", "Mean"]);
    const cell = t.rows.find((r) => r.method === "pretrained" && r.sequence === "haggling")!;
    assert.equal(first.error_y!.array[0], cell.ci_hi_mm - cell.mean_mm);
    assert.equal(first.error_y!.arrayminus![0], cell.mean_mm - cell.ci_lo_mm);
    assert.ok(titleOf(f).includes(SYNTHETIC_SOURCE));
    const s = sequenceBarsFigure(t, { error: "std" }).data as Trace[];
    assert.equal(s[1].error_y!.array[0], t.rows.find((r) => r.method === "baseline" && r.sequence === "haggling")!.std_mm);
  });

  it("movingAverage is a trailing mean that skips non-finite values", () => {
    assert.deepEqual(movingAverage([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5]);
    assert.deepEqual(movingAverage([2, NaN, 4, 6], 2), [2, 2, 3, 5]);
    assert.deepEqual(movingAverage([5, 7], 1), [5, 7]);
  });

  it("trainingCurvesFigure overlays one smoothed line per run on a log axis", () => {
    const run = (k: number) => Array.from({ length: 10 }, (_, i) => ({ step: i + 1, total: k / (i + 1) }) as unknown as LossRow);
    const f = trainingCurvesFigure([{ label: "a", rows: run(1) }, { label: "b", rows: run(2) }], { smooth: 3 });
    assert.equal(f.data.length, 2);
    assert.equal((f.layout as { yaxis: { type: string } }).yaxis.type, "log");
    assert.deepEqual((f.data[1] as Trace).y, movingAverage(run(2).map((r) => r.total), 3));
    assert.ok(titleOf(f).includes(SYNTHETIC_SOURCE));
  });

  // std of the 9 counts: 0 (all agree), 0.314 (one copy off by 1), 0.416 (two off by 1), 0.5, 0.1.
  const stats: FilterStat[] = [
    { std: 0, matches: 8, kept: true, predCount: 3, trueCount: 3 },
    { std: 0.314, matches: 7, kept: true, predCount: 2, trueCount: 2 },
    { std: 0.416, matches: 6, kept: true, predCount: 4, trueCount: 5 },
    { std: 0.5, matches: 5, kept: false, predCount: 1, trueCount: 1 },
    { std: 0.1, matches: 2, kept: false, predCount: 2, trueCount: 2 },
  ];

  it("keptFractionSweep applies std <= stdMax && matches >= minMatches (hand-checked)", () => {
    const s = keptFractionSweep(stats, [0, 0.42], [6, 2]);
    // matches >= 6: std <= 0 keeps {a}; std <= 0.42 keeps {a, b, c}, of which a and b have the right count.
    // matches >= 2: std <= 0 keeps {a}; std <= 0.42 keeps {a, b, c, e}.
    assert.deepEqual(s.map((r) => [r.minMatches, r.stdMax, r.kept, r.keptFraction]), [[6, 0, 1, 0.2], [6, 0.42, 3, 0.6], [2, 0, 1, 0.2], [2, 0.42, 4, 0.8]]);
    assert.equal(s[1].correctAmongKept, 2 / 3);
    assert.ok(Number.isNaN(keptFractionSweep(stats.map(({ trueCount: _, ...x }) => x), [0.42], [6])[0].correctAmongKept));
  });

  it("filterFigures: histogram and scatter split by decision, boundary at the thresholds, sweep lines per matches threshold", () => {
    const f = filterFigures(stats, { stdMax: 0.42, minMatches: 6, K: 8 });
    assert.equal(f.stdHistogram.data.length, 2);
    assert.equal(f.stdVsMatches.data.length, 2);
    assert.deepEqual((f.stdVsMatches.data as Trace[]).map((t) => (t.x as number[]).length), [3, 2]);
    const shapes = (f.stdVsMatches.layout as { shapes: { x0: number; y0: number }[] }).shapes;
    assert.equal(shapes[0].x0, 0.42);
    assert.equal(shapes[1].y0, 5.5);
    // matches thresholds 4..8 (6 +- 2 within [0, K]) and the chosen point
    assert.equal(f.keptFractionVsThreshold.data.length, 6);
    assert.deepEqual((f.keptFractionVsThreshold.data[5] as Trace).y, [0.6]);
    for (const fig of Object.values(f)) assert.ok(titleOf(fig).includes(SYNTHETIC_SOURCE));
  });

  it("ablationFigure: one panel per key, values in numeric order", () => {
    const f = ablationFigure(
      [
        { variant: "std 1", key: "filter.stdMax", value: 1, mean_mm: 150, std_mm: 2 },
        { variant: "std .3", key: "filter.stdMax", value: 0.3, mean_mm: 148, std_mm: 1 },
        { variant: "K 4", key: "filter.K", value: 4, mean_mm: 149, std_mm: NaN },
      ],
      "ablations",
    );
    const d = f.data as Trace[];
    assert.equal(d.length, 2);
    assert.deepEqual([d[0].x, d[0].y, d[1].xaxis], [["0.3", "1"], [148, 150], "x2"]);
    assert.deepEqual(d[1].error_y!.array, [null]);
    assert.ok(titleOf(f).includes(SYNTHETIC_SOURCE));
  });
});
