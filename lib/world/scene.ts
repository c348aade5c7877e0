/**
 * Scenes of the embedded world: people from real motion capture, on sampled bodies, placed on the
 * ground without interpenetration, seen by a pinhole camera, rendered, and labelled. Everything is a
 * function of an explicit Rng, so a scene is reproducible from (seed, dataset, index).
 */
import type { Rng } from "../core/rng";
import { BODY_25, BODY_TO_H36M, NUM_BODY_JOINTS } from "../body/joints";
import { type BodyShape, boneLengths, legLength, MEAN_SHAPE } from "../body/shape";
import { type Camera, intrinsicsFromFov, lookAt, project, worldToCamera } from "../world/camera";
import { type BackgroundStyle, type PostParams, defaultBackgroundStyle, postProcess, renderBackground } from "./backgrounds";
import { type Appearance, type Lighting, type RGB, type RenderBuffers, createRenderBuffers, renderPeople } from "./render";
import { type MotionSegment, DEFAULT_PERTURB, mirrorPoses, motionLibrary, perturbPoses, placeOnGround, retargetPoints, yawPoses } from "./mocap";
import type { DomainSpec, Range } from "./domains";
import { type PersonLabel, rootRelative } from "../data/records";

const PELVIS = BODY_25.indexOf("pelvis");
const S = NUM_BODY_JOINTS * 3;

export interface ScenePerson {
  shape: BodyShape;
  /** [25, 3] world metres, BODY_25 order */
  joints: Float64Array;
  girth: number;
  appearance: Appearance;
}

export interface Scene {
  camera: Camera;
  people: ScenePerson[];
  background: BackgroundStyle;
  light: Lighting;
  post: PostParams;
}

const uni = (rng: Rng, r: Range) => rng.uniform(r[0], r[1]);

// Skin tones spanning light to dark (sRGB, [0,1]); clothing is any colour, biased to muted ones.
const SKIN: RGB[] = [[0.96, 0.8, 0.69], [0.89, 0.69, 0.56], [0.78, 0.57, 0.44], [0.63, 0.43, 0.3], [0.45, 0.3, 0.2], [0.3, 0.2, 0.14]];
const HAIR: RGB[] = [[0.08, 0.06, 0.05], [0.25, 0.16, 0.09], [0.5, 0.35, 0.2], [0.75, 0.62, 0.4], [0.6, 0.6, 0.6]];

function clothing(rng: Rng, saturation: number): RGB {
  const grey = rng.uniform(0.1, 0.9);
  const c: RGB = [rng.next(), rng.next(), rng.next()];
  const s = saturation * rng.uniform(0.2, 0.9);
  return c.map((v) => Math.min(1, Math.max(0, grey + s * (v - 0.5)))) as RGB;
}

export function sampleAppearance(rng: Rng, saturation = 1): Appearance {
  const skin = rng.pick(SKIN).map((v) => Math.min(1, v * rng.uniform(0.93, 1.07))) as RGB;
  return {
    skin,
    top: clothing(rng, saturation),
    bottom: clothing(rng, saturation * 0.7),
    hair: rng.next() < 0.9 ? rng.pick(HAIR) : undefined,
    shoes: rng.next() < 0.7 ? [0.12, 0.12, 0.13] : clothing(rng, saturation),
    longSleeves: rng.next() < 0.4,
  };
}

const libraries: Partial<Record<"train" | "test", { segs: MotionSegment[]; cum: number[] }>> = {};
/** The motion segments of a split with cumulative frame counts, for frame-uniform sampling. */
export function motionPool(split: "train" | "test"): { segs: MotionSegment[]; cum: number[] } {
  if (!libraries[split]) {
    const segs = motionLibrary(split);
    let t = 0;
    libraries[split] = { segs, cum: segs.map((s) => (t += s.frames)) };
  }
  return libraries[split]!;
}

/**
 * One body pose [25, 3] in world metres: frame `frame` of `seg` on `shape`, feet on the ground
 * (that frame's lowest foot contact on y = 0), pelvis moved to (x, z), turned to face `yaw` (radians,
 * 0 = +Z), optionally mirrored and perturbed.
 */
export function poseFromMotion(seg: MotionSegment, frame: number, shape: BodyShape, o: { x: number; z: number; yaw: number; mirror: boolean; perturb?: Rng }): Float64Array {
  let p = retargetPoints(seg.points.subarray(frame * S, (frame + 1) * S), boneLengths(shape), legLength(shape) / legLength(MEAN_SHAPE));
  p = placeOnGround(p, shape, { mode: "flat", window: 0 });
  if (o.mirror) p = mirrorPoses(p);
  if (o.perturb) p = perturbPoses(p, o.perturb, DEFAULT_PERTURB);
  p = yawPoses(p, o.yaw, [p[PELVIS * 3], p[PELVIS * 3 + 2]]);
  const dx = o.x - p[PELVIS * 3], dz = o.z - p[PELVIS * 3 + 2];
  for (let i = 0; i < p.length; i += 3) {
    p[i] += dx;
    p[i + 2] += dz;
  }
  return p;
}

/** Radius (m) of the disc on the ground that a pose covers around its pelvis, limbs and girth included. */
export function footprint(pose: Float64Array, girth: number): number {
  let r = 0;
  for (let j = 0; j < NUM_BODY_JOINTS; j++) r = Math.max(r, Math.hypot(pose[j * 3] - pose[PELVIS * 3], pose[j * 3 + 2] - pose[PELVIS * 3 + 2]));
  return r + 0.12 * girth;
}

/**
 * Places discs of the given radii in a disc of radius `spread` around (cx, cz) without overlap
 * (rejection sampling). Returns positions, or null if they do not fit after `tries` per person.
 */
export function placeDiscs(rng: Rng, radii: readonly number[], spread: number, centre: [number, number], tries = 60): [number, number][] | null {
  const out: [number, number][] = [];
  for (let i = 0; i < radii.length; i++) {
    let ok = false;
    for (let t = 0; t < tries && !ok; t++) {
      const a = rng.uniform(0, 2 * Math.PI), d = spread * Math.sqrt(rng.next());
      const p: [number, number] = [centre[0] + d * Math.cos(a), centre[1] + d * Math.sin(a)];
      ok = out.every((q, j) => Math.hypot(p[0] - q[0], p[1] - q[1]) >= radii[i] + radii[j]);
      if (ok) out.push(p);
    }
    if (!ok) return null;
  }
  return out;
}

/** A camera `distance` m (horizontal) from the group centre at azimuth `yawDeg`, aimed at `aimHeight` above it. */
export function sceneCamera(imageSize: number, o: { height: number; distance: number; aimHeight: number; fovDeg: number; yawDeg: number; centre: [number, number] }): Camera {
  const yaw = (o.yawDeg * Math.PI) / 180;
  const eye: [number, number, number] = [o.centre[0] + o.distance * Math.sin(yaw), o.height, o.centre[1] + o.distance * Math.cos(yaw)];
  return lookAt(eye, [o.centre[0], o.aimHeight, o.centre[1]], intrinsicsFromFov(imageSize, imageSize, o.fovDeg));
}

/** Background, lighting and camera post-processing of one image of a domain. */
export function sampleLook(rng: Rng, spec: DomainSpec): Pick<Scene, "background" | "light" | "post"> {
  const kind = spec.backgrounds[rng.weighted(spec.backgrounds.map((b) => b[1]))][0];
  const base = defaultBackgroundStyle(kind);
  const background: BackgroundStyle = {
    ...base,
    clutter: Math.min(1, base.clutter * 0.5 + spec.clutter * rng.uniform(0.5, 1)),
    tint: spec.colour.cast,
    saturation: spec.colour.saturation,
    brightness: rng.uniform(0.85, 1.1),
  };
  const a = rng.uniform(0, 2 * Math.PI);
  const light: Lighting = { direction: [Math.cos(a), rng.uniform(0.6, 1.6), Math.sin(a)], ambient: uni(rng, spec.light.ambient), intensity: uni(rng, spec.light.intensity), shadow: rng.uniform(0.2, 0.45) };
  const g = () => spec.colour.gainStd * rng.normal();
  const post: PostParams = {
    gain: [spec.colour.cast[0] * (1 + g()), spec.colour.cast[1] * (1 + g()), spec.colour.cast[2] * (1 + g())],
    gamma: uni(rng, spec.colour.gamma),
    contrast: rng.uniform(0.9, 1.1),
    noiseStd: uni(rng, spec.noise),
    blur: uni(rng, spec.blur),
  };
  return { background, light, post };
}

/** Labels need at least this many front-most pixels: people hidden more than that are not annotated. */
export const MIN_VISIBLE_PIXELS = 8;

/**
 * Render a scene into an image and per-person labels (H36M_17 order). People with fewer than
 * MIN_VISIBLE_PIXELS visible pixels are drawn but not labelled, as an annotator could not see them.
 */
export function renderScene(scene: Scene, rng: Rng, provenance: string, buffers?: RenderBuffers): { image: Float32Array; labels: PersonLabel[] } {
  const cam = scene.camera;
  const bg = renderBackground(cam, scene.background, rng);
  const res = renderPeople(bg, cam, scene.people.map((p) => ({ joints: p.joints, girth: p.girth, appearance: p.appearance })), scene.light, {
    out: bg,
    buffers: buffers ?? createRenderBuffers(cam.width, cam.height),
  });
  postProcess(res.image, cam.width, cam.height, scene.post, rng);
  const labels: PersonLabel[] = [];
  res.people.forEach((pr, i) => {
    if (pr.visiblePixels < MIN_VISIBLE_PIXELS || !pr.visibleBox) return;
    const j3 = BODY_TO_H36M.map((j) => [pr.jointsCam[j * 3], pr.jointsCam[j * 3 + 1], pr.jointsCam[j * 3 + 2]]);
    labels.push({
      box: [...pr.visibleBox] as [number, number, number, number],
      joints2d: BODY_TO_H36M.map((j) => [pr.joints2d[j * 2], pr.joints2d[j * 2 + 1]]),
      visible: BODY_TO_H36M.map((j) => pr.visible[j]),
      joints3d: j3,
      joints3dRel: rootRelative(j3),
      shape: [...scene.people[i].shape.betas],
      has2d: true,
      has3d: true,
      hasShape: true,
      source: "gt",
      provenance,
      score: 1,
    });
  });
  return { image: res.image, labels };
}

/** Project [25,3] world joints through a camera: handy for checks and figures. */
export function projectWorld(cam: Camera, joints: Float64Array): Float64Array {
  return project(cam, worldToCamera(cam, joints));
}

