/**
 * Real motion capture for the synthetic world: BVH parsing, a documented map of each clip's skeleton
 * onto BODY_25, retargeting onto a sampled body (shape.ts), augmentation, and a train/test split by
 * whole time segments. Clips: data/mocap/*.bvh.gz (see data/mocap/README.md and SOURCES.md).
 *
 * Conventions (shared with the renderer): world metres, Y UP, ground y = 0, a pose is a Float64Array
 * of 25 x 3 world coordinates in BODY_25 order; a motion is [F, 25, 3] (F frames at MOCAP_FPS).
 * Both skeletons are y-up with the performer's LEFT at +X and toes at +Z in their rest pose, so the
 * BVH axes are the world's; only the heading differs per clip (first frames: CMU 01_01 faces about
 * +Z (-9 deg), 01_03 about -X (-97 deg), Boxing about -Z (179 deg)), and every segment is turned so
 * that its FIRST frame faces +Z with the pelvis at x = z = 0 (the scene applies its own yaw and
 * placement). Feet: see `GroundOptions` (01_03 climbs onto a platform; Boxing falls and gets up).
 *
 * Units: never trusted. CMU's cgspeed conversion nominally uses 1/0.45 inch (5.64 cm) and Boxing looks
 * like cm, but each clip is rescaled by its own LEG length (hip -> knee -> ankle, mean of both sides)
 * to the template body's (0.83 m): `points` are "nominal metres" of a 1.70 m average adult. Retargeting
 * then scales the root trajectory (height and travel) by body leg / template leg: the leg, not stature,
 * sets how high the pelvis rides and how far a stride goes, so feet neither sink nor float for bodies
 * with long or short legs (a stature ratio would).
 */
import { gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BODY_25, BODY_FLIP, BODY_PARENTS, type BodyJoint, NUM_BODY_JOINTS } from "../body/joints";
import { type BodyShape, MEAN_SHAPE, boneLengths, legLength, restPose } from "../body/shape";
import { paths } from "../core/paths";
import type { Rng } from "../core/rng";

// ---------------------------------------------------------------- BVH

export interface BvhJoint {
  name: string;
  /** index of the parent joint, -1 for the root */
  parent: number;
  /** rest offset from the parent, file units */
  offset: [number, number, number];
  /** channel names in file order ("Xposition", "Zrotation", ...); [] for end sites */
  channels: string[];
  /** column of this joint's first channel in a motion row */
  channelStart: number;
}

export interface Bvh {
  /** joints in file (depth-first) order, so parents precede children; end sites are `<parent>_end` */
  joints: BvhJoint[];
  frames: number;
  /** seconds per frame */
  frameTime: number;
  channels: number;
  /** [frames, channels] raw values: positions in file units, rotations in degrees */
  motion: Float64Array;
}

/** Parse a BVH file: HIERARCHY with any channel order, then MOTION. */
export function parseBvh(text: string): Bvh {
  const motionAt = text.search(/^\s*MOTION\b/m);
  if (motionAt < 0) throw new Error("parseBvh: no MOTION section");
  const tok = text.slice(0, motionAt).split(/\s+/).filter(Boolean);
  const joints: BvhJoint[] = [];
  const stack: number[] = [];
  let channels = 0;
  for (let i = 0; i < tok.length; ) {
    const t = tok[i];
    if (t === "HIERARCHY" || t === "{") i++;
    else if (t === "ROOT" || t === "JOINT" || t === "End") {
      const name = t === "End" ? `${joints[stack[stack.length - 1]].name}_end` : tok[i + 1];
      joints.push({ name, parent: stack.length ? stack[stack.length - 1] : -1, offset: [0, 0, 0], channels: [], channelStart: channels });
      stack.push(joints.length - 1);
      i += 2;
    } else if (t === "}") {
      stack.pop();
      i++;
    } else if (t === "OFFSET") {
      joints[stack[stack.length - 1]].offset = [+tok[i + 1], +tok[i + 2], +tok[i + 3]];
      i += 4;
    } else if (t === "CHANNELS") {
      const n = +tok[i + 1];
      const j = joints[stack[stack.length - 1]];
      j.channels = tok.slice(i + 2, i + 2 + n);
      j.channelStart = channels;
      channels += n;
      i += 2 + n;
    } else throw new Error(`parseBvh: unexpected token '${t}'`);
  }
  const rest = text.slice(motionAt);
  const frames = Number(/Frames:\s*(\d+)/.exec(rest)?.[1]);
  const ft = /Frame Time:\s*([-+0-9.eE]+)[^\n]*\n/.exec(rest);
  if (!ft || !(frames > 0)) throw new Error("parseBvh: missing Frames / Frame Time");
  const motion = new Float64Array(frames * channels);
  const got = scanNumbers(rest, ft.index + ft[0].length, motion);
  if (got < motion.length) throw new Error(`parseBvh: ${got} values, expected ${frames} x ${channels}`);
  return { joints, frames, frameTime: +ft[1], channels, motion };
}

/**
 * Read whitespace-separated numbers from `s` (from `at`) into `out` until it is full; returns the
 * count. A hand-rolled scanner: split + Number on the 3.4 MB CMU file costs 3x more.
 */
function scanNumbers(s: string, at: number, out: Float64Array): number {
  let n = 0, i = at;
  const L = s.length;
  while (n < out.length) {
    while (i < L && s.charCodeAt(i) <= 32) i++;
    if (i >= L) break;
    const start = i;
    let neg = false, v = 0, scale = 0, simple = true, c = s.charCodeAt(i);
    if (c === 45 /* - */ || c === 43 /* + */) {
      neg = c === 45;
      c = s.charCodeAt(++i);
    }
    for (; i < L; c = s.charCodeAt(++i)) {
      if (c >= 48 && c <= 57) {
        v = v * 10 + (c - 48);
        if (scale) scale *= 10;
      } else if (c === 46 /* . */ && !scale) scale = 1;
      else if (c <= 32) break;
      else simple = false; // exponent or junk: let Number() decide
    }
    const x = simple ? (neg ? -v : v) / (scale || 1) : Number(s.slice(start, i));
    if (Number.isNaN(x)) throw new Error(`parseBvh: not a number '${s.slice(start, i)}'`);
    out[n++] = x;
  }
  return n;
}

/**
 * World positions of every BVH joint (end sites included) for the given frames, by the clip's own
 * FK: rotation channels compose in file order (ZXY lists R = Rz . Rx . Ry), position channels add to
 * the offset. Returns [frames.length, joints, 3] in file units.
 */
export function bvhPositions(bvh: Bvh, frames: readonly number[]): Float64Array {
  const J = bvh.joints.length;
  // Channel roles resolved once: which column moves which axis (0 X, 1 Y, 2 Z).
  const plan = bvh.joints.map((jt) => {
    const rot: [number, number][] = [], pos: [number, number][] = [];
    jt.channels.forEach((c, k) => {
      const axis = "XYZ".indexOf(c[0].toUpperCase());
      if (axis < 0) throw new Error(`bvh: unknown channel ${c}`);
      (c.toLowerCase().endsWith("position") ? pos : rot).push([axis, jt.channelStart + k]);
    });
    return { rot, pos };
  });
  const out = new Float64Array(frames.length * J * 3);
  const G = new Float64Array(J * 9);
  const R = new Float64Array(9), A = new Float64Array(9), tmp = new Float64Array(9);
  const t = new Float64Array(3);
  const DEG = Math.PI / 180;
  frames.forEach((f, fi) => {
    const row = f * bvh.channels;
    const o = fi * J * 3;
    bvh.joints.forEach((jt, j) => {
      t.set(jt.offset);
      for (const [axis, col] of plan[j].pos) t[axis] += bvh.motion[row + col];
      R.set(IDENTITY);
      for (const [axis, col] of plan[j].rot) {
        axisRotationInto(axis, bvh.motion[row + col] * DEG, A);
        mul3(R, A, tmp);
        R.set(tmp);
      }
      const p = jt.parent;
      if (p < 0) {
        out.set(t, o + j * 3);
        G.set(R, j * 9);
        return;
      }
      const g = p * 9;
      for (let d = 0; d < 3; d++) {
        out[o + j * 3 + d] = out[o + p * 3 + d] + G[g + d * 3] * t[0] + G[g + d * 3 + 1] * t[1] + G[g + d * 3 + 2] * t[2];
      }
      mul3(G.subarray(g, g + 9), R, tmp);
      G.set(tmp, j * 9);
    });
  });
  return out;
}

const IDENTITY = Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);

/** out = a . b (row-major 3x3, out distinct from a and b). */
function mul3(a: ArrayLike<number>, b: ArrayLike<number>, out: Float64Array): void {
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 3; k++) out[i * 3 + k] = a[i * 3] * b[k] + a[i * 3 + 1] * b[3 + k] + a[i * 3 + 2] * b[6 + k];
  }
}

/** Rotation about axis 0/1/2 (X/Y/Z), as kinematics.axisRotation (tested equal), written into `out`. */
function axisRotationInto(axis: number, rad: number, out: Float64Array): void {
  const c = Math.cos(rad), s = Math.sin(rad);
  out.fill(0);
  const [u, v] = axis === 0 ? [1, 2] : axis === 1 ? [2, 0] : [0, 1]; // the rotated plane, cyclic order
  out[axis * 4] = 1;
  out[u * 4] = c;
  out[v * 4] = c;
  out[u * 3 + v] = -s;
  out[v * 3 + u] = s;
}

// ---------------------------------------------------------------- clip skeletons -> BODY_25

/** Where a BODY_25 joint sits in a clip: a clip joint, or the point a fraction t from joint a to b. */
export type Anchor = string | readonly [a: string, b: string, t: number];

/**
 * CMU / cgspeed 31-joint skeleton. Its spine: Hips -> LowerBack (at the hips) -> Spine (~12 cm up)
 * -> Spine1 (~24 cm, where the shoulder girdle hangs: LeftShoulder sits ON Spine1) -> Neck (= Spine1)
 * -> Neck1 (base of the neck) -> Head -> end site (skull top). SMPL's spine3 has no CMU joint: 30% up
 * the Neck bone. The collar is 40% of the way from LeftShoulder (at Spine1) to LeftArm (the shoulder
 * joint). The hand joint is LFingers (the knuckles, ~4 cm past the wrist).
 */
const CMU31: Record<BodyJoint, Anchor> = {
  pelvis: "Hips", l_hip: "LeftUpLeg", r_hip: "RightUpLeg", spine1: "Spine", l_knee: "LeftLeg", r_knee: "RightLeg",
  spine2: "Spine1", l_ankle: "LeftFoot", r_ankle: "RightFoot", spine3: ["Neck", "Neck1", 0.3],
  l_foot: "LeftToeBase", r_foot: "RightToeBase", neck: "Neck1",
  l_collar: ["LeftShoulder", "LeftArm", 0.4], r_collar: ["RightShoulder", "RightArm", 0.4], head: "Head",
  l_shoulder: "LeftArm", r_shoulder: "RightArm", l_elbow: "LeftForeArm", r_elbow: "RightForeArm",
  l_wrist: "LeftHand", r_wrist: "RightHand", l_hand: "LFingers", r_hand: "RFingers", head_top: "Head_end",
};

/**
 * Boxing_Toes 21-joint skeleton (cm): Hips -> Ab (8 cm up) -> Chest (31 cm) -> Neck (53 cm; the
 * collars hang from the same point) -> Head (64 cm) -> end site (81 cm, skull top). spine1 is 10% up
 * the Ab bone (~10 cm, as SMPL's), spine3 20% up the Chest bone; the collar 40% from LeftCollar to
 * LeftShoulder; the hand joint halfway along the 15 cm wrist end site. LeftToes is the ball of the foot.
 */
const BOXING21: Record<BodyJoint, Anchor> = {
  pelvis: "Hips", l_hip: "LeftHip", r_hip: "RightHip", spine1: ["Ab", "Chest", 0.1], l_knee: "LeftKnee", r_knee: "RightKnee",
  spine2: "Chest", l_ankle: "LeftAnkle", r_ankle: "RightAnkle", spine3: ["Chest", "Neck", 0.2],
  l_foot: "LeftToes", r_foot: "RightToes", neck: "Neck",
  l_collar: ["LeftCollar", "LeftShoulder", 0.4], r_collar: ["RightCollar", "RightShoulder", 0.4], head: "Head",
  l_shoulder: "LeftShoulder", r_shoulder: "RightShoulder", l_elbow: "LeftElbow", r_elbow: "RightElbow",
  l_wrist: "LeftWrist", r_wrist: "RightWrist", l_hand: ["LeftWrist", "LeftWrist_end", 0.5], r_hand: ["RightWrist", "RightWrist_end", 0.5],
  head_top: "Head_end",
};

export const SKELETON_MAPS = { cmu31: CMU31, boxing21: BOXING21 } as const;
export type SkeletonKind = keyof typeof SKELETON_MAPS;

export interface ClipSpec {
  name: string;
  /** file under paths.mocap */
  file: string;
  skeleton: SkeletonKind;
  /** leading frames to drop: the cgspeed conversion's frame 0 is a T-pose calibration frame, not motion */
  skipFrames: number;
}

/** The embedded clips (data/mocap/SOURCES.md). */
export const MOCAP_CLIPS: readonly ClipSpec[] = [
  { name: "cmu_01_01", file: "01_01.bvh.gz", skeleton: "cmu31", skipFrames: 1 },
  { name: "cmu_01_03", file: "01_03.bvh.gz", skeleton: "cmu31", skipFrames: 1 },
  { name: "boxing_toes", file: "Boxing_Toes.bvh.gz", skeleton: "boxing21", skipFrames: 0 },
];

/**
 * Frame rate of every motion here. CMU's 120 Hz is taken every 4th frame; Boxing's 100 Hz by the
 * nearest source frame to each 1/30 s tick (timing error <= 5 ms, no blending of poses).
 */
export const MOCAP_FPS = 30;

/** [F, 25, 3] the 25 anchor points of each frame, from [F, clipJoints, 3] clip positions. */
export function mapToBody(bvh: Bvh, positions: Float64Array, skeleton: SkeletonKind): Float64Array {
  const idx = (n: string) => {
    const i = bvh.joints.findIndex((j) => j.name === n);
    if (i < 0) throw new Error(`mocap: clip has no joint '${n}' (skeleton ${skeleton})`);
    return i;
  };
  const anchors = BODY_25.map((n) => {
    const a = SKELETON_MAPS[skeleton][n];
    return typeof a === "string" ? { a: idx(a), b: idx(a), t: 0 } : { a: idx(a[0]), b: idx(a[1]), t: a[2] };
  });
  const J = bvh.joints.length;
  const F = positions.length / (J * 3);
  const out = new Float64Array(F * NUM_BODY_JOINTS * 3);
  for (let f = 0; f < F; f++) {
    anchors.forEach(({ a, b, t }, j) => {
      for (let d = 0; d < 3; d++) {
        const pa = positions[(f * J + a) * 3 + d], pb = positions[(f * J + b) * 3 + d];
        out[(f * NUM_BODY_JOINTS + j) * 3 + d] = pa + t * (pb - pa);
      }
    });
  }
  return out;
}

// ---------------------------------------------------------------- clips

const J_ = (n: BodyJoint) => BODY_25.indexOf(n);
const PELVIS = J_("pelvis");

/** A clip mapped onto BODY_25, before any split or body. */
export interface MocapClip {
  name: string;
  skeleton: SkeletonKind;
  /** frames at MOCAP_FPS */
  frames: number;
  fps: number;
  /** rate of the source file (Hz) */
  sourceFps: number;
  /** source frame used for each frame */
  sourceFrames: Int32Array;
  /** [frames, 25, 3] anchor points, nominal metres (leg scaled to the template's), the clip's own world frame, y up */
  points: Float64Array;
  /** clip units per nominal metre (the clip's leg length / the template's): 17.8 for CMU (its nominal 1/0.45 inch), 103 for Boxing (cm) */
  unitsPerMetre: number;
}

/** Leg length hip -> knee -> ankle of anchor points [.., 25, 3], mean of both sides, frame 0. */
function pointsLegLength(points: ArrayLike<number>): number {
  const dist = (a: BodyJoint, b: BodyJoint) => {
    const [i, j] = [J_(a) * 3, J_(b) * 3];
    return Math.hypot(points[i] - points[j], points[i + 1] - points[j + 1], points[i + 2] - points[j + 2]);
  };
  return (dist("l_hip", "l_knee") + dist("l_knee", "l_ankle") + dist("r_hip", "r_knee") + dist("r_knee", "r_ankle")) / 2;
}

/** Build a clip from BVH text: skip, resample to MOCAP_FPS, FK, map, rescale to nominal metres. */
export function clipFromBvh(text: string, spec: Omit<ClipSpec, "file">): MocapClip {
  const bvh = parseBvh(text);
  const sourceFps = 1 / bvh.frameTime;
  const step = sourceFps / MOCAP_FPS;
  const usable = bvh.frames - spec.skipFrames;
  const n = Math.floor((usable - 1) / step + 1e-6) + 1;
  const sourceFrames = Int32Array.from({ length: n }, (_, k) => spec.skipFrames + Math.min(usable - 1, Math.round(k * step)));
  const points = mapToBody(bvh, bvhPositions(bvh, [...sourceFrames]), spec.skeleton);
  const unitsPerMetre = pointsLegLength(points) / legLength(MEAN_SHAPE);
  for (let i = 0; i < points.length; i++) points[i] /= unitsPerMetre;
  return { name: spec.name, skeleton: spec.skeleton, frames: n, fps: MOCAP_FPS, sourceFps, sourceFrames, points, unitsPerMetre };
}

/** Pure memo of parsed clips, keyed by absolute file path (the files never change at run time). */
const clipCache = new Map<string, MocapClip>();

/** Load one clip from data/mocap (gzip BVH). Memoised: treat the returned clip as read-only. */
export function loadClip(spec: ClipSpec, dir: string = paths.mocap): MocapClip {
  const file = join(dir, spec.file);
  let clip = clipCache.get(file);
  if (!clip) {
    const raw = readFileSync(file);
    const text = (spec.file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("latin1");
    clip = clipFromBvh(text, spec);
    clipCache.set(file, clip);
  }
  return clip;
}

// ---------------------------------------------------------------- split

export type MocapSplit = "train" | "test";

export interface SplitOptions {
  /** block length in frames (at MOCAP_FPS) */
  segment: number;
  /** every `every`-th block is test ... */
  every: number;
  /** ... starting with this block (0-based), so test is interleaved through each clip, not only its tail */
  phase: number;
  /** frames dropped from train on each side of a test block, so no near-identical frames straddle the split */
  guard: number;
}

/**
 * Default split: 3 s blocks (90 frames), every 5th block from the 3rd on is test (20% of frames), and
 * 0.5 s (15 frames) on each side of every test block belongs to neither split: at 30 fps half a second
 * is a quarter to half a gait cycle, so the closest train and test poses differ visibly. Train keeps
 * ~73% of the frames, test 20%, guards ~7%.
 */
export const DEFAULT_SPLIT: SplitOptions = { segment: 90, every: 5, phase: 2, guard: 15 };

/** Half-open frame ranges [start, end). */
export interface SplitPlan {
  train: [number, number][];
  test: [number, number][];
}

/** Which frames of a clip are train and which test: contiguous runs, disjoint, guard-separated. */
export function splitSegments(clip: { frames: number }, opts: SplitOptions = DEFAULT_SPLIT): SplitPlan {
  const { segment, every, phase, guard } = opts;
  const test: [number, number][] = [];
  for (let b = phase; b * segment < clip.frames; b += every) test.push([b * segment, Math.min(clip.frames, (b + 1) * segment)]);
  const train: [number, number][] = [];
  let from = 0;
  for (const [s, e] of [...test, [clip.frames + guard, clip.frames + guard] as [number, number]]) {
    const to = Math.min(clip.frames, s - guard);
    if (to > from) train.push([from, to]);
    from = e + guard;
  }
  return { train, test };
}

// ---------------------------------------------------------------- segments and the library

/** A contiguous piece of one clip for one split. */
export interface MotionSegment {
  clip: string;
  split: MocapSplit;
  /** first frame in the clip's MOCAP_FPS timeline */
  start: number;
  frames: number;
  fps: number;
  /**
   * [frames, 25, 3] clip anchor points, nominal metres, y up; turned and moved so that frame 0 faces
   * +Z with the pelvis at x = z = 0. Not yet on any body and not yet on the ground.
   */
  points: Float64Array;
}

/** Heading (radians, about +Y, 0 = facing +Z) of one pose [25, 3] from its hips and shoulders. */
export function facingYaw(pose: ArrayLike<number>, at = 0): number {
  const v = (n: BodyJoint, d: number) => pose[at + J_(n) * 3 + d];
  // left = (l_hip - r_hip) + (l_shoulder - r_shoulder); forward = left x up = (-left_z, 0, left_x)
  const lx = v("l_hip", 0) - v("r_hip", 0) + v("l_shoulder", 0) - v("r_shoulder", 0);
  const lz = v("l_hip", 2) - v("r_hip", 2) + v("l_shoulder", 2) - v("r_shoulder", 2);
  return Math.atan2(-lz, lx);
}

/**
 * Rotate poses [F, 25, 3] by `yaw` radians about the vertical axis through (cx, cz): a body facing +Z
 * ends up facing (sin yaw, 0, cos yaw). Returns a new array.
 */
export function yawPoses(poses: Float64Array, yaw: number, center: readonly [number, number] = [0, 0]): Float64Array {
  const out = new Float64Array(poses.length);
  const c = Math.cos(yaw), s = Math.sin(yaw);
  for (let i = 0; i < poses.length; i += 3) {
    const x = poses[i] - center[0], z = poses[i + 2] - center[1];
    out[i] = center[0] + c * x + s * z;
    out[i + 1] = poses[i + 1];
    out[i + 2] = center[1] - s * x + c * z;
  }
  return out;
}

/** Turn and move poses [F, 25, 3] so frame 0 faces +Z with its pelvis at x = z = 0. */
export function normaliseStart(poses: Float64Array): Float64Array {
  const [x0, z0] = [poses[PELVIS * 3], poses[PELVIS * 3 + 2]];
  const out = yawPoses(poses, -facingYaw(poses), [x0, z0]);
  for (let i = 0; i < out.length; i += 3) {
    out[i] -= x0;
    out[i + 2] -= z0;
  }
  return out;
}

/** The segments of every embedded clip for one split (clips load once; see `loadClip`). */
export function motionLibrary(split: MocapSplit, opts: SplitOptions = DEFAULT_SPLIT, dir: string = paths.mocap): MotionSegment[] {
  const stride = NUM_BODY_JOINTS * 3;
  return MOCAP_CLIPS.flatMap((spec) => {
    const clip = loadClip(spec, dir);
    return splitSegments(clip, opts)[split].map(([s, e]) => ({
      clip: clip.name, split, start: s, frames: e - s, fps: clip.fps,
      points: normaliseStart(clip.points.slice(s * stride, e * stride)),
    }));
  });
}

// ---------------------------------------------------------------- retargeting

/**
 * Rebuild a motion with given bone lengths: each BODY_25 bone keeps the direction of the clip's
 * (anchor point minus its parent's anchor point) and takes length `lengths[j]`; the pelvis follows
 * the clip's pelvis times `rootScale`. Bone lengths are therefore exactly `lengths`, in every frame.
 * A degenerate clip bone (zero length) keeps the previous frame's direction (or +Y).
 * @param points  [F, 25, 3] anchor points (nominal metres)
 * @param lengths [25] bone lengths, metres (root entry unused)
 * @returns       [F, 25, 3] metres, clip frame (no ground placement)
 */
export function retargetPoints(points: Float64Array, lengths: ArrayLike<number>, rootScale: number): Float64Array {
  const S = NUM_BODY_JOINTS * 3;
  const F = points.length / S;
  const out = new Float64Array(points.length);
  const dir = new Float64Array(S).fill(0);
  for (let j = 0; j < NUM_BODY_JOINTS; j++) dir[j * 3 + 1] = 1;
  for (let f = 0; f < F; f++) {
    const o = f * S;
    for (let d = 0; d < 3; d++) out[o + PELVIS * 3 + d] = rootScale * points[o + PELVIS * 3 + d];
    for (let j = 0; j < NUM_BODY_JOINTS; j++) {
      const p = BODY_PARENTS[j];
      if (p < 0) continue;
      const v = [0, 1, 2].map((d) => points[o + j * 3 + d] - points[o + p * 3 + d]);
      const n = Math.hypot(v[0], v[1], v[2]);
      if (n > 1e-9) for (let d = 0; d < 3; d++) dir[j * 3 + d] = v[d] / n;
      for (let d = 0; d < 3; d++) out[o + j * 3 + d] = out[o + p * 3 + d] + lengths[j] * dir[j * 3 + d];
    }
  }
  return out;
}

const FEET: readonly BodyJoint[] = ["l_ankle", "r_ankle", "l_foot", "r_foot"];

export interface GroundOptions {
  /**
   * "flat": one vertical shift for the whole motion, the lowest foot contact over all frames on
   * y = 0. "follow": subtract a slowly varying support height instead, because CMU 01_03 walks up
   * onto a ~0.75 m platform (twice) and 01_03 / 01_01 step over uneven ground: in a flat synthetic
   * world those frames would float. The support height is the lowest foot contact, min-filtered over
   * +-`window` frames and then box-averaged over +-`window`/2, so it never exceeds the contact height
   * (nobody sinks), airborne phases shorter than `window` (jumps) and falls (feet stay down) keep
   * their height, and a platform is left within ~`window` frames while stepping up or down.
   */
  mode: "flat" | "follow";
  /** frames (at MOCAP_FPS); 30 = 1 s, longer than any jump in the clips (~0.5 s) */
  window: number;
}
export const DEFAULT_GROUND: GroundOptions = { mode: "follow", window: 30 };

/**
 * Lowest foot contact of each frame of poses [F, 25, 3]: each ankle / toe-base joint may come as low
 * as its height when standing (restPose(shape)). Returns [F] metres.
 */
export function footContactHeight(poses: Float64Array, shape: BodyShape): Float64Array {
  const rest = restPose(shape);
  const S = NUM_BODY_JOINTS * 3;
  const out = new Float64Array(poses.length / S).fill(Infinity);
  for (let f = 0; f < out.length; f++) {
    for (const n of FEET) out[f] = Math.min(out[f], poses[f * S + J_(n) * 3 + 1] - rest[J_(n) * 3 + 1]);
  }
  return out;
}

/** [F] support height under each frame (see GroundOptions), metres. */
export function supportHeight(contact: Float64Array, opts: GroundOptions = DEFAULT_GROUND): Float64Array {
  const F = contact.length;
  if (opts.mode === "flat") return new Float64Array(F).fill(Math.min(...contact));
  const w = Math.max(0, Math.round(opts.window)), h = Math.round(w / 2);
  const lo = Float64Array.from({ length: F }, (_, f) => {
    let m = Infinity;
    for (let g = Math.max(0, f - w); g <= Math.min(F - 1, f + w); g++) m = Math.min(m, contact[g]);
    return m;
  });
  return Float64Array.from({ length: F }, (_, f) => {
    let sum = 0, n = 0;
    for (let g = Math.max(0, f - h); g <= Math.min(F - 1, f + h); g++, n++) sum += lo[g];
    return sum / n;
  });
}

/** Shift poses [F, 25, 3] vertically frame by frame so their feet meet y = 0 (GroundOptions). */
export function placeOnGround(poses: Float64Array, shape: BodyShape, opts: GroundOptions = DEFAULT_GROUND): Float64Array {
  const S = NUM_BODY_JOINTS * 3;
  const ground = supportHeight(footContactHeight(poses, shape), opts);
  const out = Float64Array.from(poses);
  for (let f = 0; f < ground.length; f++) for (let j = 0; j < NUM_BODY_JOINTS; j++) out[f * S + j * 3 + 1] -= ground[f];
  return out;
}

/** A motion on one body: world poses over time. */
export interface BodyMotion {
  clip: string;
  start: number;
  fps: number;
  frames: number;
  /** [frames, 25, 3] world metres, y up, feet on y = 0, frame 0 facing +Z at x = z = 0 */
  poses: Float64Array;
}

/** Put a segment on a body: its bone lengths, its leg-scaled root trajectory, feet on the ground. */
export function retarget(seg: MotionSegment, shape: BodyShape, ground: GroundOptions = DEFAULT_GROUND): BodyMotion {
  // Re-turned: the body's own hip/shoulder widths give frame 0 a heading a degree or so off the clip's.
  const poses = normaliseStart(retargetPoints(seg.points, boneLengths(shape), legLength(shape) / legLength(MEAN_SHAPE)));
  return { clip: seg.clip, start: seg.start, fps: seg.fps, frames: seg.frames, poses: placeOnGround(poses, shape, ground) };
}

// ---------------------------------------------------------------- augmentation

/**
 * Mirror poses [F, 25, 3] across the body's sagittal plane (the vertical plane through frame 0's
 * pelvis, normal to frame 0's left-right axis; x = 0 for a normalised segment) AND swap left/right
 * labels, so the result is again a valid body facing the same way: out[j] = reflect(in[BODY_FLIP[j]]).
 */
export function mirrorPoses(poses: Float64Array): Float64Array {
  const S = NUM_BODY_JOINTS * 3;
  const yaw = facingYaw(poses);
  const [nx, nz] = [Math.cos(yaw), -Math.sin(yaw)]; // frame 0's left axis, horizontal unit vector
  const [cx, cz] = [poses[PELVIS * 3], poses[PELVIS * 3 + 2]];
  const out = new Float64Array(poses.length);
  for (let o = 0; o < poses.length; o += S) {
    for (let j = 0; j < NUM_BODY_JOINTS; j++) {
      const k = o + BODY_FLIP[j] * 3;
      const dist = (poses[k] - cx) * nx + (poses[k + 2] - cz) * nz;
      out[o + j * 3] = poses[k] - 2 * dist * nx;
      out[o + j * 3 + 1] = poses[k + 1];
      out[o + j * 3 + 2] = poses[k + 2] - 2 * dist * nz;
    }
  }
  return out;
}

export interface PerturbOptions {
  /** SD of the random change of each bone's direction (radians-ish: a tangent offset of the unit vector) */
  sigma: number;
}
/** 0.04 rad moves a 0.4 m bone's end ~1.6 cm; summed down a limb, hands and feet move a few cm. */
export const DEFAULT_PERTURB: PerturbOptions = { sigma: 0.04 };

/**
 * Small seeded pose noise that keeps bone lengths: every bone's unit direction gets a fixed random
 * world-frame offset (the same in all frames, so the motion stays smooth; per-frame noise would be
 * jitter), is
 * re-normalised, and the chain is rebuilt with the original lengths from the original pelvis.
 */
export function perturbPoses(poses: Float64Array, rng: Rng, opts: PerturbOptions = DEFAULT_PERTURB): Float64Array {
  const S = NUM_BODY_JOINTS * 3;
  const lengths = new Float64Array(NUM_BODY_JOINTS);
  for (let j = 0; j < NUM_BODY_JOINTS; j++) {
    const p = BODY_PARENTS[j];
    if (p >= 0) lengths[j] = Math.hypot(poses[j * 3] - poses[p * 3], poses[j * 3 + 1] - poses[p * 3 + 1], poses[j * 3 + 2] - poses[p * 3 + 2]);
  }
  const noise = Float64Array.from({ length: S }, () => rng.normal(0, opts.sigma));
  const out = new Float64Array(poses.length);
  for (let o = 0; o < poses.length; o += S) {
    for (let d = 0; d < 3; d++) out[o + PELVIS * 3 + d] = poses[o + PELVIS * 3 + d];
    for (let j = 0; j < NUM_BODY_JOINTS; j++) {
      const p = BODY_PARENTS[j];
      if (p < 0) continue;
      const v = [0, 1, 2].map((d) => (poses[o + j * 3 + d] - poses[o + p * 3 + d]) / (lengths[j] || 1) + noise[j * 3 + d]);
      const n = Math.hypot(v[0], v[1], v[2]) || 1;
      for (let d = 0; d < 3; d++) out[o + j * 3 + d] = out[o + p * 3 + d] + (lengths[j] * v[d]) / n;
    }
  }
  return out;
}
