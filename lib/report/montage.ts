/**
 * Pictures of the embedded world's samples: one sample as an upscaled panel with its labels drawn on
 * it, and the four-domain montage shown in the README (docs/domains.png).
 */
import type { Config } from "../config";
import { atomicWrite } from "../core/io";
import type { PersonLabel, Sample } from "../data/records";
import { domainDataset, studioDataset } from "../data/datasets";
import { encodePng } from "../world/png";
import { type Canvas, type Colour, drawBox, drawSkeleton, montage, toCanvas8, upscaleCanvas } from "./draw";

/** The labels to draw for a sample: its own, or for an unlabeled (street) sample the kept truth. */
export function drawableLabels(s: Sample): PersonLabel[] {
  return s.people.length ? s.people : (s.truth ?? []);
}

/** A sample's image as a Canvas (no copy): [H, W, 3] floats in [0, 1]. */
export function sampleCanvas(s: Sample): Canvas<Float32Array> {
  return { data: s.image, width: s.width, height: s.height };
}

export interface PanelOptions {
  /** Integer upscale factor (nearest), default 2: 128 px panels become 256 px. */
  scale?: number;
  /** Draw 2D skeletons (default true). */
  skeletons?: boolean;
  /** Draw each person's visible-pixel box in this colour (default: no boxes). */
  boxColour?: Colour;
}

/** One sample as bytes, upscaled, with its 2D labels (left limbs blue, right red, centre yellow). */
export function samplePanel(s: Sample, opts: PanelOptions = {}): Canvas<Uint8Array> {
  const k = opts.scale ?? 2;
  const c = upscaleCanvas(toCanvas8(sampleCanvas(s)), k);
  for (const p of drawableLabels(s)) {
    if (opts.boxColour) drawBox(c, p.box.map((v) => v * k), opts.boxColour);
    if (opts.skeletons ?? true) drawSkeleton(c, p.joints2d, p.visible, { scale: k, thickness: Math.max(1, k - 1) });
  }
  return c;
}

/** The first `n` samples of a dataset (by index) that show at least `minPeople` labelled people. */
function pickIndices(get: (i: number) => Sample, size: number, n: number, minPeople: number): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < size && out.length < n; i++) {
    const s = get(i);
    if (drawableLabels(s).length >= minPeople) out.push(s);
  }
  return out;
}

/** What each domain stands in for (METHOD.md section 1): captions say so, so nobody mistakes it for real data. */
export const STAND_IN: Record<Sample["domain"], string> = {
  pretrain: "CRMH training-mix stand-in",
  lab: "MPI-INF-3DHP stand-in",
  street: "Cityscapes stand-in",
  studio: "CMU Panoptic stand-in",
};

/**
 * The montage of the four domains, one row each: pretrain, lab, street (its hidden truth drawn: the
 * street is unlabeled for training), studio (one frame of `studioSequence`, default 1 = mafia, the
 * most crowded, seen by cameras A and B).
 * A row shows its first sample as rendered and with its 2D skeletons, then `perRow - 1` more samples
 * with skeletons only (three tiles a row keep the PNG just under 500 KB at scale 2, seed 0: noisy
 * street and studio pixels barely compress with the unfiltered PNG encoder). Rows take the first indices with at least one labelled person (street: at least two, to
 * show what multi-person means there). Every tile is captioned. Written atomically as PNG.
 */
export function writeDomainMontage(cfg: Config, seed: number, pngPath: string, opts: { perRow?: number; scale?: number; studioSequence?: number; studioFrame?: number } = {}): { width: number; height: number; bytes: number; rows: string[][] } {
  const n = opts.perRow ?? 2, k = opts.scale ?? 2, seq = opts.studioSequence ?? 1, frame = opts.studioFrame ?? 0;
  const rows: Sample[][] = (["pretrain", "lab", "street"] as const).map((d) => {
    const ds = domainDataset(d, cfg, seed);
    return pickIndices((i) => ds.get(i), ds.size, n, d === "street" ? 2 : 1);
  });
  const studio = studioDataset(cfg, seed);
  // Both cameras of one frame; a wider row adds later frames (index order: sequence, frame, camera).
  rows.push(Array.from({ length: n }, (_, i) => studio.get((seq * studio.frames + Math.min(frame + Math.floor(i / 2), studio.frames - 1)) * 2 + (i % 2))));
  const tiles: Canvas[] = [], labels: string[] = [];
  const ids = rows.map((samples) =>
    samples.map((s, i) => {
      const id = (s.domain === "studio" ? `studio ${s.sequence} f${s.frame} ${s.cameraName?.replace("_", " ")}` : `${s.domain} ${s.index}`).toUpperCase();
      const count = `${drawableLabels(s).length} ${s.domain === "street" ? "people (hidden truth)" : "labelled"}`;
      if (i === 0) {
        tiles.push(samplePanel(s, { scale: k, skeletons: false }));
        labels.push(`${id}\n${STAND_IN[s.domain]}`);
      }
      tiles.push(samplePanel(s, { scale: k }));
      labels.push(`${id}\n${count}`);
      return id;
    }),
  );
  const m = montage(tiles, { cols: n + 1, labels });
  const png = encodePng(m.data, m.width, m.height);
  atomicWrite(pngPath, png);
  return { width: m.width, height: m.height, bytes: png.length, rows: ids };
}

/**
 * Predictions next to the truth, as the report's Fig. 4 does: the sample twice, upscaled, ground-truth
 * skeletons on the left panel and predicted ones (with their boxes) on the right.
 */
export function predictionPanel(s: Sample, pred: readonly PersonLabel[], opts: { scale?: number } = {}): Canvas<Uint8Array> {
  const k = opts.scale ?? 2;
  const gt = samplePanel(s, { scale: k });
  const pr = upscaleCanvas(toCanvas8(sampleCanvas(s)), k);
  for (const p of pred) {
    drawBox(pr, p.box.map((v) => v * k), [255, 255, 255]);
    drawSkeleton(pr, p.joints2d, p.visible, { scale: k, thickness: Math.max(1, k - 1) });
  }
  return montage([gt, pr], { cols: 2, labels: [`ground truth (${drawableLabels(s).length})`, `predicted (${pred.length})`] });
}

/**
 * The report's Fig. 4 for several methods: one row per sample, the ground truth first, then each
 * method's predicted skeletons and boxes on the same image. Returns the PNG bytes' canvas.
 */
export function methodsPanel(rows: readonly { sample: Sample; caption: string; methods: readonly { label: string; people: readonly PersonLabel[] }[] }[], opts: { scale?: number } = {}): Canvas<Uint8Array> {
  const k = opts.scale ?? 2;
  const tiles: Canvas[] = [], labels: string[] = [];
  for (const r of rows) {
    tiles.push(samplePanel(r.sample, { scale: k }));
    labels.push(`${r.caption}: truth (${drawableLabels(r.sample).length})`);
    for (const m of r.methods) {
      const c = upscaleCanvas(toCanvas8(sampleCanvas(r.sample)), k);
      for (const p of m.people) {
        drawBox(c, p.box.map((v) => v * k), [255, 255, 255]);
        drawSkeleton(c, p.joints2d, p.visible, { scale: k, thickness: Math.max(1, k - 1) });
      }
      tiles.push(c);
      labels.push(`${m.label} (${m.people.length})`);
    }
  }
  const cols = 1 + (rows[0]?.methods.length ?? 0);
  return montage(tiles, { cols, labels });
}
