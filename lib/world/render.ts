/**
 * Renders people as solid primitives into an RGB image, fast enough for a dataset generator (~0.3 ms
 * per 128x128 image with four people on one core; see bench/render.ts).
 *
 * Each body is a union of round cones ("capsules" with a radius per end) on the BODY_25 skeleton: a
 * few for the torso, one per limb segment, one for the head. A capsule is rasterised in screen space:
 * every pixel in its projected bounding box is tested against the projected 2D capsule (segment between
 * the projected end points, radius r f / z interpolated along it). Inside, the surface is the sphere
 * bulge over the axis: depth = z_axis - r sqrt(1 - (d / r_px)^2), normal from the same geometry (exact
 * for spheres seen head-on, a close approximation for foreshortened limbs at these image sizes).
 * Shading is Lambert with an ambient term. Edges are anti-aliased by coverage: the signed distance to
 * the silhouette over one pixel, blended over what is already there. Capsules from all people are drawn
 * far to near, so blending sees the right colour behind an edge, and a z-buffer resolves the rest.
 *
 * Image layout everywhere: Float32Array HWC, RGB in [0, 1], length width * height * 3; the size is the
 * camera's `width` x `height`. Pixel (i, j) has its centre at (i + 0.5, j + 0.5) (see ./camera).
 */
import { BODY_25, BodyJoint, NUM_BODY_JOINTS } from "../body/joints";
import { Camera, Vec3, project, worldToCamera } from "./camera";

export type RGB = [number, number, number];

/** Colours in [0, 1], the same space as the image. */
export interface Appearance {
  skin: RGB;
  /** shirt: torso and upper arms (and forearms with `longSleeves`) */
  top: RGB;
  /** trousers: pelvis and legs */
  bottom: RGB;
  /** the top and back of the head; bald when absent */
  hair?: RGB;
  /** default dark grey */
  shoes?: RGB;
  longSleeves?: boolean;
}

/** One person to draw. */
export interface BodyToRender {
  /** [25, 3] world metres, BODY_25 order */
  joints: Float64Array;
  /** multiplies every limb and torso radius (~0.8 slim to ~1.3 heavy); the head scales by a third of it */
  girth: number;
  appearance: Appearance;
}

export interface Lighting {
  /** world direction towards the light (need not be unit) */
  direction: Vec3;
  /** brightness of a surface facing away from the light, as a fraction of its albedo */
  ambient: number;
  /** added brightness of a surface facing the light */
  intensity: number;
  /** darkening at the centre of the blob shadow under each person, [0, 1]; 0 = none */
  shadow?: number;
}

export const DEFAULT_LIGHTING: Lighting = { direction: [0.3, 1, 0.6], ambient: 0.45, intensity: 0.65, shadow: 0.35 };

/** What the renderer reports per person (index order of the input). */
export interface PersonRender {
  /** [25, 3] camera metres */
  jointsCam: Float64Array;
  /** [25, 2] pixels: the exact projection of `jointsCam` (also for joints outside the image) */
  joints2d: Float64Array;
  /** [25] 1 iff the joint is in front of the camera, projects inside the image and no OTHER person's surface
   * is nearer than the joint's own body surface (joint depth minus the body radius there). Self-occlusion is
   * ignored on purpose: a hand behind one's own back is still labelled, as in the mocap-based datasets. */
  visible: Uint8Array;
  /** [x0, y0, x1, y1] pixels: the amodal box (whole body, hidden parts included) = bounding box of the projected
   * capsules, clipped to the image; null when nothing of the body falls inside the image */
  box: [number, number, number, number] | null;
  /** [x0, y0, x1, y1] pixels: bounding box of the pixels where this person is the front-most surface (edges
   * with coverage >= 1/2); null when none */
  visibleBox: [number, number, number, number] | null;
  /** number of pixels where this person is the front-most surface (coverage >= 1/2) */
  visiblePixels: number;
}

export interface RenderResult {
  /** [H, W, 3] the rendered image */
  image: Float32Array;
  people: PersonRender[];
  /** [H, W] camera z (metres) of the front-most body surface, +Infinity where none; a view of the scratch buffer */
  depth: Float32Array;
  /** [H, W] index of the front-most person, -1 where none; a view of the scratch buffer */
  owner: Int16Array;
}

/** Reusable per-size scratch (z-buffers and capsule lists), so a generator allocates nothing per image. */
export interface RenderBuffers {
  width: number;
  height: number;
  depth: Float32Array;
  /** nearest depth among people other than `owner`: answers "is person p hidden by someone else here?" */
  depthOther: Float32Array;
  owner: Int16Array;
  caps: Float64Array;
  order: Int32Array;
}

export function createRenderBuffers(width: number, height: number): RenderBuffers {
  const n = width * height;
  return { width, height, depth: new Float32Array(n), depthOther: new Float32Array(n), owner: new Int16Array(n), caps: new Float64Array(0), order: new Int32Array(0) };
}

type Part = "top" | "bottom" | "skin" | "forearm" | "shoes" | "head";
/** A capsule on the line through joints `from` -> `to`, between fractions s0 and s1 of it; radii in metres. */
interface BoneSpec { from: BodyJoint; to: BodyJoint; s0: number; s1: number; ra: number; rb: number; part: Part }

// Radii of an average adult (torso ~0.23 m deep, thigh ~0.17 m across, upper arm ~0.1 m). The flanks
// widen the torso to shoulder width; the hip capsule is the trousers' seat. Hand and foot capsules
// extend past the SMPL hand (mid-palm) and foot (ball) joints to the finger and toe tips; the head
// capsule spans ~0.27 m from chin to crown for a 0.2 m head -> head_top bone.
const SIDE_BONES: BoneSpec[] = [
  { from: "l_hip", to: "l_shoulder", s0: 0.3, s1: 0.95, ra: 0.075, rb: 0.065, part: "top" },
  { from: "neck", to: "l_shoulder", s0: 0, s1: 1, ra: 0.06, rb: 0.06, part: "top" },
  { from: "l_shoulder", to: "l_elbow", s0: 0, s1: 1, ra: 0.055, rb: 0.045, part: "top" },
  { from: "l_elbow", to: "l_wrist", s0: 0, s1: 1, ra: 0.043, rb: 0.032, part: "forearm" },
  { from: "l_wrist", to: "l_hand", s0: 0, s1: 1.45, ra: 0.03, rb: 0.028, part: "skin" },
  { from: "l_hip", to: "l_knee", s0: 0, s1: 1, ra: 0.085, rb: 0.058, part: "bottom" },
  { from: "l_knee", to: "l_ankle", s0: 0, s1: 1, ra: 0.055, rb: 0.04, part: "bottom" },
  { from: "l_ankle", to: "l_foot", s0: 0, s1: 1.35, ra: 0.042, rb: 0.035, part: "shoes" },
];
const mirror = (n: BodyJoint): BodyJoint => (n.startsWith("l_") ? (("r_" + n.slice(2)) as BodyJoint) : n);
const BONES: BoneSpec[] = [
  { from: "l_hip", to: "r_hip", s0: -0.1, s1: 1.1, ra: 0.1, rb: 0.1, part: "bottom" },
  { from: "pelvis", to: "spine1", s0: 0, s1: 1, ra: 0.11, rb: 0.11, part: "bottom" },
  { from: "spine1", to: "spine3", s0: 0, s1: 1, ra: 0.115, rb: 0.115, part: "top" },
  { from: "spine3", to: "neck", s0: 0, s1: 0.8, ra: 0.105, rb: 0.08, part: "top" },
  { from: "neck", to: "head", s0: -0.1, s1: 0.8, ra: 0.05, rb: 0.05, part: "skin" },
  { from: "head", to: "head_top", s0: 0.2, s1: 0.55, ra: 0.09, rb: 0.09, part: "head" },
  ...SIDE_BONES,
  ...SIDE_BONES.map((b) => ({ ...b, from: mirror(b.from), to: mirror(b.to) })),
];
const jIdx = (n: BodyJoint): number => BODY_25.indexOf(n);
const BONE_FROM = Int32Array.from(BONES, (b) => jIdx(b.from));
const BONE_TO = Int32Array.from(BONES, (b) => jIdx(b.to));
/** Body radius at each joint (metres, girth 1): the largest capsule end radius there. */
const JOINT_RADIUS = new Float64Array(NUM_BODY_JOINTS);
BONES.forEach((b, k) => {
  JOINT_RADIUS[BONE_FROM[k]] = Math.max(JOINT_RADIUS[BONE_FROM[k]], b.ra);
  JOINT_RADIUS[BONE_TO[k]] = Math.max(JOINT_RADIUS[BONE_TO[k]], b.rb);
});
const J_PELVIS = jIdx("pelvis"), J_LHIP = jIdx("l_hip"), J_RHIP = jIdx("r_hip"), J_LANK = jIdx("l_ankle"), J_RANK = jIdx("r_ankle");
const DEFAULT_SHOES: RGB = [0.12, 0.12, 0.13];
/** Capsule record layout in `RenderBuffers.caps` (float64 each). */
const C_A = 0, C_B = 3, C_RA = 6, C_RB = 7, C_PERSON = 8, C_HEAD = 9, C_COL = 10, C_HAIR = 13, C_AXIS = 16, C_FACING = 19, C_KEY = 22, STRIDE = 23;
/** Near plane (metres): capsule parts closer than this are clipped away. */
const Z_NEAR = 0.05;

/** Shades one capsule's pixels into the image and z-buffers. Hot loop: scalars and typed arrays only. */
function drawCapsule(caps: Float64Array, o: number, cam: Camera, lx: number, ly: number, lz: number, ambient: number, intensity: number, img: Float32Array, buf: RenderBuffers): void {
  const W = cam.width, H = cam.height, fx = cam.fx, fy = cam.fy, f = 0.5 * (fx + fy);
  let ax = caps[o + C_A], ay = caps[o + C_A + 1], az = caps[o + C_A + 2], ra = caps[o + C_RA];
  let bx = caps[o + C_B], by = caps[o + C_B + 1], bz = caps[o + C_B + 2], rb = caps[o + C_RB];
  if (az < Z_NEAR && bz < Z_NEAR) return;
  if (az < Z_NEAR || bz < Z_NEAR) {
    // Clip the axis at the near plane, keeping the radius linear along it.
    const s = (Z_NEAR - az) / (bz - az);
    const cx = ax + s * (bx - ax), cy = ay + s * (by - ay), cr = ra + s * (rb - ra);
    if (az < Z_NEAR) { ax = cx; ay = cy; az = Z_NEAR; ra = cr; } else { bx = cx; by = cy; bz = Z_NEAR; rb = cr; }
  }
  const ua = (fx * ax) / az + cam.cx, va = (fy * ay) / az + cam.cy, ub = (fx * bx) / bz + cam.cx, vb = (fy * by) / bz + cam.cy;
  const rpa = (ra * f) / az, rpb = (rb * f) / bz;
  const x0 = Math.max(0, Math.floor(Math.min(ua - rpa, ub - rpb) - 1)), x1 = Math.min(W - 1, Math.ceil(Math.max(ua + rpa, ub + rpb) + 1));
  const y0 = Math.max(0, Math.floor(Math.min(va - rpa, vb - rpb) - 1)), y1 = Math.min(H - 1, Math.ceil(Math.max(va + rpa, vb + rpb) + 1));
  if (x0 > x1 || y0 > y1) return;
  const ex = ub - ua, ey = vb - va, l2 = ex * ex + ey * ey, invL2 = l2 > 1e-12 ? 1 / l2 : 0;
  const iza = 1 / az, dIz = 1 / bz - iza, dRp = rpb - rpa, dR = rb - ra;
  const person = caps[o + C_PERSON], isHead = caps[o + C_HEAD] !== 0;
  const cr = caps[o + C_COL], cg = caps[o + C_COL + 1], cb = caps[o + C_COL + 2];
  const hr = caps[o + C_HAIR], hg = caps[o + C_HAIR + 1], hb = caps[o + C_HAIR + 2];
  const axx = caps[o + C_AXIS], axy = caps[o + C_AXIS + 1], axz = caps[o + C_AXIS + 2];
  const fcx = caps[o + C_FACING], fcy = caps[o + C_FACING + 1], fcz = caps[o + C_FACING + 2];
  const zb = buf.depth, zo = buf.depthOther, own = buf.owner;
  for (let j = y0; j <= y1; j++) {
    const wy = j + 0.5 - va;
    for (let i = x0; i <= x1; i++) {
      const wx = i + 0.5 - ua;
      let t = (wx * ex + wy * ey) * invL2;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const dx = wx - t * ex, dy = wy - t * ey, d2 = dx * dx + dy * dy;
      const rp = rpa + t * dRp, lim = rp + 0.5;
      if (d2 >= lim * lim) continue;
      const d = Math.sqrt(d2);
      // Coverage of the pixel by the silhouette, from the signed distance; thin limbs cap at their width.
      let cov = lim - d;
      if (cov > 1) cov = 1;
      if (cov > 2 * rp) cov = 2 * rp;
      let nx: number, ny: number, nz: number;
      if (d < rp) { nx = dx / rp; ny = dy / rp; nz = -Math.sqrt(1 - d2 / (rp * rp)); }
      else { nx = dx / d; ny = dy / d; nz = 0; }
      const depth = 1 / (iza + t * dIz) + (ra + t * dR) * nz; // perspective-correct axis depth minus the bulge
      const idx = j * W + i;
      if (depth >= zb[idx]) {
        if (cov >= 0.5 && own[idx] !== person && depth < zo[idx]) zo[idx] = depth;
        continue;
      }
      let shade = nx * lx + ny * ly + nz * lz;
      shade = ambient + intensity * (shade > 0 ? shade : 0);
      let r = cr, g = cg, b = cb;
      if (isHead && (nx * axx + ny * axy + nz * axz > 0.3 || nx * fcx + ny * fcy + nz * fcz < -0.2)) { r = hr; g = hg; b = hb; }
      const k = idx * 3, keep = 1 - cov;
      cov *= shade;
      img[k] = cov * r + keep * img[k];
      img[k + 1] = cov * g + keep * img[k + 1];
      img[k + 2] = cov * b + keep * img[k + 2];
      if (keep <= 0.5) {
        if (own[idx] !== person) { zo[idx] = zb[idx]; own[idx] = person; }
        zb[idx] = depth;
      }
    }
  }
}

/** Darkens an ellipse on the ground under a person (a cheap contact shadow, fading as the feet leave the ground). */
function drawShadow(joints: Float64Array, cam: Camera, strength: number, img: Float32Array): void {
  let minY = Infinity;
  for (let j = 0; j < NUM_BODY_JOINTS; j++) minY = Math.min(minY, joints[3 * j + 1]);
  const s = strength * Math.max(0, 1 - minY / 0.5);
  if (!(s > 0)) return;
  const gx = (joints[3 * J_PELVIS] + joints[3 * J_LANK] + joints[3 * J_RANK]) / 3, gz = (joints[3 * J_PELVIS + 2] + joints[3 * J_LANK + 2] + joints[3 * J_RANK + 2]) / 3;
  const R = 0.35; // metres, roughly a standing person's footprint plus penumbra
  const pts = worldToCamera(cam, [gx, 0, gz, gx - R, 0, gz, gx + R, 0, gz, gx, 0, gz - R, gx, 0, gz + R]);
  for (let k = 2; k < 15; k += 3) if (pts[k] < Z_NEAR) return;
  const uv = project(cam, pts);
  let u0 = Infinity, u1 = -Infinity, v0 = Infinity, v1 = -Infinity;
  for (let k = 0; k < 10; k += 2) { u0 = Math.min(u0, uv[k]); u1 = Math.max(u1, uv[k]); v0 = Math.min(v0, uv[k + 1]); v1 = Math.max(v1, uv[k + 1]); }
  const cu = (u0 + u1) / 2, cv = (v0 + v1) / 2, iru = 2 / Math.max(u1 - u0, 1e-6), irv = 2 / Math.max(v1 - v0, 1e-6);
  const W = cam.width, H = cam.height;
  for (let j = Math.max(0, Math.floor(v0)); j <= Math.min(H - 1, Math.ceil(v1)); j++) {
    const dv = (j + 0.5 - cv) * irv;
    for (let i = Math.max(0, Math.floor(u0)); i <= Math.min(W - 1, Math.ceil(u1)); i++) {
      const du = (i + 0.5 - cu) * iru, r2 = du * du + dv * dv;
      if (r2 >= 1) continue;
      const m = 1 - s * (1 - r2) * (1 - r2), k = 3 * (j * W + i);
      img[k] *= m; img[k + 1] *= m; img[k + 2] *= m;
    }
  }
}

/**
 * Draws `people` over `background` ([H, W, 3], the camera's size) as seen by `cam`.
 * `opts.out` receives the image (pass `background` itself to draw in place); by default a copy is made.
 * `opts.buffers` (from `createRenderBuffers`) avoids per-call allocation; `depth`/`owner` in the result
 * are views of it, valid until its next use.
 */
export function renderPeople(
  background: Float32Array,
  cam: Camera,
  people: readonly BodyToRender[],
  light: Lighting = DEFAULT_LIGHTING,
  opts: { out?: Float32Array; buffers?: RenderBuffers } = {},
): RenderResult {
  const W = cam.width, H = cam.height, n = W * H;
  if (background.length !== n * 3) throw new Error(`renderPeople: background has ${background.length} values, camera needs ${W}x${H}x3`);
  if (people.length > 32767) throw new Error("renderPeople: too many people");
  const img = opts.out ?? new Float32Array(background.length);
  if (img !== background) img.set(background);
  const buf = opts.buffers ?? createRenderBuffers(W, H);
  if (buf.width !== W || buf.height !== H) throw new Error(`renderPeople: buffers are ${buf.width}x${buf.height}, camera is ${W}x${H}`);
  buf.depth.fill(Infinity);
  buf.depthOther.fill(Infinity);
  buf.owner.fill(-1);
  const nCaps = people.length * BONES.length;
  if (buf.caps.length < nCaps * STRIDE) { buf.caps = new Float64Array(nCaps * STRIDE); buf.order = new Int32Array(nCaps); }
  const caps = buf.caps, order = buf.order, R = cam.R;

  // Light and world up in camera coordinates (directions: rotation only).
  const ld = light.direction, ln = Math.hypot(ld[0], ld[1], ld[2]) || 1;
  const lx = (R[0] * ld[0] + R[1] * ld[1] + R[2] * ld[2]) / ln, ly = (R[3] * ld[0] + R[4] * ld[1] + R[5] * ld[2]) / ln, lz = (R[6] * ld[0] + R[7] * ld[1] + R[8] * ld[2]) / ln;

  const out: PersonRender[] = [];
  let c = 0;
  for (let p = 0; p < people.length; p++) {
    const person = people[p], a = person.appearance, J = worldToCamera(cam, person.joints);
    if (person.joints.length !== NUM_BODY_JOINTS * 3) throw new Error(`renderPeople: person ${p} has ${person.joints.length / 3} joints, need ${NUM_BODY_JOINTS}`);
    const g = person.girth, gHead = 1 + (g - 1) / 3;
    if ((light.shadow ?? 0) > 0) drawShadow(person.joints, cam, light.shadow ?? 0, img);
    // Facing direction = (left hip - right hip) x world up, in camera coordinates; tells the back of the head.
    const hx = J[3 * J_LHIP] - J[3 * J_RHIP], hy = J[3 * J_LHIP + 1] - J[3 * J_RHIP + 1], hz = J[3 * J_LHIP + 2] - J[3 * J_RHIP + 2];
    const ux = R[1], uy = R[4], uz = R[7];
    let fx = hy * uz - hz * uy, fy = hz * ux - hx * uz, fz = hx * uy - hy * ux;
    const fn = Math.hypot(fx, fy, fz) || 1;
    fx /= fn; fy /= fn; fz /= fn;
    const shoes = a.shoes ?? DEFAULT_SHOES, hair = a.hair ?? a.skin;
    let bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
    for (let k = 0; k < BONES.length; k++, c++) {
      const spec = BONES[k], o = c * STRIDE, jf = 3 * BONE_FROM[k], jt = 3 * BONE_TO[k];
      for (let e = 0; e < 3; e++) {
        const d = J[jt + e] - J[jf + e];
        caps[o + C_A + e] = J[jf + e] + spec.s0 * d;
        caps[o + C_B + e] = J[jf + e] + spec.s1 * d;
      }
      const head = spec.part === "head", scale = head ? gHead : g;
      caps[o + C_RA] = spec.ra * scale;
      caps[o + C_RB] = spec.rb * scale;
      caps[o + C_PERSON] = p;
      caps[o + C_HEAD] = head ? 1 : 0;
      const col = spec.part === "top" ? a.top : spec.part === "bottom" ? a.bottom : spec.part === "shoes" ? shoes : spec.part === "forearm" && a.longSleeves ? a.top : a.skin;
      caps[o + C_COL] = col[0]; caps[o + C_COL + 1] = col[1]; caps[o + C_COL + 2] = col[2];
      caps[o + C_HAIR] = hair[0]; caps[o + C_HAIR + 1] = hair[1]; caps[o + C_HAIR + 2] = hair[2];
      const axl = Math.hypot(caps[o + C_B] - caps[o + C_A], caps[o + C_B + 1] - caps[o + C_A + 1], caps[o + C_B + 2] - caps[o + C_A + 2]) || 1;
      for (let e = 0; e < 3; e++) caps[o + C_AXIS + e] = (caps[o + C_B + e] - caps[o + C_A + e]) / axl;
      caps[o + C_FACING] = fx; caps[o + C_FACING + 1] = fy; caps[o + C_FACING + 2] = fz;
      caps[o + C_KEY] = 0.5 * (caps[o + C_A + 2] + caps[o + C_B + 2]);
      // Amodal box: the projected capsule lies inside the bounding box of its two end discs.
      const az = caps[o + C_A + 2], bz = caps[o + C_B + 2];
      if (az > Z_NEAR && bz > Z_NEAR) {
        const f = 0.5 * (cam.fx + cam.fy);
        const ua = (cam.fx * caps[o + C_A]) / az + cam.cx, va = (cam.fy * caps[o + C_A + 1]) / az + cam.cy, rpa = (caps[o + C_RA] * f) / az;
        const ub = (cam.fx * caps[o + C_B]) / bz + cam.cx, vb = (cam.fy * caps[o + C_B + 1]) / bz + cam.cy, rpb = (caps[o + C_RB] * f) / bz;
        bx0 = Math.min(bx0, ua - rpa, ub - rpb); bx1 = Math.max(bx1, ua + rpa, ub + rpb);
        by0 = Math.min(by0, va - rpa, vb - rpb); by1 = Math.max(by1, va + rpa, vb + rpb);
      }
    }
    const cx0 = Math.max(0, bx0), cy0 = Math.max(0, by0), cx1 = Math.min(W, bx1), cy1 = Math.min(H, by1);
    out.push({
      jointsCam: J,
      joints2d: project(cam, J),
      visible: new Uint8Array(NUM_BODY_JOINTS),
      box: cx0 < cx1 && cy0 < cy1 ? [cx0, cy0, cx1, cy1] : null,
      visibleBox: null,
      visiblePixels: 0,
    });
  }

  // Far to near (insertion sort: a few hundred keys, usually almost ordered person by person).
  for (let k = 0; k < nCaps; k++) {
    const key = caps[k * STRIDE + C_KEY];
    let m = k - 1;
    while (m >= 0 && caps[order[m] * STRIDE + C_KEY] < key) { order[m + 1] = order[m]; m--; }
    order[m + 1] = k;
  }
  for (let k = 0; k < nCaps; k++) drawCapsule(caps, order[k] * STRIDE, cam, lx, ly, lz, light.ambient, light.intensity, img, buf);

  // Visible pixels and boxes per person, in one pass over the owner buffer.
  const own = buf.owner;
  const vb = new Float64Array(people.length * 4).fill(-1);
  for (let j = 0, idx = 0; j < H; j++) {
    for (let i = 0; i < W; i++, idx++) {
      const p = own[idx];
      if (p < 0) continue;
      const r = out[p], o = 4 * p;
      if (r.visiblePixels++ === 0) { vb[o] = i; vb[o + 1] = j; vb[o + 2] = i; vb[o + 3] = j; }
      else { if (i < vb[o]) vb[o] = i; if (i > vb[o + 2]) vb[o + 2] = i; vb[o + 3] = j; }
    }
  }
  for (let p = 0; p < people.length; p++) {
    const r = out[p], o = 4 * p, g = people[p].girth;
    if (r.visiblePixels > 0) r.visibleBox = [vb[o], vb[o + 1], vb[o + 2] + 1, vb[o + 3] + 1];
    for (let j = 0; j < NUM_BODY_JOINTS; j++) {
      const z = r.jointsCam[3 * j + 2], u = r.joints2d[2 * j], v = r.joints2d[2 * j + 1];
      if (!(z > Z_NEAR && u >= 0 && u < W && v >= 0 && v < H)) continue;
      const idx = Math.floor(v) * W + Math.floor(u);
      const other = own[idx] === p ? buf.depthOther[idx] : buf.depth[idx];
      r.visible[j] = other < z - JOINT_RADIUS[j] * g ? 0 : 1;
    }
  }
  return { image: img, people: out, depth: buf.depth, owner: buf.owner };
}

/** [H, W, 3] float image in [0, 1] -> bytes (rounded, clamped). */
export function toUint8(img: Float32Array, out = new Uint8ClampedArray(img.length)): Uint8ClampedArray {
  for (let i = 0; i < img.length; i++) out[i] = img[i] * 255;
  return out;
}
