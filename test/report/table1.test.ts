import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../../lib/core/rng";
import {
  REPORT_TABLE1, type Table1Row, reportComparisonMarkdown, sequenceRollup, table1, writeTable1,
} from "../../lib/report/table1";
import type { ResultRow } from "../../lib/stages/experiment";

/**
 * Hand-built rows: 2 methods x 2 seeds x 2 sequences. `errs` are metres per person of one frame; both
 * protocols get the same rows (a skipped frame's person carries the 0.15 m miss penalty in both, as
 * evaluateFrame writes it; crmh drops it). PA-MPJPE = half the MPJPE, to tell the columns apart.
 */
function fixture(): ResultRow[] {
  const rows: ResultRow[] = [];
  const add = (method: string, seed: number, sequence: string, frame: number, errs: number[], skipped = false) => {
    for (const protocol of ["crmh", "strict"] as const)
      errs.forEach((e, person) => rows.push({ method, seed, protocol, sequence, frame, person, mpjpe: e, pa_mpjpe: e / 2, skipped }));
  };
  // pretrained: one model, the same rows under both seeds.
  for (const seed of [1, 2]) {
    add("pretrained", seed, "haggling", 0, [0.1, 0.12]);
    add("pretrained", seed, "haggling", 1, [0.14]);
    add("pretrained", seed, "haggling", 2, [0.15], true);
    add("pretrained", seed, "mafia", 10, [0.2, 0.22]);
    add("pretrained", seed, "mafia", 11, [0.18, 0.16]);
  }
  add("baseline", 1, "haggling", 0, [0.11, 0.13]);
  add("baseline", 1, "haggling", 1, [0.15]);
  add("baseline", 1, "haggling", 2, [0.15], true);
  add("baseline", 1, "mafia", 10, [0.21, 0.23]);
  add("baseline", 1, "mafia", 11, [0.19, 0.17]);
  add("baseline", 2, "haggling", 0, [0.09, 0.11]);
  add("baseline", 2, "haggling", 1, [0.13]);
  add("baseline", 2, "haggling", 2, [0.15], true);
  add("baseline", 2, "mafia", 10, [0.23, 0.25]);
  add("baseline", 2, "mafia", 11, [0.21, 0.19]);
  return rows;
}
const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ""} ${a} vs ${b}`);
const cellOf = (rows: Table1Row[], method: string, sequence: string) => rows.find((r) => r.method === method && r.sequence === sequence)!;

describe("report/table1", () => {
  it("sequenceRollup: per-seed sequence means in mm, counts, and the mean of the sequence means", () => {
    const t = sequenceRollup(fixture()).objects() as Record<string, number | string>[];
    const at = (method: string, seed: number, protocol: string, sequence: string) =>
      t.find((r) => r.method === method && r.seed === seed && r.protocol === protocol && r.sequence === sequence)!;
    // crmh drops the skipped frame 2: haggling = (100 + 120 + 140) / 3 = 120 mm over 3 people.
    const h = at("pretrained", 1, "crmh", "haggling");
    close(h.mpjpe_mm as number, 120);
    close(h.pa_mpjpe_mm as number, 60);
    assert.deepEqual([h.frames, h.people, h.skipped_frames], [3, 3, 1]);
    // strict keeps it at 150 mm: (100 + 120 + 140 + 150) / 4 = 127.5.
    const hs = at("pretrained", 1, "strict", "haggling");
    close(hs.mpjpe_mm as number, 127.5);
    assert.deepEqual([hs.frames, hs.people, hs.skipped_frames], [3, 4, 1]);
    // mafia = (200 + 220 + 180 + 160) / 4 = 190; mean = (120 + 190) / 2 = 155, not the people-weighted 1120 / 7 = 160.
    close(at("pretrained", 1, "crmh", "mafia").mpjpe_mm as number, 190);
    const m = at("pretrained", 1, "crmh", "mean");
    close(m.mpjpe_mm as number, 155);
    assert.deepEqual([m.frames, m.people, m.skipped_frames], [5, 7, 1]);
    // baseline seed 2: haggling (90 + 110 + 130) / 3 = 110, mafia (230 + 250 + 210 + 190) / 4 = 220, mean 165.
    close(at("baseline", 2, "crmh", "haggling").mpjpe_mm as number, 110);
    close(at("baseline", 2, "crmh", "mean").mpjpe_mm as number, 165);
    // 2 methods x 2 seeds x 2 protocols x (2 sequences + mean); pretrained first (METHODS order), mean last.
    assert.equal(t.length, 24);
    assert.deepEqual(t.slice(0, 3).map((r) => [r.method, r.sequence]), [["pretrained", "haggling"], ["pretrained", "mafia"], ["pretrained", "mean"]]);
  });

  it("table1: mean and sample std over seeds, Mean column = mean of sequence means, CIs around the means", () => {
    const t = table1(fixture(), "crmh", new Rng(3), { reps: 300 });
    assert.deepEqual(t.sequences, ["haggling", "mafia"]);
    assert.deepEqual(t.seeds, [1, 2]);
    // baseline haggling: seeds 130 and 110 -> mean 120, std |130 - 110| / sqrt(2) = 14.1421 (n - 1).
    const bh = cellOf(t.rows, "baseline", "haggling");
    close(bh.mean_mm, 120);
    close(bh.std_mm, 20 / Math.SQRT2);
    // mafia: seeds 200 and 220 -> 210, same std; Mean: seed 1 (130 + 200) / 2 = 165, seed 2 (110 + 220) / 2 = 165 -> std 0.
    close(cellOf(t.rows, "baseline", "mafia").mean_mm, 210);
    const bm = cellOf(t.rows, "baseline", "mean");
    close(bm.mean_mm, 165);
    close(bm.std_mm, 0);
    // the pretrained rows repeat under each seed: no spread.
    assert.equal(cellOf(t.rows, "pretrained", "haggling").std_mm, 0);
    close(cellOf(t.rows, "pretrained", "mean").mean_mm, 155);
    for (const r of t.rows) {
      assert.ok(r.ci_lo_mm <= r.mean_mm + 1e-9 && r.mean_mm <= r.ci_hi_mm + 1e-9, `${r.method}/${r.sequence}: ${r.text}`);
      assert.equal(r.seeds, 2);
    }
    assert.match(bh.text, /^120\.0 ± 14\.1 \[\d+\.\d, \d+\.\d\]$/);
    // every seed was scored on the same frames: one shared draw per sequence.
    assert.deepEqual(t.resampling, { haggling: "paired", mafia: "paired" });
    assert.deepEqual(t.frame.columns, ["method", "Haggling", "Mafia", "Mean"]);
    assert.deepEqual(t.frame.values.map((r) => (r as string[])[0]), ["pretrained ckpt", "baseline (subset)"]);
    // PA variant reads pa_mpjpe: half of every MPJPE here.
    close(cellOf(table1(fixture(), "crmh", new Rng(3), { reps: 50, metric: "pa_mpjpe" }).rows, "baseline", "haggling").mean_mm, 60);
  });

  it("table1 strict keeps skipped rows; one seed gives std NaN and no ± in the text", () => {
    const t = table1(fixture(), "strict", new Rng(3), { reps: 50, seeds: [2] });
    // baseline seed 2 strict haggling: (90 + 110 + 130 + 150) / 4 = 120.
    const c = cellOf(t.rows, "baseline", "haggling");
    close(c.mean_mm, 120);
    assert.ok(Number.isNaN(c.std_mm));
    assert.equal(c.seeds, 1);
    assert.doesNotMatch(c.text, /±/);
  });

  it("bootstrap: deterministic for a seeded Rng, degenerate when every frame has the same error", () => {
    const a = table1(fixture(), "crmh", new Rng(11), { reps: 200 }).rows;
    const b = table1(fixture(), "crmh", new Rng(11), { reps: 200 }).rows;
    assert.deepEqual(a, b);
    // With 3 frames a sequence has few distinct resamples, so 200 reps' percentiles sit on the extremes
    // whatever the seed; 10 reps interpolate between draws and show that another seed draws differently.
    const few = (seed: number) => table1(fixture(), "crmh", new Rng(seed), { reps: 10 }).rows.map((r) => [r.ci_lo_mm, r.ci_hi_mm]);
    assert.notDeepEqual(few(11), few(12));
    // 0.125 m is exact in binary, so sums and means stay exact: lo = hi = mean = 125 with no tolerance.
    const flat = fixture().map((r) => ({ ...r, mpjpe: 0.125 }));
    for (const r of table1(flat, "strict", new Rng(5), { reps: 100 }).rows) assert.deepEqual([r.ci_lo_mm, r.mean_mm, r.ci_hi_mm], [125, 125, 125]);
  });

  it("bootstrap CI half-width matches the normal approximation 1.96 sd / sqrt(n) on many iid frames", () => {
    const g = new Rng(99), n = 400;
    const errs = Array.from({ length: n }, () => g.uniform(0.05, 0.25));
    const rows: ResultRow[] = errs.map((e, frame) => ({ method: "baseline", seed: 1, protocol: "crmh", sequence: "mafia", frame, person: 0, mpjpe: e, pa_mpjpe: e, skipped: false }));
    const m = errs.reduce((s, e) => s + e, 0) / n;
    const sd = Math.sqrt(errs.reduce((s, e) => s + (e - m) ** 2, 0) / (n - 1));
    const c = cellOf(table1(rows, "crmh", new Rng(4), { reps: 1000 }).rows, "baseline", "mafia");
    const half = (c.ci_hi_mm - c.ci_lo_mm) / 2, expected = (1000 * 1.96 * sd) / Math.sqrt(n);
    assert.ok(Math.abs(half / expected - 1) < 0.12, `half-width ${half} vs ${expected}`);
  });

  it("bootstrap resamples per seed when the seeds' frames differ", () => {
    const rows = fixture().filter((r) => !(r.method === "baseline" && r.seed === 2 && r.frame === 1));
    assert.equal(table1(rows, "crmh", new Rng(1), { reps: 20 }).resampling.haggling, "independent");
  });

  it("REPORT_TABLE1's Mean column is the mean of its four sequence columns", () => {
    for (const r of REPORT_TABLE1) assert.ok(Math.abs((r.haggling + r.mafia + r.ultimatum + r.pizza) / 4 - r.mean) <= 0.05 + 1e-9, r.method);
  });

  it("writeTable1 writes the csv (exact header), long csv, md and html into <dir>/<protocol>, leaving no temp files", () => {
    const dir = mkdtempSync(join(tmpdir(), "wb-table1-"));
    try {
      const w = writeTable1(dir, fixture(), "crmh", new Rng(2), { reps: 100 });
      assert.deepEqual(readdirSync(join(dir, "crmh")).sort(), ["table1.csv", "table1.html", "table1.md", "table1_ci.csv"]);
      const csv = readFileSync(join(dir, "crmh", "table1.csv"), "utf8").trim().split("\n");
      assert.equal(csv[0], "method,haggling,mafia,ultimatum,pizza,mean");
      assert.equal(csv[1], "pretrained,120.000,190.000,,,155.000");
      assert.equal(csv[2], "baseline,120.000,210.000,,,165.000");
      const ci = readFileSync(join(dir, "crmh", "table1_ci.csv"), "utf8").trim().split("\n");
      assert.equal(ci[0], "method,sequence,mean_mm,std_mm,ci_lo_mm,ci_hi_mm,seeds");
      assert.equal(ci.length, 1 + 2 * 3);
      const md = readFileSync(join(dir, "crmh", "table1.md"), "utf8");
      assert.match(md, /embedded synthetic world, studio test set \(CMU Panoptic stand-in\) — not Panoptic numbers/);
      assert.match(md, /crmh protocol/);
      assert.match(md, /Seeds: 1, 2/);
      assert.match(readFileSync(join(dir, "crmh", "table1.html"), "utf8"), /<table>/);
      assert.equal(w.markdown, md);
      // a PA table sits beside it under its own stem
      writeTable1(dir, fixture(), "crmh", new Rng(2), { reps: 20, metric: "pa_mpjpe" });
      assert.equal(readdirSync(join(dir, "crmh")).filter((f) => f.includes(".tmp")).length, 0);
      assert.ok(readdirSync(join(dir, "crmh")).includes("table1_pa_mpjpe.csv"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reportComparisonMarkdown puts the report's numbers beside ours, with the caveat", () => {
    const md = reportComparisonMarkdown(table1(fixture(), "crmh", new Rng(1), { reps: 20 }));
    assert.match(md, /\| pretrained ckpt \| report \(github ckpt\) \| 129\.1 \| 132\.8 \| 153\.0 \| 153\.6 \| 142\.1 \|/);
    assert.match(md, /\| \| ours \(synthetic\) \| 120\.0 \| 190\.0 \| n\/a \| n\/a \| 155\.0 \|/);
    assert.match(md, /not Panoptic numbers/);
    assert.match(reportComparisonMarkdown(), /real CMU Panoptic/);
    assert.throws(() => reportComparisonMarkdown(table1(fixture(), "crmh", new Rng(1), { reps: 5, metric: "pa_mpjpe" })));
  });
});
