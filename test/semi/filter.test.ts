import { strict as assert } from "node:assert";
import {
  DEFAULT_CONFIDENCE,
  DEFAULT_STABILITY,
  confidenceStats,
  filterQuality,
  isConfident,
  isStable,
  poseSpread,
  populationStd,
  type PersonPose,
} from "../../lib/semi/filter";

const close = (a: number, b: number, tol = 1e-12, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
/** [original, ...copies] with `same` copies equal to the original and the rest listed after. */
const counts = (orig: number, same: number, ...others: number[]) => [orig, ...Array(same).fill(orig), ...others];

describe("semi/filter", () => {
  it("populationStd divides by n", () => {
    close(populationStd([5]), 0);
    close(populationStd([1, 3]), 1); // mean 2, deviations +-1
    close(populationStd([2, 4, 4, 4, 5, 5, 7, 9]), 2); // the textbook example: variance 32 / 8 = 4
    close(populationStd([0, 0, 1]), Math.sqrt(2) / 3); // mean 1/3, (1/9 + 1/9 + 4/9) / 3 = 2/9
    assert.throws(() => populationStd([]), /empty/);
  });

  it("keeps an image whose nine counts all agree", () => {
    assert.deepEqual(confidenceStats(counts(3, 8)), { std: 0, matches: 8, confident: true });
  });

  it("keeps exactly six matches when the two odd copies are off by one in the same direction", () => {
    // [3 x7, 4, 4]: mean 29/9; deviations -2/9 (x7) and 7/9 (x2); squares (7*4 + 2*49) / 81 = 126/81;
    // variance 126/729 = 14/81; std sqrt(14)/9 = 0.41574 <= 0.42.
    const up = confidenceStats(counts(3, 6, 4, 4));
    close(up.std, Math.sqrt(14) / 9, 1e-12, "std");
    assert.equal(up.matches, 6);
    assert.equal(up.confident, true);
    // -1 instead of +1 mirrors every deviation: same std.
    const down = confidenceStats(counts(3, 6, 2, 2));
    close(down.std, up.std, 1e-12, "+1 vs -1");
    assert.equal(down.confident, true);
  });

  it("drops six matches whose odd copies go one up and one down (std over 0.42)", () => {
    // [3 x7, 4, 2]: mean 3; squares 1 + 1 = 2; variance 2/9; std sqrt(2)/3 = 0.4714.
    const s = confidenceStats(counts(3, 6, 4, 2));
    close(s.std, Math.sqrt(2) / 3, 1e-12);
    assert.deepEqual([s.matches, s.confident], [6, false]);
  });

  it("drops five matches", () => {
    // [3 x6, 4 x3]: mean 10/3; squares 6/9 + 3*4/9 = 2; std sqrt(2/9) = 0.4714: fails both rules.
    const s = confidenceStats(counts(3, 5, 4, 4, 4));
    assert.deepEqual([s.matches, s.confident], [5, false]);
    // With the std rule relaxed, the match rule alone still drops it.
    assert.equal(isConfident(counts(3, 5, 4, 4, 4), { stdMax: 1, minMatches: 6 }), false);
    assert.equal(isConfident(counts(3, 5, 4, 4, 4), { stdMax: 1, minMatches: 5 }), true);
  });

  it("std just under and just over 0.42, counts chosen for it", () => {
    // 22 counts, five of them 1: p = 5/22, std = sqrt(p (1 - p)) = sqrt(85)/22 = 0.419067.
    const under = confidenceStats(counts(0, 16, 1, 1, 1, 1, 1));
    close(under.std, Math.sqrt(85) / 22, 1e-12, "under");
    assert.deepEqual([under.matches, under.confident], [16, true]);
    // 13 counts, three of them 1: p = 3/13, std = sqrt(30)/13 = 0.421325.
    const over = confidenceStats(counts(0, 9, 1, 1, 1));
    close(over.std, Math.sqrt(30) / 13, 1e-12, "over");
    assert.deepEqual([over.matches, over.confident], [9, false]);
  });

  it("drops an image whose original disagrees with every copy, however small the std", () => {
    // [2, 3 x8]: mean 26/9; squares (64 + 8) / 81 = 72/81; variance 8/81; std sqrt(8)/9 = 0.314.
    const s = confidenceStats([2, ...Array(8).fill(3)]);
    close(s.std, Math.sqrt(8) / 9, 1e-12);
    assert.deepEqual([s.matches, s.confident], [0, false]);
    assert.equal(isConfident([2, ...Array(8).fill(3)], { stdMax: 0.42, minMatches: 0 }), true);
  });

  it("custom options change the decision; defaults are the report's", () => {
    assert.deepEqual(DEFAULT_CONFIDENCE, { stdMax: 0.42, minMatches: 6 });
    assert.equal(isConfident(counts(3, 6, 4, 2), { stdMax: 0.5, minMatches: 6 }), true);
    assert.equal(isConfident(counts(3, 6, 4, 4), { stdMax: 0.4, minMatches: 6 }), false);
    assert.equal(isConfident(counts(3, 8), { stdMax: 0, minMatches: 8 }), true, "both bounds inclusive");
    assert.equal(isConfident(counts(3, 8), { stdMax: 0, minMatches: 9 }), false);
  });

  it("rejects malformed counts", () => {
    assert.throws(() => confidenceStats([3]), /at least one copy/);
    assert.throws(() => confidenceStats([3, 2.5]), /non-negative integers/);
    assert.throws(() => confidenceStats([3, -1]), /non-negative integers/);
    assert.throws(() => confidenceStats([3, NaN]), /non-negative integers/);
  });

  // A 3-joint "pose" keeps the hand arithmetic short; poseSpread does not care about 17.
  const pose = (box: number[], dx = 0): PersonPose => ({ box, joints3dRel: [[0, 0, 0], [0.1, 0.2, 0.3], [dx, -0.5, 0.25]] });
  const A = [0, 0, 10, 20], B = [100, 0, 110, 20];

  it("poseSpread is 0 for identical copies and hand values for shifted joints", () => {
    const orig = [pose(A), pose(B)];
    assert.deepEqual(poseSpread(orig, [orig, orig, orig], 0.3), [0, 0]);
    // Joint 2 moved 10 mm in every copy: its RMS is 10 mm, the others 0: mean over 3 joints = 10/3 mm.
    const moved = [pose(A, 0.01), pose(B)];
    const s = poseSpread(orig, [moved, moved, moved, moved], 0.3);
    close(s[0], 10 / 3, 1e-9, "person A");
    assert.equal(s[1], 0);
    // Half the copies moved 10 mm, half not: RMS sqrt((2 * 100 + 2 * 0) / 4) = sqrt(50) mm on joint 2.
    close(poseSpread(orig, [moved, orig, moved, orig], 0.3)[0], Math.sqrt(50) / 3, 1e-9, "mixed");
    // Order of people in a copy does not matter: the box decides.
    assert.deepEqual(poseSpread(orig, [[pose(B), pose(A)]], 0.3), [0, 0]);
  });

  it("poseSpread counts a copy with no overlapping box as a miss", () => {
    const orig = [pose(A)];
    const far = [pose([50, 50, 60, 70], 5)]; // IoU 0 with A, and a wildly different pose
    const shifted = [pose([0, 0, 10, 10], 5)]; // IoU 0.5: matched at 0.3, missed at 0.6
    assert.deepEqual(poseSpread(orig, [[pose(A)], far, [], [pose(A)]], 0.3), [0], "2 of 4 matched: half is enough");
    assert.deepEqual(poseSpread(orig, [[pose(A)], far, [], far], 0.3), [Infinity], "1 of 4 matched");
    close(poseSpread(orig, [shifted], 0.3)[0], 5000 / 3, 1e-6, "matched at IoU 0.5");
    assert.deepEqual(poseSpread(orig, [shifted], 0.6), [Infinity]);
    assert.throws(() => poseSpread(orig, [], 0.3), /no copies/);
  });

  it("isStable needs a person and every person under the spread bound", () => {
    const orig = [pose(A), pose(B)];
    const moved = [pose(A, 0.01), pose(B)];
    assert.equal(isStable(orig, [moved, moved]), true);
    assert.equal(isStable(orig, [moved, moved], { maxSpreadMm: 3, minIou: 0.3 }), false, "10/3 mm > 3 mm");
    assert.equal(isStable(orig, [[pose(A)], [pose(A)]]), false, "person B missed everywhere");
    assert.equal(isStable([], [[], []]), false, "no person, no label");
    assert.deepEqual(DEFAULT_STABILITY, { maxSpreadMm: 60, minIou: 0.3 });
  });

  it("filterQuality on a hand table", () => {
    const q = filterQuality([
      { kept: true, predCount: 2, trueCount: 2, error: 100 },
      { kept: true, predCount: 1, trueCount: 2, error: 200 },
      { kept: false, predCount: 3, trueCount: 3, error: 150 },
      { kept: false, predCount: 0, trueCount: 1 }, // no label, no error
      { kept: true, predCount: 1, trueCount: 1, error: Infinity },
      { kept: false, predCount: 2, trueCount: 1, error: 250 },
    ]);
    assert.deepEqual(q, {
      images: 6,
      kept: 3,
      correct: 3, // rows 0, 2, 4
      keptCorrect: 2, // rows 0, 4
      precision: 2 / 3,
      recall: 2 / 3,
      keptMeanError: 150, // (100 + 200) / 2: the infinite error is skipped
      droppedMeanError: 200, // (150 + 250) / 2
    });
    const none = filterQuality([{ kept: false, predCount: 1, trueCount: 2 }]);
    assert.ok(Number.isNaN(none.precision) && Number.isNaN(none.recall) && Number.isNaN(none.keptMeanError) && Number.isNaN(none.droppedMeanError));
  });
});
