import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Rng } from "../../lib/core/rng";
import { paths } from "../../lib/core/paths";
import { BODY_25, BODY_PARENTS, NUM_BODY_JOINTS } from "../../lib/body/joints";
import { MEAN_SHAPE, boneLengths, legLength, restPose, sampleShape } from "../../lib/body/shape";
import {
  DEFAULT_SPLIT, MOCAP_CLIPS, bvhPositions, facingYaw, footContactHeight, loadClip, mirrorPoses, motionLibrary,
  parseBvh, perturbPoses, retarget, retargetPoints, splitSegments, yawPoses,
} from "../../lib/world/mocap";

const S = NUM_BODY_JOINTS * 3;
const J = (n: (typeof BODY_25)[number]) => BODY_25.indexOf(n);
const close = (a: number, b: number, tol: number, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const frameCount = (poses: Float64Array) => poses.length / S;
function bone(p: ArrayLike<number>, f: number, j: number): [number, number, number] {
  const [a, b] = [f * S + j * 3, f * S + BODY_PARENTS[j] * 3];
  return [p[a] - p[b], p[a + 1] - p[b + 1], p[a + 2] - p[b + 2]];
}
const norm = (v: number[]) => Math.hypot(v[0], v[1], v[2]);

/** Two joints and an end site; ZXY root channels, so the rotation order matters. */
const TINY_BVH = `HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Child
  {
    OFFSET 0 1 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 1 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.0083333
1 2 3 90 0 0 0 90 0
1 2 3 90 90 0 0 0 0
`;

describe("world/mocap", () => {
  it("parses BVH and runs its FK in channel order (positions by hand)", () => {
    const b = parseBvh(TINY_BVH);
    assert.deepEqual(b.joints.map((j) => j.name), ["Hips", "Child", "Child_end"]);
    assert.equal(b.frames, 2);
    assert.equal(b.channels, 9);
    close(1 / b.frameTime, 120, 0.01, "fps");
    const p = bvhPositions(b, [0, 1]);
    // frame 0: Rz(90) takes the child offset (0,1,0) to (-1,0,0); the child's Rx(90) takes (0,1,0) to (0,0,1)
    assert.deepEqual([...p.subarray(0, 9)].map((v) => Math.round(v * 1e12) / 1e12 + 0), [1, 2, 3, 0, 2, 3, 0, 2, 4]);
    // frame 1: R = Rz(90) Rx(90): (0,1,0) -> Rx -> (0,0,1) -> Rz -> (0,0,1). (Rx Rz would give (-1,0,0).)
    assert.deepEqual([...p.subarray(9, 18)].map((v) => Math.round(v * 1e12) / 1e12 + 0), [1, 2, 3, 1, 2, 4, 1, 2, 5]);
  });

  it("the fast number scanner reads the real file exactly as Number() does", () => {
    const text = gunzipSync(readFileSync(join(paths.mocap, "Boxing_Toes.bvh.gz"))).toString("latin1");
    const b = parseBvh(text);
    const ref = text.slice(text.indexOf("Frame Time:")).split("\n").slice(1).join(" ").split(/\s+/).filter(Boolean).map(Number);
    // Boxing_Toes holds one row more than its "Frames:" header says; the parser reads the header's count
    assert.equal(ref.length - b.motion.length, b.channels);
    for (let i = 0; i < b.motion.length; i++) if (b.motion[i] !== ref[i]) assert.fail(`value ${i}: ${b.motion[i]} vs ${ref[i]}`);
  });

  it("loads every clip at 30 fps (CMU drops its T-pose frame 0)", () => {
    const want: Record<string, number> = { cmu_01_01: 688, cmu_01_03: 1128, boxing_toes: 921 };
    for (const spec of MOCAP_CLIPS) {
      const c = loadClip(spec);
      assert.equal(c.frames, want[c.name], c.name);
      assert.equal(c.points.length, c.frames * S);
      assert.ok(c.points.every(Number.isFinite));
      if (spec.skeleton === "cmu31") assert.deepEqual([...c.sourceFrames.slice(0, 3)], [1, 5, 9]);
      else assert.deepEqual([...c.sourceFrames.slice(0, 4)], [0, 3, 7, 10]); // 100 Hz: nearest to k * 3.33
    }
  });

  it("split: interleaved test blocks, disjoint from train with the guard band, ~20% test", () => {
    const plan = splitSegments({ frames: 1000 });
    assert.deepEqual(plan.test, [[180, 270], [630, 720]]);
    assert.deepEqual(plan.train, [[0, 165], [285, 615], [735, 1000]]);
    for (const spec of MOCAP_CLIPS) {
      const c = loadClip(spec);
      const { train, test } = splitSegments(c);
      const tr = train.flatMap(([s, e]) => Array.from({ length: e - s }, (_, i) => s + i));
      const te = test.flatMap(([s, e]) => Array.from({ length: e - s }, (_, i) => s + i));
      const teSet = new Set(te);
      assert.ok(tr.every((f) => !teSet.has(f)), "disjoint");
      for (const f of tr) for (const g of te) assert.ok(Math.abs(f - g) > DEFAULT_SPLIT.guard, `${c.name}: train ${f} near test ${g}`);
      assert.ok(test[0][0] < c.frames / 2, "test is not only the tail");
      const share = te.length / c.frames;
      assert.ok(share > 0.15 && share < 0.25, `${c.name} test share ${share}`);
    }
    const frames = (split: "train" | "test") => motionLibrary(split).reduce((n, s) => n + s.frames, 0);
    const want = (split: "train" | "test") => MOCAP_CLIPS.reduce((n, spec) => n + splitSegments(loadClip(spec))[split].reduce((m, [s, e]) => m + e - s, 0), 0);
    assert.equal(frames("train"), want("train"));
    assert.equal(frames("test"), want("test"));
  });

  it("retargeting: bone lengths are the body's in every frame; bone directions are the clip's", () => {
    const shape = sampleShape(new Rng(21));
    const L = boneLengths(shape);
    for (const seg of [...motionLibrary("train"), ...motionLibrary("test")]) {
      const { poses } = retarget(seg, shape);
      // retarget re-turns frame 0 to face +Z (the body's widths shift its heading by a degree or so):
      // the clip's directions, turned by that one yaw, must be the body's
      const turn = facingYaw(retargetPoints(seg.points, L, 1));
      assert.ok(Math.abs(turn) < (3 * Math.PI) / 180, `${seg.clip} heading change ${turn}`);
      const clip = yawPoses(seg.points, -turn);
      for (let f = 0; f < seg.frames; f++) {
        for (let j = 1; j < NUM_BODY_JOINTS; j++) {
          const b = bone(poses, f, j), c = bone(clip, f, j);
          close(norm(b), L[j], 1e-9, `${seg.clip} f${f} ${BODY_25[j]} length`);
          const [nb, nc] = [norm(b), norm(c)];
          for (let d = 0; d < 3; d++) close(b[d] / nb, c[d] / nc, 1e-9, `${seg.clip} f${f} ${BODY_25[j]} direction`);
        }
      }
    }
  });

  it("at the clip's own proportions the retargeted joints ARE the clip's (its FK)", () => {
    for (const spec of MOCAP_CLIPS) {
      const c = loadClip(spec);
      // bone lengths of the clip, and which of them the clip keeps rigid
      const lens = (f: number) => Float64Array.from({ length: NUM_BODY_JOINTS }, (_, j) => (j ? norm(bone(c.points, f, j)) : 0));
      const L0 = lens(0);
      const rigid = BODY_25.map((_, j) => j === 0 || Array.from({ length: c.frames }, (_, f) => lens(f)[j]).every((l) => Math.abs(l - L0[j]) < 1e-9));
      const loose = BODY_25.filter((_, j) => !rigid[j]);
      assert.ok(loose.every((n) => ["spine1", "l_collar", "r_collar"].includes(n)), `${c.name}: non-rigid ${loose}`);
      const poses = retargetPoints(c.points, L0, 1);
      for (let j = 0; j < NUM_BODY_JOINTS; j++) {
        let base = 0; // nearest ancestor-or-self whose incoming bone the clip stretches, else the root
        for (let k = j; k > 0; k = BODY_PARENTS[k]) {
          if (!rigid[k]) {
            base = k;
            break;
          }
        }
        for (let f = 0; f < c.frames; f += 7) {
          for (let d = 0; d < 3; d++) {
            const got = poses[f * S + j * 3 + d] - poses[f * S + base * 3 + d];
            const want = c.points[f * S + j * 3 + d] - c.points[f * S + base * 3 + d];
            close(got, want, 1e-9, `${c.name} f${f} ${BODY_25[j]} from ${BODY_25[base]}`);
          }
        }
      }
    }
  });

  it("retarget: starts facing +Z at x = z = 0, feet on the ground, root scaled by leg length", () => {
    const segs = motionLibrary("train");
    const tall = { betas: [2, 1, 0, 0, 0] };
    const k = legLength(tall) / legLength(MEAN_SHAPE);
    for (const seg of segs) {
      const { poses } = retarget(seg, tall);
      close(facingYaw(poses), 0, 1e-9, "yaw");
      close(poses[J("pelvis") * 3], 0, 1e-9, "x");
      close(poses[J("pelvis") * 3 + 2], 0, 1e-9, "z");
      // handedness: with left at +X and facing +Z, the toes point +Z (a swapped left/right would point -Z)
      for (const side of ["l", "r"] as const) assert.ok(poses[J(`${side}_foot`) * 3 + 2] > poses[J(`${side}_ankle`) * 3 + 2], `${seg.clip} ${side} toes`);
      const contact = footContactHeight(poses, tall);
      close(Math.min(...contact), 0, 0.02, `${seg.clip}@${seg.start} lowest contact`);
      assert.ok(contact.every((h) => h > -1e-9), "no frame below ground");
      const last = (frameCount(poses) - 1) * S;
      const travel = (p: Float64Array) => Math.hypot(p[last] - p[0], p[last + 2] - p[2]);
      close(travel(poses), k * travel(seg.points), 1e-9, "travel scales with the leg");
      // flat ground keeps the clip's vertical root motion (jumps) exactly, scaled
      const flat = retarget(seg, tall, { mode: "flat", window: 0 }).poses;
      close(Math.min(...footContactHeight(flat, tall)), 0, 1e-12);
      close(flat[last + 1] - flat[1], k * (seg.points[last + 1] - seg.points[1]), 1e-9, "root height change");
    }
  });

  it("mirror swaps left and right: the mirrored left hip is the reflected right hip", () => {
    const seg = motionLibrary("test")[0];
    const { poses } = retarget(seg, MEAN_SHAPE);
    const m = mirrorPoses(poses);
    for (let f = 0; f < seg.frames; f += 5) {
      for (const [a, b] of [["l_hip", "r_hip"], ["r_wrist", "l_wrist"], ["l_foot", "r_foot"], ["head_top", "head_top"]] as const) {
        const [i, k] = [f * S + J(a) * 3, f * S + J(b) * 3];
        close(m[i], -poses[k], 1e-12, `${a} x`); // segments start at x = 0 facing +Z: the plane is x = 0
        close(m[i + 1], poses[k + 1], 1e-12);
        close(m[i + 2], poses[k + 2], 1e-12);
      }
    }
    close(facingYaw(m), 0, 1e-9, "still faces +Z");
    mirrorPoses(m).forEach((v, i) => close(v, poses[i], 1e-12, "mirror twice"));
    // about a yawed body's own plane too
    const y = yawPoses(poses, 1.1);
    yawPoses(mirrorPoses(y), -1.1).forEach((v, i) => close(v, m[i], 1e-9, "mirror commutes with yaw"));
  });

  it("yaw turns a body facing +Z to (sin a, 0, cos a); perturbation keeps bone lengths", () => {
    const seg = motionLibrary("train")[1];
    const shape = sampleShape(new Rng(2));
    const { poses } = retarget(seg, shape);
    const y = yawPoses(poses, Math.PI / 2);
    close(facingYaw(y), Math.PI / 2, 1e-9, "yaw");
    // a point one metre ahead (+Z) ends one metre along +X
    [1, 0.5, 0].forEach((v, d) => close(yawPoses(Float64Array.of(0, 0.5, 1), Math.PI / 2)[d], v, 1e-12));
    const L = boneLengths(shape);
    const p1 = perturbPoses(poses, new Rng(9)), p2 = perturbPoses(poses, new Rng(9));
    assert.deepEqual(p1, p2, "seeded");
    let moved = 0;
    for (let f = 0; f < seg.frames; f++) {
      for (let j = 1; j < NUM_BODY_JOINTS; j++) close(norm(bone(p1, f, j)), L[j], 1e-9, "length");
      const w = f * S + J("l_wrist") * 3;
      moved += Math.hypot(p1[w] - poses[w], p1[w + 1] - poses[w + 1], p1[w + 2] - poses[w + 2]) / seg.frames;
      for (let d = 0; d < 3; d++) close(p1[f * S + d], poses[f * S + d], 0, "pelvis stays");
    }
    assert.ok(moved > 0.005 && moved < 0.12, `wrist moved ${moved} m on average`);
    // ground placement uses the standing heights of the feet
    const rest = restPose(shape);
    assert.ok(rest[J("l_foot") * 3 + 1] > 0 && rest[J("l_foot") * 3 + 1] < rest[J("l_ankle") * 3 + 1]);
  });
});
