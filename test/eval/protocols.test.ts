/**
 * Hand-computed protocol cases that test/eval/metrics.test.ts does not already pin down (it covers zero
 * error, translation invariance, PA removing a similarity transform, a mirror keeping some error,
 * duplicate matches by index, the 150 mm miss and invisible joints in the denominator).
 */
import { strict as assert } from "node:assert";
import { paMpjpe, procrustesAlign } from "../../lib/eval/metrics";
import { evaluateFrame, summarise, type EvalFrame } from "../../lib/eval/protocols";
import { Rng } from "../../lib/core/rng";

const close = (a: number, b: number, tol = 1e-9, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);
const rng = new Rng("eval/protocols.test");
const randPose = () => Array.from({ length: 17 }, () => [rng.normal(0, 0.3), rng.normal(0, 0.5), rng.normal(0, 0.2)]);
const ones = () => new Array(17).fill(1);
/** `p` with joint `j` moved by `d` (metres). */
const moved = (p: number[][], j: number, d: number[]) => p.map((q, k) => (k === j ? q.map((v, a) => v + d[a]) : q));

describe("eval/protocols (hand-computed)", () => {
  it("PA reflection fix: a mirrored pose aligns to 6/7 m error, not 0", () => {
    // Points on the axes at distances 1, 2, 3 (centroid 0) and their mirror image in x.
    const G = [[1, 0, 0], [-1, 0, 0], [0, 2, 0], [0, -2, 0], [0, 0, 3], [0, 0, -3]];
    const P = G.map(([x, y, z]) => [-x, y, z]);
    // K = sum g p^T = diag(-2, 8, 18): singular values 18, 8, 2 with det(U V^T) = -1. Unfixed, R = diag(-1, 1, 1)
    // would undo the mirror exactly (error 0). The fix flips the smallest direction: R = I, and
    // s = (18 + 8 - 2) / sum|p|^2 = 24 / 28 = 6/7, so the aligned pose is (6/7) P:
    // x points |1 + 6/7| = 13/7, y points 2 - 12/7 = 2/7, z points 3 - 18/7 = 3/7; mean = 2(13 + 2 + 3)/7 / 6 = 6/7.
    const aligned = procrustesAlign(P, G);
    aligned.forEach((q, j) => q.forEach((v, a) => close(v, (6 / 7) * P[j][a], 1e-12, `joint ${j}`)));
    close(paMpjpe(P, G), 6 / 7, 1e-12);
    // Through the protocol, with a root joint at the origin added (J = 7): it adds no error, only a denominator.
    // MPJPE: the two x points are 2 m off -> 4/7. PA: 2(13 + 2 + 3)/7 / 7 = 36/49.
    const gt = [[0, 0, 0], ...G], pred = [[0, 0, 0], ...P];
    const row = evaluateFrame({ sequence: "s", frame: 0, gt: [{ joints3d: gt, visible: new Array(7).fill(1) }], pred: [{ joints3d: pred }] }, "crmh")[0];
    close(row.mpjpe, 4 / 7, 1e-12);
    close(row.pa_mpjpe, 36 / 49, 1e-12);
  });

  it("crmh weights frames by their people and counts skipped frames; strict charges their people", () => {
    const [g1, g2, g3] = [randPose(), randPose(), randPose()];
    const frames: EvalFrame[] = [
      // one person, joint 5 off by 0.17 m: 0.17/17 = 10 mm
      { sequence: "s", frame: 0, gt: [{ joints3d: g1, visible: ones() }], pred: [{ joints3d: moved(g1, 5, [0, 0.17, 0]) }] },
      // three people, joint 9 off by 0.34 m each: 20 mm each
      { sequence: "s", frame: 1, gt: [g1, g2, g3].map((g) => ({ joints3d: g, visible: ones() })), pred: [g1, g2, g3].map((g) => ({ joints3d: moved(g, 9, [0, 0, 0.34]) })) },
      // two people, no prediction
      { sequence: "s", frame: 2, gt: [g1, g2].map((g) => ({ joints3d: g, visible: ones() })), pred: [] },
    ];
    const crmh = summarise(frames.flatMap((f) => evaluateFrame(f, "crmh")), "crmh")[0];
    // (1 x 10 + 3 x 20) / 4 people = 17.5 mm; a plain mean of the frame means would give 15.
    close(crmh.mpjpe_mm, 17.5, 1e-9);
    assert.deepEqual([crmh.frames, crmh.people, crmh.skipped_frames], [3, 4, 1]);
    const strict = summarise(frames.flatMap((f) => evaluateFrame(f, "strict")), "strict")[0];
    // (10 + 60 + 2 x 150) / 6 people = 370/6 mm
    close(strict.mpjpe_mm, 370 / 6, 1e-9);
    assert.deepEqual([strict.frames, strict.people, strict.skipped_frames], [3, 6, 1]);
  });

  it("a duplicate match: crmh charges the second GT person its own distance, strict charges it 150 mm", () => {
    const g = randPose();
    // Two GT people, the second g with joint 3 off by 0.085 m; one prediction, exactly g.
    const f: EvalFrame = { sequence: "s", frame: 0, gt: [{ joints3d: g, visible: ones() }, { joints3d: moved(g, 3, [0.085, 0, 0]), visible: ones() }], pred: [{ joints3d: g }] };
    const crmh = evaluateFrame(f, "crmh");
    assert.deepEqual(crmh.map((r) => r.match), [0, 0]);
    close(crmh[1].mpjpe, 0.085 / 17, 1e-12); // 5 mm
    close(summarise(crmh, "crmh")[0].mpjpe_mm, 2.5, 1e-9); // (0 + 5) / 2
    const strict = evaluateFrame(f, "strict");
    assert.deepEqual(strict.map((r) => r.match), [0, -1]);
    close(summarise(strict, "strict")[0].mpjpe_mm, 75, 1e-9); // (0 + 150) / 2
  });

  it("crmh matches on the joints visible for every GT person of the frame", () => {
    const g1 = randPose(), g2 = randPose();
    // p0 is g1 with joint 5 thrown 10 m away; p1 is g1 with every joint but the root 5 cm off in x.
    const p0 = moved(g1, 5, [10, 0, 0]);
    const p1 = g1.map((q, j) => (j === 0 ? q : [q[0] + 0.05, q[1], q[2]]));
    const frame = (vis5: number): EvalFrame => {
      const vis = ones();
      vis[5] = vis5;
      return { sequence: "s", frame: 0, gt: [{ joints3d: g1, visible: vis }, { joints3d: g2, visible: ones() }], pred: [{ joints3d: p0 }, { joints3d: p1 }] };
    };
    // Joint 5 visible: p0 is 10 m away there, p1 is sqrt(16 x 0.05^2) = 0.2 m away overall, so p1 wins.
    assert.equal(evaluateFrame(frame(1), "crmh")[0].match, 1);
    // Joint 5 hidden (for one person, so dropped for all): p0 matches exactly, and the hidden joint costs 0.
    const row = evaluateFrame(frame(0), "crmh")[0];
    assert.equal(row.match, 0);
    close(row.mpjpe, 0, 1e-12);
  });
});
