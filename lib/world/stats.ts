/**
 * Per-domain statistics of the embedded world as tidy rows (one per labelled person, one per image),
 * so that "how big, how far, how hidden, which way facing" can be compared across domains, and the
 * domain gap read off in numbers rather than from pictures alone.
 *
 * The street domain's people come from its kept `truth` (training never reads it).
 * arquero expressions are strings: arquero parses a function's source text, and the compiled
 * TypeScript renames `op` to `arquero_1.op`, which its parser rejects.
 */
import * as aq from "arquero";
import type { Config } from "../config";
import { H36M_17 } from "../body/joints";
import { cameraToWorld } from "./camera";
import { domainDataset, studioDataset } from "../data/datasets";
import type { Domain, PersonLabel, Sample } from "../data/records";

const PELVIS = H36M_17.indexOf("pelvis"), L_HIP = H36M_17.indexOf("l_hip"), R_HIP = H36M_17.indexOf("r_hip");

/** One labelled person of one image. */
export interface PersonStatRow {
  domain: Domain;
  /** Dataset index of the image. */
  image: number;
  /** Studio: "<sequence>/<camera>"; other domains: "". */
  view: string;
  /** Labelled people in the same image (people hidden below MIN_VISIBLE_PIXELS are not labelled). */
  people: number;
  /** Height of the visible-pixel box, px (image side cfg.world.imageSize). */
  heightPx: number;
  /** Pelvis depth along the optical axis, metres. */
  rootDepth: number;
  /** Share of the 17 joints that are visible (in the image and not hidden by another person). */
  visibleFrac: number;
  /** Body yaw relative to the optical axis, degrees in (-180, 180]: 0 faces the camera, +-180 shows the
   * back, +90 faces the image's right (the camera sees the person's right side). From the hips' axis. */
  yawDeg: number;
  /** Pelvis height above the ground, metres (about 0.95 standing, lower when crouching or sitting). */
  pelvisHeight: number;
}

/** One image. */
export interface ImageStatRow {
  domain: Domain;
  image: number;
  view: string;
  people: number;
}

/** Statistics of one person label, given the camera of its image. */
export function personStats(p: PersonLabel, camera: Sample["camera"]): Pick<PersonStatRow, "heightPx" | "rootDepth" | "visibleFrac" | "yawDeg" | "pelvisHeight"> {
  const w = cameraToWorld(camera, p.joints3d.flat());
  const at = (j: number) => [w[3 * j], w[3 * j + 1], w[3 * j + 2]];
  const l = at(L_HIP), r = at(R_HIP);
  // Forward = left x up in the ground plane (world y up, right-handed: a body facing +Z has its left at
  // +X, as in SMPL), then turned into camera axes: facing the camera is -z there.
  const fx = -(l[2] - r[2]), fz = l[0] - r[0], R = camera.R;
  const cx = R[0] * fx + R[2] * fz, cz = R[6] * fx + R[8] * fz;
  return {
    heightPx: p.box[3] - p.box[1],
    rootDepth: p.joints3d[PELVIS][2],
    visibleFrac: p.visible.reduce((a, v) => a + v, 0) / p.visible.length,
    yawDeg: (Math.atan2(cx, -cz) * 180) / Math.PI,
    pelvisHeight: w[3 * PELVIS + 1],
  };
}

export interface DomainStats {
  /** One row per labelled person (PersonStatRow). */
  people: aq.ColumnTable;
  /** One row per image (ImageStatRow), empty images included. */
  images: aq.ColumnTable;
}

/** `n` indices spread evenly over [0, size): the studio's index order is sequence-major, so this visits all four. */
const spread = (size: number, n: number) => Array.from({ length: Math.min(n, size) }, (_, i) => Math.floor((i * size) / Math.min(n, size)));

/**
 * Statistics of `nPerDomain` images of each domain in `domains` (default all four), seed `seed`.
 * Single-image domains use indices 0..n-1 (each index is an independent draw); the studio takes n
 * indices spread over its sequences, frames and both cameras.
 */
export function domainStats(cfg: Config, seed: number, nPerDomain: number, domains: readonly Domain[] = ["pretrain", "lab", "street", "studio"]): DomainStats {
  const people: PersonStatRow[] = [], images: ImageStatRow[] = [];
  const add = (s: Sample) => {
    const labels = s.people.length ? s.people : (s.truth ?? []);
    const view = s.domain === "studio" ? `${s.sequence}/${s.cameraName}` : "";
    images.push({ domain: s.domain, image: s.index, view, people: labels.length });
    for (const p of labels) people.push({ domain: s.domain, image: s.index, view, people: labels.length, ...personStats(p, s.camera) });
  };
  for (const d of domains) {
    if (d === "studio") {
      const studio = studioDataset(cfg, seed);
      for (const i of spread(studio.size, nPerDomain)) add(studio.get(i));
    } else {
      const ds = domainDataset(d, cfg, seed);
      for (let i = 0; i < Math.min(nPerDomain, ds.size); i++) add(ds.get(i));
    }
  }
  return { people: aq.from(people), images: aq.from(images) };
}

/**
 * One row per domain: images, people per image (mean, share of empty images), person height in px
 * (median, 10th and 90th percentile), root depth (median, m), visible-joint share (mean), share of
 * people seen from behind (|yaw| > 90 deg), pelvis height (median, m).
 */
export function summariseDomainStats(s: DomainStats): aq.ColumnTable {
  const perImage = s.images
    .groupby("domain")
    .rollup({ images: "d => op.count()", people_per_image: "d => op.mean(d.people)", empty_images: "d => op.mean(d.people === 0 ? 1 : 0)" });
  const perPerson = s.people
    .groupby("domain")
    .rollup({
      people: "d => op.count()",
      height_px_p10: "d => op.quantile(d.heightPx, 0.1)",
      height_px_median: "d => op.median(d.heightPx)",
      height_px_p90: "d => op.quantile(d.heightPx, 0.9)",
      root_depth_m: "d => op.median(d.rootDepth)",
      visible_joints: "d => op.mean(d.visibleFrac)",
      from_behind: "d => op.mean(op.abs(d.yawDeg) > 90 ? 1 : 0)",
      pelvis_height_m: "d => op.median(d.pelvisHeight)",
    });
  const order = "d => d.domain === 'pretrain' ? 0 : d.domain === 'lab' ? 1 : d.domain === 'street' ? 2 : 3";
  return perImage.join_left(perPerson, "domain").derive({ _order: order }).orderby("_order").select(aq.not("_order"));
}
