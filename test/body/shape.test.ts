import { strict as assert } from "node:assert";
import { Rng } from "../../lib/core/rng";
import { BODY_25, BODY_FLIP } from "../../lib/body/joints";
import {
  BETA_LIMIT, MEAN_SHAPE, NUM_BETAS, SHAPE_TEMPLATE, TEMPLATE_POSITIONS, ankleClearance, boneLengths,
  describeShape, girthScale, legLength, restOffsets, restPose, sampleShape,
} from "../../lib/body/shape";

const J = (n: (typeof BODY_25)[number]) => BODY_25.indexOf(n);
const close = (a: number, b: number, tol = 1e-9, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
const betas = (...b: number[]) => ({ betas: [...b, ...new Array(NUM_BETAS - b.length).fill(0)] });

describe("body/shape", () => {
  it("the template is a 1.70 m T-pose, left at +X, soles on the ground", () => {
    const d = describeShape(MEAN_SHAPE);
    close(d.stature, 1.7, 1e-12, "stature");
    close(d.shoulderWidth, 0.34, 1e-12, "shoulders");
    close(d.hipWidth, 0.16, 1e-12, "hips");
    close(d.legLength, Math.hypot(0.005, 0.415, 0.01) + Math.hypot(0, 0.415, 0.03), 1e-12, "leg");
    assert.ok(TEMPLATE_POSITIONS[J("l_hip") * 3] > 0 && TEMPLATE_POSITIONS[J("r_hip") * 3] < 0);
    const p = restPose(MEAN_SHAPE);
    close(p[J("l_ankle") * 3 + 1], 0.07, 1e-12, "ankle height");
    assert.ok(Math.min(...BODY_25.map((_, j) => p[j * 3 + 1])) > 0);
    assert.deepEqual([...restOffsets(MEAN_SHAPE)], [...SHAPE_TEMPLATE]);
  });

  it("each beta does what its name says (values by hand)", () => {
    close(describeShape(betas(1)).stature, 1.79, 1e-12, "stature +1 SD = +9 cm");
    const long = describeShape(betas(0, 2));
    close(long.stature, 1.7, 1e-12, "limbRatio keeps stature");
    assert.ok(long.legLength > describeShape(MEAN_SHAPE).legLength * 1.05);
    close(describeShape(betas(0, 0, 1)).shoulderWidth, 0.34 * 1.05, 1e-12, "shoulders");
    close(describeShape(betas(0, 0, 1)).stature, 1.7, 1e-12, "shoulders keep stature");
    close(describeShape(betas(0, 0, 0, 1)).hipWidth, 0.16 * 1.07, 1e-12, "hips");
    close(girthScale(betas(0, 0, 0, 0, 1)), 1.1, 1e-12, "girth");
    assert.deepEqual([...boneLengths(betas(0, 0, 0, 0, 2))], [...boneLengths(MEAN_SHAPE)]);
    close(ankleClearance(betas(1)), 0.07 * (1 + 0.09 / 1.7), 1e-12, "ankle clearance scales");
  });

  it("offsets are linear in betas (so the tfjs decoding is exact)", () => {
    const r = new Rng(3);
    const a = sampleShape(r), b = sampleShape(r);
    const sum = { betas: a.betas.map((x, i) => x + b.betas[i]) };
    const [oa, ob, os, o0] = [a, b, sum, MEAN_SHAPE].map(restOffsets);
    for (let i = 0; i < o0.length; i++) close(os[i] - o0[i], oa[i] - o0[i] + ob[i] - o0[i], 1e-12);
  });

  it("samples are seeded, bounded, left/right symmetric and adult-sized", () => {
    assert.deepEqual(sampleShape(new Rng(5)).betas, sampleShape(new Rng(5)).betas);
    const r = new Rng(11);
    const st: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const s = sampleShape(r);
      assert.ok(s.betas.every((x) => Math.abs(x) <= BETA_LIMIT));
      st.push(describeShape(s).stature);
    }
    const mean = st.reduce((a, b) => a + b) / st.length;
    const sd = Math.sqrt(st.reduce((a, b) => a + (b - mean) ** 2, 0) / st.length);
    assert.ok(Math.abs(mean - 1.7) < 0.01 && Math.abs(sd - 0.088) < 0.01, `stature ${mean} +- ${sd}`);
    assert.ok(Math.min(...st) >= 1.475 - 1e-9 && Math.max(...st) <= 1.925 + 1e-9);
    const L = boneLengths(sampleShape(r));
    BODY_FLIP.forEach((k, j) => close(L[j], L[k], 1e-12, BODY_25[j]));
    close(legLength(MEAN_SHAPE), describeShape(MEAN_SHAPE).legLength, 0);
  });
});
