import { strict as assert } from "node:assert";
import { boxIou, mpjpe, paMpjpe, procrustesAlign } from "../../lib/eval/metrics";
import { evaluateFrame, summarise, MISS_PENALTY } from "../../lib/eval/protocols";
import { Rng } from "../../lib/core/rng";

const close = (a: number, b: number, tol = 1e-9, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);
const rng = new Rng(5);
const randPose = (J = 17) => Array.from({ length: J }, () => [rng.normal(0, 0.3), rng.normal(0, 0.5), rng.normal(0, 0.2)]);
const rotY = (p: number[][], a: number) => p.map(([x, y, z]) => [Math.cos(a) * x + Math.sin(a) * z, y, -Math.sin(a) * x + Math.cos(a) * z]);
const shift = (p: number[][], d: number[]) => p.map((q) => q.map((v, k) => v + d[k]));
const ones = (J = 17) => new Array(J).fill(1);

describe("eval/metrics", () => {
  it("mpjpe: zero for equal poses; hand-computed for a known offset", () => {
    const g = randPose();
    assert.equal(mpjpe(g, g), 0);
    // Joint 0 off by (3, 4, 0) cm, others exact: mean = 5 cm / 17.
    const p = g.map((q, j) => (j === 0 ? [q[0] + 0.03, q[1] + 0.04, q[2]] : q));
    close(mpjpe(p, g), 0.05 / 17, 1e-12);
  });

  it("PA-MPJPE removes scale, rotation and translation but not a reflection", () => {
    const g = randPose();
    const p = shift(rotY(g, 0.7).map((q) => q.map((v) => 1.3 * v)), [1, -2, 3]);
    assert.ok(mpjpe(p, g) > 0.1);
    close(paMpjpe(p, g), 0, 1e-9, "similarity-transformed pose aligns exactly");
    const mirrored = g.map(([x, y, z]) => [-x, y, z]);
    assert.ok(paMpjpe(mirrored, g) > 0.01, "a mirror image is not a rotation: the reflection fix keeps an error");
    // Independent oracle for a 2-joint case: best similarity aligns any two points exactly.
    const two = procrustesAlign([[0, 0, 0], [1, 0, 0]], [[0, 0, 0], [0, 2, 0]]);
    close(two[1][1], 2, 1e-9);
    close(two[1][0], 0, 1e-9);
  });

  it("box IoU", () => {
    close(boxIou([0, 0, 2, 2], [1, 1, 3, 3]), 1 / 7, 1e-12);
    assert.equal(boxIou([0, 0, 1, 1], [2, 2, 3, 3]), 0);
  });
});

describe("eval/protocols", () => {
  const g1 = randPose(), g2 = randPose();
  it("zero error, and root-relative error is invariant to translation", () => {
    const f = { sequence: "s", frame: 0, gt: [{ joints3d: g1, visible: ones() }], pred: [{ joints3d: shift(g1, [5, 1, 9]) }] };
    for (const p of ["crmh", "strict"] as const) close(evaluateFrame(f, p)[0].mpjpe, 0, 1e-12, p);
  });

  it("crmh: invisible joints count 0 but stay in the denominator", () => {
    const vis = ones();
    vis[3] = 0;
    const p = g1.map((q, j) => (j === 3 ? [q[0] + 1, q[1], q[2]] : j === 5 ? [q[0], q[1] + 0.17, q[2]] : q));
    const row = evaluateFrame({ sequence: "s", frame: 0, gt: [{ joints3d: g1, visible: vis }], pred: [{ joints3d: p }] }, "crmh")[0];
    close(row.mpjpe, 0.17 / 17, 1e-12);
  });

  it("crmh: duplicates allowed (two GT people take the same prediction), extras ignored, misses not charged", () => {
    const f = { sequence: "s", frame: 0, gt: [{ joints3d: g1, visible: ones() }, { joints3d: g1.map((q) => q.map((v) => v * 1.01)), visible: ones() }], pred: [{ joints3d: g1 }, { joints3d: g2.map((q) => q.map((v) => v * 5)) }] };
    const rows = evaluateFrame(f, "crmh");
    assert.deepEqual(rows.map((r) => r.match), [0, 0]);
    const strict = evaluateFrame(f, "strict");
    assert.deepEqual([...strict.map((r) => r.match)].sort(), [0, 1], "strict assigns one-to-one");
  });

  it("strict: a missed person costs 150 mm; a frame without predictions is kept, not skipped", () => {
    const f = { sequence: "s", frame: 0, gt: [{ joints3d: g1, visible: ones() }, { joints3d: g2, visible: ones() }], pred: [{ joints3d: g1 }] };
    const rows = evaluateFrame(f, "strict");
    assert.equal(rows.filter((r) => r.match === -1).length, 1);
    const s = summarise(rows, "strict").find((r) => r.sequence === "s")!;
    close(s.mpjpe_mm, (1000 * MISS_PENALTY) / 2, 1e-9);
    const empty = { sequence: "s", frame: 1, gt: [{ joints3d: g1, visible: ones() }], pred: [] };
    const all = [...rows, ...evaluateFrame(empty, "strict"), ...evaluateFrame(empty, "crmh"), ...evaluateFrame(f, "crmh")];
    const st = summarise(all, "strict").find((r) => r.sequence === "all")!;
    assert.equal(st.people, 3);
    const cr = summarise(all, "crmh").find((r) => r.sequence === "all")!;
    assert.equal(cr.skipped_frames, 1);
    assert.equal(cr.people, 2, "crmh drops the skipped frame's people");
    close(cr.mpjpe_mm, 1000 * (0 + evaluateFrame(f, "crmh")[1].mpjpe) / 2, 1e-9);
  });
});

import { detectionCounts, precisionRecall } from "../../lib/eval/detection";
describe("eval/detection", () => {
  it("matches one-to-one at IoU 0.5; small GT people are ignored, not missed", () => {
    const gt = [[0, 0, 10, 40], [20, 0, 30, 40], [50, 50, 52, 55]]; // third is 5 px tall
    const pred = [[0, 0, 10, 38], [1, 0, 11, 40], [50, 50, 52, 55], [80, 80, 90, 120]];
    const c = detectionCounts(gt, pred, { minHeightPx: 30 });
    assert.deepEqual(c, { gt: 2, matchedGt: 1, pred: 3, truePositives: 1 });
    const pr = precisionRecall(c);
    close(pr.recall, 0.5, 1e-12);
    close(pr.precision, 1 / 3, 1e-12);
  });
});
