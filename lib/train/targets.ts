/**
 * Records -> tensors: the training augmentations (the report's horizontal flip with joint swapping and
 * per-channel multiplicative colour noise) and the targets of one batch: a centre heatmap, and per
 * person slot the cell it is read from, its regression targets, masks from its `has*` flags and a
 * weight from its label source. Everything random takes an explicit Rng.
 *
 * Legend: B images, M person slots per image (the most people in any image of the batch, times the
 * regression rows per person), P = B * M,
 * S model input side px, G grid side, J = 17 H36M joints. Image px are the sample's own; the model
 * sees them scaled by S / width.
 */
import * as tf from "@tensorflow/tfjs";
import { H36M_FLIP, NUM_EVAL_JOINTS } from "../body/joints";
import { YAW_BINS, orientationTarget, rayYaw } from "../body/orientation";
import { NUM_BETAS } from "../body/shape";
import type { Rng } from "../core/rng";
import { flipPerson, type PersonLabel, type Sample } from "../data/records";
import { HEAT_SUB, cellBlock, imagesTensor, type ModelGeometry } from "../model/regressor";
import type { LossConfig } from "./losses";

// ---------------------------------------------------------------- augmentation

/** A copy of `sample` mirrored left-right: image, boxes, 2D/3D joints (left/right swapped), camera. */
export function flipSample(sample: Sample): Sample {
  const { width: W, height: H } = sample;
  const img = new Float32Array(sample.image.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (y * W + x) * 3, d = (y * W + (W - 1 - x)) * 3;
      img[d] = sample.image[s];
      img[d + 1] = sample.image[s + 1];
      img[d + 2] = sample.image[s + 2];
    }
  }
  // The mirrored image is what a camera with x negated sees: R' = diag(-1, 1, 1) R, t' likewise
  // (det R' = -1: fine for projecting, it is not a rotation), and the principal point moves to W - cx.
  const c = sample.camera;
  const camera = { ...c, cx: W - c.cx, R: [-c.R[0], -c.R[1], -c.R[2], ...c.R.slice(3)], t: [-c.t[0], c.t[1], c.t[2]] };
  return { ...sample, image: img, camera, people: sample.people.map((p) => flipPerson(p, W)), truth: sample.truth?.map((p) => flipPerson(p, W)) };
}

/** Each channel times its own factor ~ U[lo, hi], clipped to [0, 1] (a new array). */
export function colourNoise(image: Float32Array, rng: Rng, [lo, hi]: readonly [number, number]): Float32Array {
  const g = [rng.uniform(lo, hi), rng.uniform(lo, hi), rng.uniform(lo, hi)];
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = Math.min(1, Math.max(0, image[i] * g[i % 3]));
  return out;
}

/**
 * A zoomed-in copy of `sample`: the window of side W / scale at (x0, y0) px, resampled bilinearly to
 * W x H (CenterNet's random-scale crop, zoom-in side only). It is what a camera with focal s * f and
 * the principal point moved by the crop sees, so the 3D labels stay as they are and every 2D label
 * maps by x' = (x - x0) * s. Joints that leave the window become invisible, boxes are clipped to it,
 * and people left under 2 px high or wide are dropped.
 */
export function zoomSample(sample: Sample, scale: number, x0: number, y0: number): Sample {
  const { width: W, height: H } = sample;
  const img = new Float32Array(sample.image.length), src = sample.image;
  for (let y = 0; y < H; y++) {
    // pixel centres: y' + 0.5 = (y + 0.5 - y0) * s, as tf.image.resizeBilinear with half-pixel centres
    const sy = Math.min(H - 1, Math.max(0, y0 + (y + 0.5) / scale - 0.5));
    const ya = Math.floor(sy), yb = Math.min(H - 1, ya + 1), fy = sy - ya;
    for (let x = 0; x < W; x++) {
      const sx = Math.min(W - 1, Math.max(0, x0 + (x + 0.5) / scale - 0.5));
      const xa = Math.floor(sx), xb = Math.min(W - 1, xa + 1), fx = sx - xa;
      const d = (y * W + x) * 3, a = (ya * W + xa) * 3, b = (ya * W + xb) * 3, c = (yb * W + xa) * 3, e = (yb * W + xb) * 3;
      for (let k = 0; k < 3; k++) {
        img[d + k] = (1 - fy) * ((1 - fx) * src[a + k] + fx * src[b + k]) + fy * ((1 - fx) * src[c + k] + fx * src[e + k]);
      }
    }
  }
  const c = sample.camera;
  const camera = { ...c, fx: c.fx * scale, fy: c.fy * scale, cx: (c.cx - x0) * scale, cy: (c.cy - y0) * scale };
  const map = (p: PersonLabel): PersonLabel | null => {
    const joints2d = p.joints2d.map((q) => [(q[0] - x0) * scale, (q[1] - y0) * scale]);
    const box: [number, number, number, number] = [
      Math.max(0, (p.box[0] - x0) * scale), Math.max(0, (p.box[1] - y0) * scale),
      Math.min(W, (p.box[2] - x0) * scale), Math.min(H, (p.box[3] - y0) * scale),
    ];
    if (box[2] - box[0] < 2 || box[3] - box[1] < 2) return null;
    const visible = p.visible.map((v, j) => (v && joints2d[j][0] >= 0 && joints2d[j][0] < W && joints2d[j][1] >= 0 && joints2d[j][1] < H ? 1 : 0));
    return { ...p, box, joints2d, visible };
  };
  const keep = (ps: readonly PersonLabel[]) => ps.map(map).filter((p): p is PersonLabel => p !== null);
  return { ...sample, image: img, camera, people: keep(sample.people), truth: sample.truth && keep(sample.truth) };
}

export interface AugmentConfig {
  /** Probability of a horizontal flip (upstream 0.5). */
  flipProb: number;
  /** Range of the per-channel multiplicative colour noise (upstream [0.6, 1.4]); [1, 1] = off. */
  colourNoise: [number, number];
  /**
   * Probability of a random zoom-in crop (`zoomSample`), scale ~ U[1, zoomMax], window placed
   * uniformly. Not in the report (0 by default, so finetuning is upstream's); pretraining may use it
   * to show the detector more people at the test set's 30-50 px (docs/model-notes.md section 15).
   */
  zoomProb?: number;
  zoomMax?: number;
  /**
   * If > 0, zoom only samples whose tallest labelled person's box is under this many px (sample px):
   * images of tiny people only, moved up into the test set's sizes, while images that already hold
   * people of those sizes stay at the native scale (docs/model-notes.md section 16). 0 = any sample.
   */
  zoomBelowPx?: number;
}

/**
 * The report's training augmentation of one sample (and the optional zoom); draws a fixed number of
 * numbers from `rng` for a given config, so that the data of step t does not depend on earlier draws' outcomes.
 */
export function augmentSample(sample: Sample, rng: Rng, cfg: AugmentConfig): Sample {
  let s = sample;
  if ((cfg.zoomProb ?? 0) > 0) {
    const [u, k, a, b] = [rng.next(), rng.next(), rng.next(), rng.next()];
    const scale = 1 + k * ((cfg.zoomMax ?? 1.5) - 1);
    const below = cfg.zoomBelowPx ?? 0;
    const small = () => Math.max(0, ...s.people.map((p) => p.box[3] - p.box[1])) < below;
    if (u < (cfg.zoomProb ?? 0) && scale > 1 && (below <= 0 || small())) s = zoomSample(s, scale, a * s.width * (1 - 1 / scale), b * s.height * (1 - 1 / scale));
  }
  const flip = rng.next() < cfg.flipProb;
  s = flip ? flipSample(s) : s;
  const [lo, hi] = cfg.colourNoise;
  const image = lo === 1 && hi === 1 ? s.image : colourNoise(s.image, rng, cfg.colourNoise);
  return { ...s, image };
}

// ---------------------------------------------------------------- targets

/** Depth code of a pelvis at depth z (m) seen by a camera with focal fx px on an image W px wide. */
export function depthCode(z: number, fx: number, width: number): number {
  return Math.log(z / (fx / width));
}

/** Everything one training step needs; `disposeBatch` frees it. */
export interface Batch {
  /** [B, S, S, 3] in [0, 1] */
  images: tf.Tensor4D;
  /** [B, G, G, 4] centre heatmap at stride 4, packed (regressor.ts HEAT_SUB): a gaussian per person, exactly 1 at its stride-4 centre cell */
  heat: tf.Tensor4D;
  /** [B] detection-loss weight of each image (the source weight of its people) */
  imageWeight: tf.Tensor1D;
  /**
   * [P] int32: each slot's regression cell as a row of the maps flattened to [B * G * G, C], i.e.
   * b * G * G + y * G + x (-1 for an empty slot). Slot k = b * M + m * R + r: person m's R rows, its
   * centre cell first.
   */
  cell: tf.Tensor1D;
  /** [P] 1 for a slot holding a person */
  personMask: tf.Tensor1D;
  /** [P] loss weight of the person's label source (cfg.sourceWeight) */
  weight: tf.Tensor1D;
  /** [P, 4] box centre minus the slot cell's top-left corner (cells), box width and height / S */
  box: tf.Tensor2D;
  /** [P, J, 2] (joint px - slot cell centre px) / S, model px */
  joints2d: tf.Tensor3D;
  /** [P, J] has2d and a finite 2D label */
  mask2d: tf.Tensor2D;
  /** [P, J, 3] metres, pelvis-relative, in the person's torso frame (body/orientation.ts) */
  joints3dCanon: tf.Tensor3D;
  /** [P, J] has3d, a finite 3D label, and a torso frame (hips, pelvis and neck labelled) */
  mask3d: tf.Tensor2D;
  /** [P, 8] one-hot yaw class of the torso relative to the viewing ray */
  yawBin: tf.Tensor2D;
  /** [P] yaw residual within that class (bin widths) */
  yawResidual: tf.Tensor1D;
  /** [P, 6] tilt of the torso frame, 6D */
  tilt6d: tf.Tensor2D;
  /** [P] has3d and a torso frame */
  maskOrient: tf.Tensor1D;
  /** [P] depthCode of the pelvis */
  depth: tf.Tensor1D;
  /** [P] has3d and a positive, finite pelvis depth */
  maskDepth: tf.Tensor1D;
  /** [P, 5] */
  betas: tf.Tensor2D;
  /** [P] hasShape */
  maskShape: tf.Tensor1D;
  /** [P] 1 when the slot's person has a partner (`partnerPairs`): the target of the partner score, read at every person slot */
  partnerPresent: tf.Tensor1D;
  /** [P, 4] the partner's box as `box` (relative to this slot's cell) */
  partnerBox: tf.Tensor2D;
  /** [P, J, 3] metres, the partner's pelvis-relative joints in camera axes */
  partner3d: tf.Tensor3D;
  /** [P, J] a partner with a finite 3D label (has3d) */
  partnerMask3d: tf.Tensor2D;
  /** Plain numbers for logs: people in the batch, and people skipped (empty box). */
  numPeople: number;
  skipped: number;
}

export function disposeBatch(b: Batch): void {
  tf.dispose(Object.values(b).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
}

const finite = (xs: readonly number[] | undefined) => xs !== undefined && xs.every(Number.isFinite);

/**
 * The viewing ray's yaw (body/orientation.ts) for a person: from its 3D pelvis where labelled, else
 * the ray through its 2D pelvis (pseudo labels carry no absolute 3D), else through its box centre.
 */
export function personRay(p: PersonLabel, s: Pick<Sample, "camera">): number {
  const r = p.joints3d[0];
  if (finite(r) && r.length >= 3 && r[2] > 0) return rayYaw(r[0], r[2]);
  const q = finite(p.joints2d[0]) && p.joints2d[0]?.length >= 2 ? p.joints2d[0] : [(p.box[0] + p.box[2]) / 2];
  return rayYaw((q[0] - s.camera.cx) / s.camera.fx, 1);
}

/**
 * Who stands behind whom (regressor.ts `ModelConfig.partner`): pairs of people whose box centres are
 * within `maxPx` (model px, Chebyshev distance) of each other. Of a pair, the one with more visible
 * joints is in front (then the larger box, then the first listed). Nearest pairs first, each person
 * is at most one front person's partner and each front person has at most one.
 * @returns per person, the index of its partner, or -1
 */
export function partnerPairs(people: readonly { box: readonly number[]; visible: readonly number[] }[], centres: readonly { cx: number; cy: number }[], maxPx: number): number[] {
  const out = people.map(() => -1), taken = people.map(() => false);
  const vis = people.map((p) => p.visible.reduce((a, v) => a + v, 0));
  const area = people.map((p) => (p.box[2] - p.box[0]) * (p.box[3] - p.box[1]));
  const pairs: { front: number; back: number; d: number }[] = [];
  for (let i = 0; i < people.length; i++) {
    for (let j = i + 1; j < people.length; j++) {
      const d = Math.max(Math.abs(centres[i].cx - centres[j].cx), Math.abs(centres[i].cy - centres[j].cy));
      if (d >= maxPx) continue;
      const iFront = vis[i] !== vis[j] ? vis[i] > vis[j] : area[i] >= area[j];
      pairs.push(iFront ? { front: i, back: j, d } : { front: j, back: i, d });
    }
  }
  pairs.sort((a, b) => a.d - b.d || a.front - b.front || a.back - b.back);
  for (const { front, back } of pairs) {
    if (out[front] >= 0 || taken[back]) continue;
    out[front] = back;
    taken[back] = true;
  }
  return out;
}

/**
 * The "centre" of a box (model px): its anchor point (`ModelConfig.boxAnchorY` of the height from the
 * top; the middle by default), that point's cell, and the heatmap sigma.
 */
function centreOf(box: readonly number[], sx: number, sy: number, geom: ModelGeometry, cfg: LossConfig) {
  const a = geom.anchorY ?? 0.5;
  // At 0.5 the original expression, so that the default recipe's targets stay bit for bit what they were.
  const cx = ((box[0] + box[2]) / 2) * sx, cy = (a === 0.5 ? (box[1] + box[3]) / 2 : box[1] + a * (box[3] - box[1])) * sy;
  const w = (box[2] - box[0]) * sx, h = (box[3] - box[1]) * sy;
  const clampCell = (v: number) => Math.min(geom.grid - 1, Math.max(0, Math.floor(v / geom.stride)));
  const ix = clampCell(cx), iy = clampCell(cy);
  // The heatmap is at stride / HEAT_SUB (regressor.ts): its own centre cell and sigma, in its cells.
  const hs = geom.stride / HEAT_SUB, clampHeat = (v: number) => Math.min(geom.grid * HEAT_SUB - 1, Math.max(0, Math.floor(v / hs)));
  const sigma = Math.max(cfg.centreSigmaMin, (cfg.centreSigmaScale * Math.sqrt(w * h)) / hs);
  return { cx, cy, w, h, ix, iy, hx: clampHeat(cx), hy: clampHeat(cy), sigma };
}
type Centre = ReturnType<typeof centreOf>;

/** Regression rows per person for `LossConfig.regressAt`. */
export function rowsPerPerson(cfg: Pick<LossConfig, "regressAt">): number {
  return { centre: 1, nearest4: 4, nearest9: 9 }[cfg.regressAt];
}

/**
 * The cells a person's regression targets are written at (`LossConfig.regressAt`), its centre cell
 * first. "nearest4": the 2x2 block of cells whose centres surround the box centre, i.e. the centre
 * cell and its neighbours towards the centre's nearer cell edges: the cells the heatmap peak lands on
 * when the net cannot tell which side of a cell edge the centre is (docs/model-notes.md section 10).
 * "nearest9": the 3x3 cells around the centre cell, centre first.
 * A non-centre cell is dropped (null) when it is off the grid, is another person's centre cell, or
 * lies nearer another person's centre: every cell then belongs to one person.
 */
function regressionCells(c: Centre, all: readonly Centre[], geom: ModelGeometry, cfg: LossConfig): ([number, number] | null)[] {
  if (rowsPerPerson(cfg) === 1) return [[c.ix, c.iy]];
  const st = geom.stride;
  const d2 = (o: Centre, x: number, y: number) => (o.cx - (x + 0.5) * st) ** 2 + (o.cy - (y + 0.5) * st) ** 2;
  const G = geom.grid;
  const cells = cfg.regressAt === "nearest4" ? cellBlock(c.cx / st, c.cy / st, G)
    : [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1], [-1, -1], [1, -1], [-1, 1], [1, 1]].map(([dx, dy]): [number, number] | null => {
      const x = c.ix + dx, y = c.iy + dy;
      return x >= 0 && y >= 0 && x < G && y < G ? [x, y] : null;
    });
  return cells.map((cell, r) => {
    if (!cell || r === 0) return cell;
    const [x, y] = cell, mine = d2(c, x, y);
    return all.some((o) => o !== c && ((o.ix === x && o.iy === y) || d2(o, x, y) < mine)) ? null : cell;
  });
}

/**
 * Targets of a batch of (already augmented) samples for a model of geometry `geom`. The heatmap (at
 * stride / HEAT_SUB = 4, packed into the stride-8 grid) puts a gaussian (sigma = max(centreSigmaMin,
 * centreSigmaScale * sqrt(box area) / 4) heat cells) around each box centre (`centreGaussian`: at the
 * centre heat cell's centre as CenterNet does, or at the exact position) and exactly 1 at the heat
 * cell holding it; two people whose centres share a cell both
 * keep their slots (rare, and the loss then averages their targets). Each person fills
 * `rowsPerPerson(cfg)` slots, one per regression cell, with that cell's box offset and 2D offsets.
 */
export function buildBatch(samples: readonly Sample[], geom: ModelGeometry, cfg: LossConfig): Batch {
  const B = samples.length, G = geom.grid, S = geom.inputSize, J = NUM_EVAL_JOINTS, R = rowsPerPerson(cfg);
  const usable = samples.map((s) => s.people.filter((p) => p.box[2] > p.box[0] && p.box[3] > p.box[1]));
  const skipped = samples.reduce((n, s, b) => n + s.people.length - usable[b].length, 0);
  const M = Math.max(1, ...usable.map((u) => u.length)) * R;
  const P = B * M;
  const heat = new Float32Array(B * G * G * HEAT_SUB * HEAT_SUB), imageWeight = new Float32Array(B), cellIndex = new Int32Array(B * M).fill(-1);
  const personMask = new Float32Array(P), weight = new Float32Array(P), box = new Float32Array(P * 4);
  const j2 = new Float32Array(P * J * 2), m2 = new Float32Array(P * J), j3 = new Float32Array(P * J * 3), m3 = new Float32Array(P * J);
  const yawBin = new Float32Array(P * YAW_BINS), yawRes = new Float32Array(P), tilt = new Float32Array(P * 6), maskOrient = new Float32Array(P);
  const depth = new Float32Array(P), maskDepth = new Float32Array(P), betas = new Float32Array(P * NUM_BETAS), maskShape = new Float32Array(P);
  const pPresent = new Float32Array(P), pBox = new Float32Array(P * 4), pJ3 = new Float32Array(P * J * 3), pM3 = new Float32Array(P * J);
  // A box target as the map's box channels: its centre minus cell (jx, jy)'s top-left corner (cells), its size / S.
  const cellBox = (c: Centre, jx: number, jy: number) => [c.cx / geom.stride - jx, c.cy / geom.stride - jy, c.w / S, c.h / S];
  samples.forEach((s, b) => {
    const sx = S / s.width, sy = S / s.height;
    const ws = usable[b].map((p) => cfg.sourceWeight[p.source]);
    imageWeight[b] = ws.length ? ws.reduce((a, c) => a + c, 0) / ws.length : cfg.sourceWeight.gt;
    const centres = usable[b].map((p) => centreOf(p.box, sx, sy, geom, cfg));
    const partner = partnerPairs(usable[b], centres, cfg.partnerPx);
    usable[b].forEach((p, m) => {
      const c = centres[m];
      // The gaussian on the stride-4 heat grid, packed space-to-depth into the G x G cells (regressor.ts
      // HEAT_SUB). Its centre, in heat cells: the centre cell's middle (CenterNet) or the box centre itself.
      const hs = geom.stride / HEAT_SUB, GH = G * HEAT_SUB;
      const gx = cfg.centreGaussian === "exact" ? c.cx / hs - 0.5 : c.hx, gy = cfg.centreGaussian === "exact" ? c.cy / hs - 0.5 : c.hy;
      for (let y = 0; y < GH; y++) {
        for (let x = 0; x < GH; x++) {
          const v = x === c.hx && y === c.hy ? 1 : Math.exp(-((x - gx) ** 2 + (y - gy) ** 2) / (2 * c.sigma * c.sigma));
          const i = (((b * G + Math.floor(y / HEAT_SUB)) * G + Math.floor(x / HEAT_SUB)) * HEAT_SUB + (y % HEAT_SUB)) * HEAT_SUB + (x % HEAT_SUB);
          heat[i] = Math.max(heat[i], v);
        }
      }
      const orient = p.has3d ? orientationTarget(p.joints3dRel, personRay(p, s)) : null;
      const z = p.joints3d[0]?.[2];
      regressionCells(c, centres, geom, cfg).forEach((cell, r) => {
        if (!cell) return;
        const [jx, jy] = cell, k = b * M + m * R + r;
        cellIndex[k] = (b * G + jy) * G + jx;
        personMask[k] = 1;
        weight[k] = ws[m];
        box.set(cellBox(c, jx, jy), k * 4);
        const ccx = (jx + 0.5) * geom.stride, ccy = (jy + 0.5) * geom.stride;
        if (orient && (r === 0 || cfg.orientAt === "all")) {
          yawBin[k * YAW_BINS + orient.bin] = 1;
          yawRes[k] = orient.residual;
          tilt.set(orient.tilt6d, k * 6);
          maskOrient[k] = 1;
        }
        for (let j = 0; j < J; j++) {
          const q = p.joints2d[j];
          if (p.has2d && finite(q)) {
            j2[(k * J + j) * 2] = (q[0] * sx - ccx) / S;
            j2[(k * J + j) * 2 + 1] = (q[1] * sy - ccy) / S;
            m2[k * J + j] = 1;
          }
          const q3 = orient?.canonical[j];
          if (orient && finite(q3) && finite(p.joints3dRel[j])) {
            j3.set(q3!, (k * J + j) * 3);
            m3[k * J + j] = 1;
          }
        }
        if (p.has3d && Number.isFinite(z) && z > 0) {
          depth[k] = depthCode(z, s.camera.fx, s.width);
          maskDepth[k] = 1;
        }
        if (p.hasShape && p.shape.length === NUM_BETAS && finite(p.shape)) {
          betas.set(p.shape, k * NUM_BETAS);
          maskShape[k] = 1;
        }
        if (partner[m] >= 0) {
          const q = usable[b][partner[m]], cq = centres[partner[m]];
          pPresent[k] = 1;
          pBox.set(cellBox(cq, jx, jy), k * 4);
          for (let j = 0; j < J; j++) {
            if (q.has3d && finite(q.joints3dRel[j])) {
              pJ3.set(q.joints3dRel[j], (k * J + j) * 3);
              pM3[k * J + j] = 1;
            }
          }
        }
      });
    });
  });
  return {
    images: imagesTensor(samples, S),
    heat: tf.tensor4d(heat, [B, G, G, HEAT_SUB * HEAT_SUB]),
    imageWeight: tf.tensor1d(imageWeight),
    cell: tf.tensor1d(cellIndex, "int32"),
    personMask: tf.tensor1d(personMask),
    weight: tf.tensor1d(weight),
    box: tf.tensor2d(box, [P, 4]),
    joints2d: tf.tensor3d(j2, [P, J, 2]),
    mask2d: tf.tensor2d(m2, [P, J]),
    joints3dCanon: tf.tensor3d(j3, [P, J, 3]),
    mask3d: tf.tensor2d(m3, [P, J]),
    yawBin: tf.tensor2d(yawBin, [P, YAW_BINS]),
    yawResidual: tf.tensor1d(yawRes),
    tilt6d: tf.tensor2d(tilt, [P, 6]),
    maskOrient: tf.tensor1d(maskOrient),
    depth: tf.tensor1d(depth),
    maskDepth: tf.tensor1d(maskDepth),
    betas: tf.tensor2d(betas, [P, NUM_BETAS]),
    maskShape: tf.tensor1d(maskShape),
    partnerPresent: tf.tensor1d(pPresent),
    partnerBox: tf.tensor2d(pBox, [P, 4]),
    partner3d: tf.tensor3d(pJ3, [P, J, 3]),
    partnerMask3d: tf.tensor2d(pM3, [P, J]),
    numPeople: usable.reduce((n, u) => n + u.length, 0),
    skipped,
  };
}
