/**
 * The embedded world's datasets. Each is a deterministic function of (config, seed, index): sample i
 * draws everything from `Rng("<domain>/<seed>/<i>")`, so the same seed gives identical pixels and
 * labels on any machine, in any order, with no cache.
 *
 * - pretrain: the large labeled set (CRMH's multi-dataset training analogue), 1-6 people, train motion;
 *   optionally a share `world.crowdShare` (default 0) of crowded scenes of 4-8 people (lib/world/domains.ts).
 * - lab: labeled single-person studio (MPI-INF-3DHP analogue); the 500-image subset is drawn from it.
 * - street: unlabeled multi-person (Cityscapes analogue): `people` is empty, the truth is kept in
 *   `truth` only to measure pseudo-label quality.
 * - studio: the four-sequence test set (CMU Panoptic analogue, SYNTHETIC stand-ins), held-out motion,
 *   two cameras per sequence, temporally coherent frames.
 */
import { Rng } from "../core/rng";
import type { Config } from "../config";
import { sampleShape, girthScale, type BodyShape } from "../body/shape";
import type { Appearance } from "../world/render";
import { createRenderBuffers } from "../world/render";
import { domainSpec, type DomainSpec } from "../world/domains";
import { type Scene, type ScenePerson, footprint, motionPool, placeDiscs, poseFromMotion, renderScene, sampleAppearance, sampleLook, sceneCamera } from "../world/scene";
import { placeOnGround, retarget, type BodyMotion } from "../world/mocap";
import type { Domain, Sample, SampleSource } from "./records";
import { NUM_BODY_JOINTS } from "../body/joints";

const POSE = NUM_BODY_JOINTS * 3; // floats per [25, 3] pose; the pelvis is joint 0

const uni = (rng: Rng, r: [number, number]) => rng.uniform(r[0], r[1]);

/** Checks the world config; errors name the parameter. */
export function validateWorld(cfg: Config): void {
  const w = cfg.world;
  const bad = (key: string, why: string, v: unknown) => {
    throw new Error(`config: world.${key} ${why}, got ${JSON.stringify(v)}`);
  };
  if (!Number.isInteger(w.imageSize) || w.imageSize < 32 || w.imageSize > 1024) bad("imageSize", "must be an integer in [32, 1024]", w.imageSize);
  for (const k of ["pretrainImages", "labImages", "streetImages", "studioFrames"] as const) {
    if (!Number.isInteger(w[k]) || w[k] < 1) bad(k, "must be a positive integer", w[k]);
  }
  if (!(w.domainGap >= 0 && w.domainGap <= 3)) bad("domainGap", "must be in [0, 3]", w.domainGap);
  if (!Number.isInteger(w.maxPeople) || w.maxPeople < 1) bad("maxPeople", "must be a positive integer", w.maxPeople);
  if (!(w.crowdShare >= 0 && w.crowdShare <= 1)) bad("crowdShare", "must be in [0, 1]", w.crowdShare);
  // Street and pretrain people are placed in a disc of radius spread.hi: ~0.45 m per person needs area.
  const street = domainSpec("street", w.domainGap);
  const cap = Math.floor((0.5 * street.spread[1] ** 2) / 0.45 ** 2);
  if (w.maxPeople > cap) bad("maxPeople", `is more people than fit on the street ground (at most ${cap} at domainGap ${w.domainGap})`, w.maxPeople);
}

/** Draw one single-image scene of a domain (not the studio sequences). */
function sampleScene(rng: Rng, own: DomainSpec, imageSize: number, maxPeople: number, crowdShare: number): Scene {
  // Drawn only where the domain has crowds and the share is positive, so every other domain (and
  // crowdShare 0) reads the generator exactly as before.
  const crowd = own.crowd && crowdShare > 0 && rng.next() < crowdShare ? own.crowd : null;
  const spec: DomainSpec = crowd ? { ...own, people: crowd.people, spread: crowd.spread, camera: { ...own.camera, distance: crowd.distance } } : own;
  const lo = spec.people[0], hi = Math.min(spec.people[1], maxPeople);
  const n = rng.int(Math.min(lo, hi), hi);
  const pool = motionPool(spec.motion);
  const spread = uni(rng, spec.spread);
  const centre: [number, number] = [0, 0];
  // Poses first (their footprint sets the spacing), then positions.
  const drafts = Array.from({ length: n }, () => {
    const shape = sampleShape(rng);
    const t = rng.int(0, pool.cum[pool.cum.length - 1] - 1);
    const si = pool.cum.findIndex((c) => c > t);
    const seg = pool.segs[si];
    const frame = t - (si > 0 ? pool.cum[si - 1] : 0);
    const girth = girthScale(shape);
    const pose = poseFromMotion(seg, frame, shape, { x: 0, z: 0, yaw: rng.uniform(-Math.PI, Math.PI), mirror: rng.next() < 0.5, perturb: rng.fork("perturb") });
    return { shape, girth, pose, r: footprint(pose, girth) };
  });
  let spots: [number, number][] | null = null;
  // Widen the group up to 4x; if it still does not fit (several people lying on the floor have
  // footprints of ~1 m), drop the widest person and retry, down to the domain's minimum.
  for (let grow = 1; !spots; grow *= 1.25) {
    if (grow > 4) {
      if (drafts.length <= lo) throw new Error(`world: could not place ${drafts.length} people in the ${spec.name} domain without overlap (lower world.maxPeople)`);
      drafts.splice(drafts.reduce((w, d, i) => (d.r > drafts[w].r ? i : w), 0), 1);
      grow = 1;
    }
    spots = placeDiscs(rng, drafts.map((d) => d.r), spread * grow + (drafts.length > 1 ? 0.4 : 0), centre);
  }
  const people: ScenePerson[] = drafts.map((d, i) => ({
    shape: d.shape,
    girth: d.girth,
    joints: d.pose.map((v, k) => (k % 3 === 0 ? v + spots![i][0] : k % 3 === 2 ? v + spots![i][1] : v)),
    appearance: sampleAppearance(rng, spec.colour.saturation),
  }));
  const camera = sceneCamera(imageSize, {
    height: uni(rng, spec.camera.height),
    distance: uni(rng, spec.camera.distance),
    aimHeight: uni(rng, spec.camera.aimHeight),
    fovDeg: uni(rng, spec.camera.fovDeg),
    yawDeg: rng.uniform(-180, 180),
    centre,
  });
  return { camera, people, ...sampleLook(rng, spec) };
}

/** A single-image domain as a SampleSource (pretrain, lab or street). */
export function domainDataset(domain: Exclude<Domain, "studio">, cfg: Config, seed: number): SampleSource {
  validateWorld(cfg);
  const spec = domainSpec(domain, cfg.world.domainGap);
  const size = { pretrain: cfg.world.pretrainImages, lab: cfg.world.labImages, street: cfg.world.streetImages }[domain];
  const buffers = createRenderBuffers(cfg.world.imageSize, cfg.world.imageSize);
  return {
    name: `${domain}:seed${seed}`,
    size,
    get(index: number): Sample {
      if (!Number.isInteger(index) || index < 0 || index >= size) throw new Error(`${domain} dataset: index ${index} out of range [0, ${size})`);
      const rng = new Rng(`${domain}/${seed}/${index}`);
      const scene = sampleScene(rng, spec, cfg.world.imageSize, cfg.world.maxPeople, cfg.world.crowdShare);
      const { image, labels } = renderScene(scene, rng.fork("render"), `world:${domain}`, buffers);
      const base = { domain, index, image, width: cfg.world.imageSize, height: cfg.world.imageSize, camera: scene.camera };
      return spec.labeled ? { ...base, people: labels } : { ...base, people: [], truth: labels };
    },
  };
}

// ---------------------------------------------------------------- studio (CMU Panoptic stand-ins)

/** The four studio sequences: the social set-ups of the Panoptic ones they stand in for. */
export const STUDIO_SEQUENCES = [
  { name: "haggling", people: [3, 3], layout: "triangle", radius: 0.9, panoptic: "160422_haggling1" },
  { name: "mafia", people: [6, 8], layout: "circle", radius: 1.7, panoptic: "160422_mafia2" },
  { name: "ultimatum", people: [2, 4], layout: "circle", radius: 1.0, panoptic: "160422_ultimatum1" },
  { name: "pizza", people: [3, 5], layout: "table", radius: 1.1, panoptic: "160906_pizza1" },
] as const;
export type StudioSequence = (typeof STUDIO_SEQUENCES)[number]["name"];
/** Two views per sequence, like Panoptic's HD cameras 00_16 and 00_30 (azimuth, height in m). */
export const STUDIO_CAMERAS = [
  { name: "cam_a", yawDeg: 20, height: 1.9 },
  { name: "cam_b", yawDeg: 130, height: 1.5 },
] as const;
/** Studio frames advance this many mocap frames (30 fps) each: 10 fps, like a subsampled Panoptic eval. */
const STUDIO_STEP = 3;

interface StudioActor { shape: BodyShape; girth: number; appearance: Appearance; motion: BodyMotion; offset: number; x: number; z: number; yaw: number }
interface StudioSetup { name: StudioSequence; actors: StudioActor[]; cameras: { name: string; distance: number; aimHeight: number; fovDeg: number; yawDeg: number; height: number }[]; look: Pick<Scene, "background" | "light" | "post"> }

function studioSetup(seqIdx: number, seed: number): StudioSetup {
  const seq = STUDIO_SEQUENCES[seqIdx];
  const rng = new Rng(`studio/${seed}/${seq.name}`);
  const spec = domainSpec("studio", 0);
  const pool = motionPool("test");
  const n = rng.int(seq.people[0], seq.people[1]);
  const phase = rng.uniform(0, 2 * Math.PI);
  const actors = Array.from({ length: n }, (_, i) => {
    const shape = sampleShape(rng);
    const seg = pool.segs[rng.int(0, pool.segs.length - 1)];
    // People act in place at their seat: the clip's horizontal root travel is removed below.
    const motion = retarget(seg, shape);
    const a = phase + (2 * Math.PI * i) / n + rng.uniform(-0.15, 0.15);
    const r = seq.radius * rng.uniform(0.95, 1.1);
    const x = r * Math.cos(a), z = r * Math.sin(a);
    // Face the centre (haggling, mafia, pizza) with a little freedom.
    const yaw = Math.atan2(-x, -z) + rng.uniform(-0.35, 0.35);
    return { shape, girth: girthScale(shape), appearance: sampleAppearance(rng, spec.colour.saturation), motion, offset: rng.int(0, motion.frames - 1), x, z, yaw };
  });
  const cameras = STUDIO_CAMERAS.map((c) => ({ name: c.name, yawDeg: c.yawDeg + rng.uniform(-10, 10), height: c.height, distance: seq.radius + uni(rng, spec.camera.distance), aimHeight: uni(rng, spec.camera.aimHeight), fovDeg: uni(rng, spec.camera.fovDeg) }));
  return { name: seq.name, actors, cameras, look: sampleLook(rng, spec) };
}

/** Mocap frame of an actor at studio frame f: ping-pong through the segment so motion stays continuous. */
function actorFrame(a: StudioActor, f: number): number {
  const period = Math.max(1, 2 * (a.motion.frames - 1));
  const t = (a.offset + f * STUDIO_STEP) % period;
  return t < a.motion.frames ? t : period - t;
}

/**
 * The studio test set: for each sequence, `world.studioFrames` frames seen by both cameras.
 * Index order: sequence-major, then frame, then camera.
 */
export function studioDataset(cfg: Config, seed: number): SampleSource & { frames: number } {
  validateWorld(cfg);
  const F = cfg.world.studioFrames, C = STUDIO_CAMERAS.length;
  const setups = new Map<number, StudioSetup>();
  const buffers = createRenderBuffers(cfg.world.imageSize, cfg.world.imageSize);
  const size = STUDIO_SEQUENCES.length * F * C;
  return {
    name: `studio:seed${seed}`,
    size,
    frames: F,
    get(index: number): Sample {
      if (!Number.isInteger(index) || index < 0 || index >= size) throw new Error(`studio dataset: index ${index} out of range [0, ${size})`);
      const s = Math.floor(index / (F * C)), f = Math.floor((index % (F * C)) / C), c = index % C;
      if (!setups.has(s)) setups.set(s, studioSetup(s, seed));
      const setup = setups.get(s)!;
      const people: ScenePerson[] = setup.actors.map((a) => {
        const t = actorFrame(a, f);
        const pose = a.motion.poses.slice(t * POSE, (t + 1) * POSE);
        // Remove the clip's horizontal travel (keep its height: jumps and falls stay), then seat the actor.
        const px = pose[0], pz = pose[2], cy = Math.cos(a.yaw), sy = Math.sin(a.yaw);
        for (let i = 0; i < pose.length; i += 3) {
          const x = pose[i] - px, z = pose[i + 2] - pz;
          pose[i] = a.x + cy * x + sy * z;
          pose[i + 2] = a.z - sy * x + cy * z;
        }
        // Feet on the floor in every frame: the studio floor is flat, while the clips climb a platform
        // (CMU 01_03) that would leave whole actors hovering 0.2-0.45 m up.
        return { shape: a.shape, girth: a.girth, joints: placeOnGround(pose, a.shape, { mode: "flat", window: 0 }), appearance: a.appearance };
      });
      const cam = setup.cameras[c];
      const camera = sceneCamera(cfg.world.imageSize, { ...cam, centre: [0, 0] });
      const rng = new Rng(`studio/${seed}/${setup.name}/${f}/${cam.name}`);
      const { image, labels } = renderScene({ camera, people, ...setup.look }, rng, `world:studio:${setup.name}`, buffers);
      return { domain: "studio", index, image, width: cfg.world.imageSize, height: cfg.world.imageSize, camera, people: labels, sequence: setup.name, frame: f, cameraName: cam.name };
    },
  };
}
