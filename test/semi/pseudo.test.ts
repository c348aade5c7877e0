import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { resolveConfig } from "../../lib/config";
import { TINY_MODEL, buildRegressor } from "../../lib/model/regressor";
import { DEFAULT_JITTER } from "../../lib/semi/jitter";
import { isConfident } from "../../lib/semi/filter";
import { filterRows } from "../../lib/semi/filterStage";
import { pseudoLabelPass, pseudoSource, readPseudoLabels, type PseudoImage, type PseudoPassOptions } from "../../lib/semi/pseudo";
import { ablationVariants, parseAblationArgs } from "../../lib/ablate";
import { taskList } from "../../lib/stages/experiment";
import { fakeSource, useBackend } from "../train/fixtures";

// Threshold 0.08 on a fresh model: its heatmap logits sit near the focal-loss prior, so some cells pass
// and some do not, and the jittered copies can disagree: every branch of the pass is exercised.
const OPTS: PseudoPassOptions = { K: 3, jitter: DEFAULT_JITTER, scoreThreshold: 0.08, minIou: 0.3, batchSize: 2, seed: 7, provenance: "pseudo:test" };

describe("semi/pseudo: the pseudo-label pass with jittered copies", () => {
  let model: tf.LayersModel;
  before(async () => {
    await useBackend();
    model = buildRegressor(TINY_MODEL, 3);
  });
  after(() => model.dispose());

  it("one record per image: K + 1 counts (1 without people), the original's count first, labels marked pseudo", () => {
    const src = fakeSource("pseudo/a", 5, { size: 32, people: [1, 3] });
    const recs = pseudoLabelPass(model, src, { ...OPTS, quiet: true });
    assert.equal(recs.length, 5);
    assert.ok(recs.some((r) => r.people.length > 0), "some people pass the threshold, so the label checks below run");
    const none = pseudoLabelPass(model, src, { ...OPTS, scoreThreshold: 0.99, quiet: true });
    assert.ok(none.every((r) => r.people.length === 0 && r.counts.length === 1), "no person: no copies, counts [0]");
    recs.forEach((r, i) => {
      assert.equal(r.image, i);
      // Copies run only for images with people (upstream skips the others).
      assert.equal(r.counts.length, r.people.length ? OPTS.K + 1 : 1);
      assert.equal(r.counts[0], r.people.length);
      assert.equal(r.spreadMm.length, r.people.length);
      for (const p of r.people) {
        assert.equal(p.source, "pseudo");
        assert.equal(p.provenance, "pseudo:test");
        assert.ok(p.score >= OPTS.scoreThreshold);
      }
    });
  });

  it("is deterministic and independent of the batch size (copy c of image i depends on seed, i, c only)", () => {
    const src = fakeSource("pseudo/b", 5, { size: 32 });
    const a = pseudoLabelPass(model, src, { ...OPTS, batchSize: 1, quiet: true });
    const b = pseudoLabelPass(model, src, { ...OPTS, batchSize: 4, quiet: true });
    assert.deepEqual(a.map((r) => r.counts), b.map((r) => r.counts));
    a.forEach((r, i) => r.people.forEach((p, k) => assert.ok(Math.abs(p.score - b[i].people[k].score) < 1e-5)));
    const other = pseudoLabelPass(model, src, { ...OPTS, seed: 8, quiet: true });
    assert.deepEqual(other.map((r) => r.counts[0]), a.map((r) => r.counts[0]), "the originals do not depend on the jitter seed");
  });

  it("leaves no tensors behind", () => {
    const src = fakeSource("pseudo/c", 3, { size: 32 });
    const before = tf.memory().numTensors;
    pseudoLabelPass(model, src, { ...OPTS, quiet: true });
    assert.equal(tf.memory().numTensors, before);
  });

  it("pseudoSource re-renders the image and carries 2D + root-relative 3D only (no root depth target)", () => {
    const src = fakeSource("pseudo/d", 4, { size: 32 });
    const recs = pseudoLabelPass(model, src, { ...OPTS, scoreThreshold: 0, quiet: true }).filter((r) => r.people.length);
    assert.ok(recs.length > 0, "threshold 0 keeps peaks");
    const ps = pseudoSource(src, recs, "pseudo:test");
    assert.equal(ps.size, recs.length);
    const s = ps.get(0);
    assert.deepEqual(Array.from(s.image), Array.from(src.get(recs[0].image).image));
    assert.equal(s.people.length, recs[0].people.length);
    for (const p of s.people) {
      assert.ok(p.has2d && p.has3d && !p.hasShape);
      assert.ok(p.joints3d.every((q) => q.every(Number.isNaN)), "absolute joints blanked");
      assert.ok(p.joints3dRel.every((q) => q.every(Number.isFinite)));
    }
    assert.throws(() => ps.get(recs.length), /out of range/);
  });
});

describe("semi/pseudo: files and the filter stage's rows", () => {
  const rec = (image: number, counts: number[], spread: number[] = []): PseudoImage => ({
    image, people: Array.from({ length: counts[0] }, () => ({}) as never), counts, spreadMm: spread.length ? spread : new Array(counts[0]).fill(10),
    trueCount: counts[0], trueCountAll: counts[0], errorMm: 100, falsePositives: 0,
  });

  it("readPseudoLabels names the file, the line and the field of a bad record", () => {
    const dir = mkdtempSync(join(tmpdir(), "wb-pseudo-"));
    const path = join(dir, "pseudo_labels.jsonl");
    writeFileSync(path, JSON.stringify({ image: 3, people: [], counts: [1, 1], spreadMm: [], trueCount: 0, errorMm: null }) + "\n");
    assert.throws(() => readPseudoLabels(path), (e: Error) => e.message.includes(path) && e.message.includes("line 1") && e.message.includes("counts[0]"));
    writeFileSync(path, "{not json\n");
    assert.throws(() => readPseudoLabels(path), /line 1: bad JSON/);
    writeFileSync(path, JSON.stringify({ image: 1.5, people: [], counts: [0, 0], spreadMm: [], trueCount: 0, errorMm: null }) + "\n");
    assert.throws(() => readPseudoLabels(path), /field 'image' must be an integer/);
  });

  it("filterRows applies the report's rule to the first K copies, and the stability rule to the spreads", () => {
    const f = resolveConfig({ quick: true }).filter;
    const recs = [rec(0, [3, 3, 3, 3, 3, 3, 3, 3, 3]), rec(1, [3, 3, 3, 3, 3, 3, 4, 2, 3]), rec(2, [2, 2, 2, 2, 2, 2, 2, 2, 2], [10, 90])];
    const rows = filterRows(recs, f);
    assert.deepEqual(rows.map((r) => r.confident), recs.map((r) => isConfident(r.counts, f)));
    assert.deepEqual(rows.map((r) => r.confident), [true, false, true]);
    assert.deepEqual(rows.map((r) => r.stable), [true, true, false], "image 2 has a person spread 90 mm > 60 mm");
    assert.deepEqual(rows.map((r) => r.kept), rows.map((r) => r.confident), "the count rule is the default");
    assert.deepEqual(filterRows(recs, { ...f, rule: "stability" }).map((r) => r.kept), [true, true, false]);
    assert.throws(() => filterRows([rec(0, [1, 1, 1])], f), /has 2 jittered counts, the filter needs K = 8/);
  });
});

describe("ablate and the task graph", () => {
  it("parses key=v1,v2 axes and passes --quick / --set through", () => {
    const p = parseAblationArgs(["filter.stdMax=0.2,0.42", "--quick", "--set", "seeds=0", "filter.minMatches=4,6,8", "--grid"]);
    assert.deepEqual(p.axes, [{ key: "filter.stdMax", values: ["0.2", "0.42"] }, { key: "filter.minMatches", values: ["4", "6", "8"] }]);
    assert.equal(p.grid, true);
    assert.deepEqual(p.rest, ["--quick", "--set", "seeds=0"]);
    assert.throws(() => parseAblationArgs(["--quick"]), /at least one key/);
    assert.throws(() => parseAblationArgs(["filter.K"]), /expected key=v1,v2/);
  });

  it("one at a time gives the sum of the axes' values, a grid their product", () => {
    const axes = [{ key: "a", values: ["1", "2"] }, { key: "b", values: ["x", "y", "z"] }];
    const one = ablationVariants(axes, false);
    assert.equal(one.length, 5);
    assert.deepEqual(one[2], { name: "b=x", key: "b", value: "x", sets: { b: "x" } });
    const grid = ablationVariants(axes, true);
    assert.equal(grid.length, 6);
    assert.deepEqual(grid[5], { name: "a=2 b=z", key: "a × b", value: "2 / z", sets: { a: "2", b: "z" } });
  });

  it("every task comes after what it depends on", () => {
    const tasks = taskList([0, 1]);
    const seen = new Set<string>();
    for (const t of tasks) {
      for (const a of t.after) assert.ok(seen.has(a), `${t.task}:${t.seed} listed before ${a}`);
      seen.add(`${t.task}:${t.seed}`);
    }
    assert.equal(tasks.filter((t) => t.task === "pretrained").length, 1, "the shipped checkpoint is evaluated once");
    assert.equal(tasks.length, 1 + 4 * 2);
  });
});
