/**
 * The four domains of the embedded world and how they differ, as data. Each domain lists its own
 * appearance and camera parameters; `domainGap` g scales every appearance/camera difference from the
 * test (studio) domain: value(g) = studio + g * (own - studio). Structural facts (people per image,
 * which motion split, labeled or not) do not scale: they are what the study is about.
 *
 * The analogues (METHOD.md section 1): pretrain = CRMH's multi-dataset training mix; lab = MPI-INF-3DHP
 * (one person, green screen or plain studio, big in frame); street = Cityscapes (car-height camera,
 * small people, cluttered, noisy); studio = CMU Panoptic (a dome, 2-8 people, medium size).
 */
import type { Domain } from "../data/records";

export type BackgroundKind = "lab" | "street" | "studio";

/** A closed range [lo, hi] sampled uniformly. */
export type Range = [number, number];

export interface DomainSpec {
  name: Domain;
  /** People per image, inclusive range. */
  people: Range;
  /** Which motion split drives the bodies (studio uses held-out test motion). */
  motion: "train" | "test";
  /** Whether training may read its labels (street is the unlabeled domain). */
  labeled: boolean;
  /** Background generators to draw from, with weights. */
  backgrounds: [BackgroundKind, number][];
  /** Background clutter in [0, 1] (scaled by domainGap around the studio's). */
  clutter: number;
  camera: {
    height: Range; // metres above ground
    /** Height (m) above the group's centre that the optical axis passes through: sets the pitch. */
    aimHeight: Range;
    distance: Range; // metres, horizontal, from the camera to the group's centre
    fovDeg: Range; // horizontal field of view
  };
  /** Radius (m) of the disc on the ground that people are placed in, around the group's centre. */
  spread: Range;
  /**
   * Crowded scenes (pretrain only): a share `world.crowdShare` of the images draws its people count,
   * disc radius and camera distance from these ranges instead, everything else as above.
   */
  crowd?: { people: Range; spread: Range; distance: Range };
  /** Colour statistics: per-channel gain spread, a colour cast [r,g,b] multiplier, gamma range. */
  colour: { gainStd: number; cast: [number, number, number]; gamma: Range; saturation: number };
  /** Lighting: ambient share and key-light intensity. */
  light: { ambient: Range; intensity: Range };
  /** Sensor noise std (in [0,1] intensity units) and blur radius (px). */
  noise: Range;
  blur: Range;
}

const STUDIO: DomainSpec = {
  name: "studio",
  people: [2, 8],
  motion: "test",
  labeled: true,
  backgrounds: [["studio", 1]],
  clutter: 0.35,
  camera: { height: [1.4, 2.4], aimHeight: [0.5, 1.0], distance: [3.0, 4.5], fovDeg: [55, 65] },
  spread: [0.8, 1.8],
  colour: { gainStd: 0.04, cast: [1.0, 0.98, 0.95], gamma: [0.95, 1.05], saturation: 0.9 },
  light: { ambient: [0.45, 0.55], intensity: [0.5, 0.6] },
  noise: [0.01, 0.02],
  blur: [0, 0.5],
};

const LAB: DomainSpec = {
  name: "lab",
  people: [1, 1],
  motion: "train",
  labeled: true,
  backgrounds: [["lab", 1]],
  clutter: 0.0,
  camera: { height: [0.9, 2.6], aimHeight: [0.8, 1.1], distance: [2.4, 3.2], fovDeg: [50, 60] },
  spread: [0, 0.3],
  colour: { gainStd: 0.02, cast: [0.95, 1.05, 0.95], gamma: [0.9, 1.0], saturation: 1.1 },
  light: { ambient: [0.55, 0.65], intensity: [0.45, 0.55] },
  noise: [0.0, 0.01],
  blur: [0, 0.3],
};

const STREET: DomainSpec = {
  name: "street",
  people: [0, 8],
  motion: "train",
  labeled: false,
  backgrounds: [["street", 1]],
  clutter: 1.0,
  camera: { height: [1.1, 1.6], aimHeight: [1.0, 1.6], distance: [6.0, 14.0], fovDeg: [55, 70] },
  spread: [1.5, 4.5],
  colour: { gainStd: 0.08, cast: [1.05, 1.0, 0.9], gamma: [0.85, 1.2], saturation: 0.8 },
  light: { ambient: [0.3, 0.5], intensity: [0.5, 0.8] },
  noise: [0.02, 0.05],
  blur: [0.3, 1.0],
};

/**
 * CRMH's training mix: several indoor and outdoor datasets, so every background kind but the studio's.
 * Its optional crowded share (`world.crowdShare`, default 0) stands for the crowded sets of that mix
 * (COCO, PoseTrack: groups with people hiding each other). Without it, training sees at most 6 people
 * per image and 7.8% of its >= 30 px people are under 80% visible because of others, against the
 * studio's 8-person frames and 13.8%; a 0.4 share brings that to 12.6% and 4.4 people per image, but at
 * full length it found no more hidden people and lost precision (docs/model-notes.md section 18).
 */
const PRETRAIN: DomainSpec = {
  name: "pretrain",
  people: [1, 6],
  motion: "train",
  labeled: true,
  backgrounds: [["lab", 1], ["street", 2]],
  clutter: 0.6,
  camera: { height: [0.9, 2.6], aimHeight: [0.6, 1.4], distance: [3.0, 10.0], fovDeg: [50, 70] },
  spread: [0.5, 3.0],
  crowd: { people: [4, 8], spread: [0.6, 1.6], distance: [3.0, 6.0] },
  colour: { gainStd: 0.06, cast: [1.0, 1.0, 1.0], gamma: [0.85, 1.15], saturation: 1.0 },
  light: { ambient: [0.3, 0.65], intensity: [0.45, 0.8] },
  noise: [0.0, 0.04],
  blur: [0, 0.8],
};

export const DOMAIN_SPECS: Record<Domain, DomainSpec> = { pretrain: PRETRAIN, lab: LAB, street: STREET, studio: STUDIO };

const lerp = (a: number, b: number, g: number) => a + g * (b - a);
const lerpRange = (a: Range, b: Range, g: number): Range => [lerp(a[0], b[0], g), lerp(a[1], b[1], g)];

/** The spec of `domain` with its appearance/camera differences from the studio scaled by `gap`. */
export function domainSpec(domain: Domain, gap: number): DomainSpec {
  if (!(gap >= 0 && Number.isFinite(gap))) throw new Error(`world.domainGap must be a finite number >= 0, got ${gap}`);
  const own = DOMAIN_SPECS[domain], s = STUDIO;
  if (domain === "studio") return own;
  return {
    ...own,
    clutter: Math.min(1, Math.max(0, lerp(s.clutter, own.clutter, gap))),
    crowd: own.crowd && { ...own.crowd, distance: lerpRange(s.camera.distance, own.crowd.distance, gap) },
    camera: {
      height: lerpRange(s.camera.height, own.camera.height, gap),
      aimHeight: lerpRange(s.camera.aimHeight, own.camera.aimHeight, gap),
      distance: lerpRange(s.camera.distance, own.camera.distance, gap),
      fovDeg: lerpRange(s.camera.fovDeg, own.camera.fovDeg, gap),
    },
    colour: {
      gainStd: Math.max(0, lerp(s.colour.gainStd, own.colour.gainStd, gap)),
      cast: [0, 1, 2].map((k) => lerp(s.colour.cast[k], own.colour.cast[k], gap)) as [number, number, number],
      gamma: lerpRange(s.colour.gamma, own.colour.gamma, gap),
      saturation: lerp(s.colour.saturation, own.colour.saturation, gap),
    },
    light: { ambient: lerpRange(s.light.ambient, own.light.ambient, gap), intensity: lerpRange(s.light.intensity, own.light.intensity, gap) },
    noise: lerpRange(s.noise, own.noise, gap).map((v) => Math.max(0, v)) as Range,
    blur: lerpRange(s.blur, own.blur, gap).map((v) => Math.max(0, v)) as Range,
    // Background kind: a share (1 - gap) of images borrow the studio's background, so gap 0 removes the difference.
    backgrounds: gap >= 1 ? own.backgrounds : [...own.backgrounds, ["studio", Math.max(0, 1 - gap) * own.backgrounds.reduce((t, b) => t + b[1], 0) / Math.max(gap, 1e-6)]],
  };
}
