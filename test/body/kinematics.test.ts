import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/core/rng";
import { BODY_25, BODY_PARENTS, NUM_BODY_JOINTS } from "../../lib/body/joints";
import { MEAN_SHAPE, NUM_BETAS, restOffsets, restPose, sampleShape } from "../../lib/body/shape";
import {
  NUM_ROTATIONS, axisAngleToMat3, axisRotation, fk, fkTf, mat3Mul, mat3ToRot6d, quatToMat3, restOffsetsTf,
  rot6dToMat3, rot6dToMatrix,
} from "../../lib/body/kinematics";

const close = (a: number, b: number, tol: number, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
const J = (n: (typeof BODY_25)[number]) => BODY_25.indexOf(n);

/** Asserts that `fn` leaves tf.memory().numTensors unchanged (after disposing what it returns). */
function expectNoLeakedTensors(fn: () => tf.Tensor | tf.Tensor[]): void {
  const before = tf.memory().numTensors;
  tf.dispose(fn());
  assert.equal(tf.memory().numTensors, before, "leaked tensors");
}

function randomRot6d(r: Rng, n: number): Float64Array {
  return Float64Array.from({ length: n * 6 }, () => r.normal());
}

function checkRotation(m: ArrayLike<number>, tol: number): void {
  const mt = [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]];
  const mmt = mat3Mul(m, mt);
  [1, 0, 0, 0, 1, 0, 0, 0, 1].forEach((v, i) => close(mmt[i], v, tol, "M M^T"));
  const det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  close(det, 1, tol, "det");
}

describe("body/kinematics", () => {
  before(async () => {
    await tf.setBackend("cpu");
  });

  it("rotation helpers agree with each other and with hand values", () => {
    // 90 deg about Y takes +Z to +X (a body facing +Z then faces +X)
    const Ry = axisRotation("Y", Math.PI / 2);
    [0, 0, 1, 0, 1, 0, -1, 0, 0].forEach((v, i) => close(Ry[i], v, 1e-15));
    const r = new Rng(1);
    for (let t = 0; t < 20; t++) {
      const axis = [r.normal(), r.normal(), r.normal()];
      const n = Math.hypot(...axis), th = r.uniform(-3, 3);
      const aa = axis.map((x) => (x / n) * th);
      const q = [Math.cos(th / 2), ...axis.map((x) => (x / n) * Math.sin(th / 2))];
      const A = axisAngleToMat3(aa), Q = quatToMat3(q);
      A.forEach((v, i) => close(v, Q[i], 1e-12));
      checkRotation(A, 1e-12);
      // 6D round trip reproduces a rotation exactly
      rot6dToMat3(mat3ToRot6d(A)).forEach((v, i) => close(v, A[i], 1e-12));
    }
    axisAngleToMat3([0, 0, 0.3]).forEach((v, i) => close(v, axisRotation("Z", 0.3)[i], 1e-15));
  });

  it("rot6d -> matrix is orthonormal with det +1 (TS and tfjs), and they agree", () => {
    const r = new Rng(2);
    const x = randomRot6d(r, 64);
    const M = rot6dToMatrix(tf.tensor(Float32Array.from(x), [4, 16, 6]));
    assert.deepEqual(M.shape, [4, 16, 3, 3]);
    const m = M.dataSync();
    M.dispose();
    for (let i = 0; i < 64; i++) {
      const ts = rot6dToMat3(x, i * 6);
      checkRotation(ts, 1e-12);
      checkRotation(m.subarray(i * 9, i * 9 + 9), 1e-5);
      ts.forEach((v, k) => close(m[i * 9 + k], v, 1e-5));
    }
  });

  it("fk by hand: identity gives the rest pose, a root turn turns the body", () => {
    const o = restOffsets(MEAN_SHAPE);
    const I = new Float64Array(NUM_ROTATIONS * 9);
    for (let j = 0; j < NUM_ROTATIONS; j++) I.set([1, 0, 0, 0, 1, 0, 0, 0, 1], j * 9);
    const rest = restPose(MEAN_SHAPE);
    const root = rest.slice(0, 3);
    fk(I, o, root).forEach((v, i) => close(v, rest[i], 1e-12));
    // root 90 deg about Y: l_hip offset (0.08, -0.08, 0) -> (0, -0.08, -0.08) from the pelvis
    const turned = I.slice();
    turned.set(axisRotation("Y", Math.PI / 2), 0);
    const p = fk(turned, o);
    [0, -0.08, -0.08].forEach((v, d) => close(p[J("l_hip") * 3 + d], v, 1e-12, "l_hip"));
  });

  it("TS fk and tfjs fkTf agree on random rotations and shapes; bones keep their length", () => {
    const r = new Rng(4);
    const B = 3;
    const rot6d = randomRot6d(r, B * NUM_ROTATIONS);
    const shapes = Array.from({ length: B }, () => sampleShape(r));
    const offsets = shapes.flatMap((s) => [...restOffsets(s)]);
    const outT = fkTf(tf.tensor(Float32Array.from(rot6d), [B, NUM_ROTATIONS, 6]), tf.tensor(offsets, [B, NUM_BODY_JOINTS, 3]));
    assert.deepEqual(outT.shape, [B, NUM_BODY_JOINTS, 3]);
    const got = outT.dataSync();
    outT.dispose();
    for (let b = 0; b < B; b++) {
      const R = new Float64Array(NUM_ROTATIONS * 9);
      for (let j = 0; j < NUM_ROTATIONS; j++) R.set(rot6dToMat3(rot6d, (b * NUM_ROTATIONS + j) * 6), j * 9);
      const o = restOffsets(shapes[b]);
      const p = fk(R, o);
      p.forEach((v, i) => close(got[b * NUM_BODY_JOINTS * 3 + i], v, 1e-5, `b${b} i${i}`));
      for (let j = 1; j < NUM_BODY_JOINTS; j++) {
        const q = BODY_PARENTS[j];
        close(Math.hypot(p[j * 3] - p[q * 3], p[j * 3 + 1] - p[q * 3 + 1], p[j * 3 + 2] - p[q * 3 + 2]), Math.hypot(o[j * 3], o[j * 3 + 1], o[j * 3 + 2]), 1e-12);
      }
    }
  });

  it("restOffsetsTf equals restOffsets", () => {
    const r = new Rng(6);
    const shapes = [MEAN_SHAPE, sampleShape(r), sampleShape(r)];
    const out = restOffsetsTf(tf.tensor(shapes.flatMap((s) => [...s.betas]), [3, NUM_BETAS]));
    assert.deepEqual(out.shape, [3, NUM_BODY_JOINTS, 3]);
    const got = out.dataSync();
    out.dispose();
    shapes.forEach((s, b) => restOffsets(s).forEach((v, i) => close(got[b * NUM_BODY_JOINTS * 3 + i], v, 1e-6)));
  });

  it("leaks no tensors, and gradients flow through fkTf and restOffsetsTf", () => {
    const r = new Rng(8);
    const rot = tf.tensor(Float32Array.from(randomRot6d(r, 2 * NUM_ROTATIONS)), [2, NUM_ROTATIONS, 6]);
    const betas = tf.tensor([...sampleShape(r).betas, ...sampleShape(r).betas], [2, NUM_BETAS]);
    expectNoLeakedTensors(() => rot6dToMatrix(rot));
    expectNoLeakedTensors(() => restOffsetsTf(betas));
    const offsets = restOffsetsTf(betas);
    expectNoLeakedTensors(() => fkTf(rot, offsets));
    offsets.dispose();
    expectNoLeakedTensors(() => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => fkTf(a, restOffsetsTf(b)).square().sum());
      return g([rot, betas]);
    });
    const [gr, gb] = tf.grads((a: tf.Tensor, b: tf.Tensor) => fkTf(a, restOffsetsTf(b)).square().sum())([rot, betas]);
    for (const g of [gr, gb]) {
      const v = g.dataSync();
      assert.ok(v.every(Number.isFinite) && v.some((x) => Math.abs(x) > 1e-6));
    }
    tf.dispose([gr, gb, rot, betas]);
  });
});
