/**
 * Output maps -> people. By default the maps are the mean of two passes, the image's and its mirror
 * image's mapped back (`flipTest`, `unflipMaps`). Peaks of the stride-4 centre heatmap (a 3x3 max-pool NMS, as CenterNet), above a score
 * threshold, at most `maxPeople` per image; each peak's stride-8 cell gives the person's parameters, which the
 * body model turns into joints (regressor.ts). Predictions come back in the record format
 * (`PersonLabel`, source "pseudo") so that they can serve directly as pseudo labels.
 *
 * Per person, in the image's own px and camera (the model may have seen a resized copy):
 * - box: centred midway between the peak row's regressed centre and the heat peak (`boxCentre`), the
 *   regressed size, clipped to the image;
 * - joints3dRel: the body model's 17 joints, pelvis-relative, metres, in the torso frame, turned into
 *   camera axes by the predicted orientation (lib/body/orientation.ts): the most likely yaw class
 *   plus its residual, relative to the ray through the pelvis, and the tilt;
 * - joints3d: joints3dRel + the pelvis at depth z = exp(depthCode) * fx / W on the ray through the
 *   regressed 2D pelvis (joint 0 of the 2D offsets): X = (u - cx) / fx * z, Y = (v - cy) / fy * z;
 * - joints2d: the projection of joints3d (records.ts's definition), or the regressed 2D joints
 *   (`joints2d: "regressed"`); visible = inside the image.
 */
import * as tf from "@tensorflow/tfjs";
import { BODY_FLIP, H36M_FLIP, NUM_EVAL_JOINTS } from "../body/joints";
import { NUM_ROTATIONS } from "../body/kinematics";
import { YAW_BINS, composeFrame, rayYaw, rotateJoints } from "../body/orientation";
import type { PersonLabel } from "../data/records";
import { boxIou } from "../eval/metrics";
import type { Intrinsics } from "../world/camera";
import { HEAT_SUB, MAP, MAP_CHANNELS, PARTNER, PARTNER_CHANNELS, bodyJoints, cellBlock, imagesTensor, modelGeometry, splitParams, type ModelGeometry } from "./regressor";

/**
 * Names what the default decoding does. Cached stages that decode (evaluation, pseudo labels) put it
 * in their config key, so that a change of decoder reruns them instead of serving results of the old
 * one; change it whenever a default below changes what comes out.
 */
export const DECODER_REVISION = "s13: flip test, stride-4 peaks, box centre mean of row and refined heat peak, yaw argmax";

/** How the yaw class becomes a pose (DecodeOptions.yaw). */
export type YawDecode = "argmax" | "expected" | "fit2d" | "flip2d" | "local";

export interface DecodeOptions {
  /** Default: the model config's 0.5. */
  scoreThreshold?: number;
  /** Default 8. */
  maxPeople?: number;
  /** "projected" (default): joints2d = projection of joints3d; "regressed": the 2D head's joints. */
  joints2d?: "projected" | "regressed";
  /** Root-relative 3D joints from the body model ("fk", default) or the direct 3D head ("direct"). */
  pose?: "fk" | "direct";
  /**
   * How the yaw class becomes a pose: "argmax" (default) turns the torso-frame pose by the most likely
   * class; "expected" averages the pose turned by every class, weighted by its probability (lower
   * MPJPE only while the class is near chance, and the average of two turned poses is not a pose:
   * docs/model-notes.md sections 8-9). "flip2d": the most likely class or the one
   * opposite it, whichever turned pose projects nearer the regressed 2D joints. The 2D head tells the
   * person's left from right in the image, and a body turned front-to-back projects with its sides
   * swapped. On the shipped checkpoint it cut the tall people turned front-to-back from 20% to 12%,
   * but made all-people MPJPE and the pseudo-label finetunes of Table I worse: the 2D joints of small
   * people are not good enough (docs/model-notes.md section 12), so it is not the default. "fit2d": the same over all 8 classes (worse: the 2D joints
   * cannot tell neighbouring classes apart). "local": the probability-weighted mean of the yaws
   * (class centre plus its own residual) of the most likely class and its two neighbours, softmax over
   * those three; one turned body, never an average across front and back. On the shipped checkpoint
   * it lowered MPJPE on the studio test set (184.3 to 182.6 mm, tall people, FK) and on held-out
   * pretrain-domain images (210.0 to 207.6 mm, bench/yawheldout.ts); not the default, because the
   * default also drives the pseudo labels and Table I (docs/model-notes.md section 21).
   */
  yaw?: YawDecode;
  /**
   * Which map rows give a person: "peak" (default) the peak cell's row; "block" the heat-weighted mean
   * of the rows at the 2x2 cells around the centre the peak's row regresses (the cells training writes
   * each person's targets at with `loss.regressAt: "nearest4"`, lib/train/targets.ts): cell-relative
   * channels (box offset, 2D joints) are made relative to the peak cell first, everything else is
   * averaged as it is (6D rotations before Gram-Schmidt, yaw logits). "blockPose": the same, but the
   * box from the peak's row alone.
   */
  cells?: "peak" | "block" | "blockPose";
  /**
   * Where a person's box is centred: "regressed" the peak row's box offset; "heat" the heatmap peak
   * itself, refined to a fraction of a heat cell; "mean" (default) the midpoint of the two, whose
   * errors are partly independent (docs/model-notes.md section 12: +0.01 precision and recall on the
   * shipped checkpoint). The size always comes from the row.
   */
  boxCentre?: "regressed" | "heat" | "mean";
  /**
   * Flip testing (default true): run the model on each image and on its mirror image, as CenterNet
   * and ROMP evaluate, map the mirror pass's maps back (`unflipMaps`: cells, left/right joints,
   * rotations and yaw classes mirrored) and decode the mean of the two. Training mirrors images half
   * the time (targets.ts), so both passes are the same model's estimate of one scene, with partly
   * independent errors. Twice the forward cost. Measured in docs/model-notes.md section 13.
   */
  flipTest?: boolean;
  /** Mark the predicted betas as a shape label (default false: upstream pseudo labels carry no shape). */
  hasShape?: boolean;
  /** Written into each label's provenance (default "predict"). */
  provenance?: string;
  /** Images per forward pass (default 32). */
  batchSize?: number;
}

/** The intrinsics decoding needs (a world `Camera` is one). */
export type CameraIntrinsics = Pick<Intrinsics, "width" | "height" | "fx" | "fy" | "cx" | "cy">;

interface Peak {
  image: number;
  cell: number;
  score: number;
  /** heatPeaks: the peak's position on the stride-4 heat grid, in heat-cell indices, sub-cell refined */
  hx?: number;
  hy?: number;
}

/**
 * Heatmap peaks: cells that are the maximum of their 3x3 neighbourhood, score >= threshold, the
 * `maxPeople` best per image, best first.
 * @param heatLogits [B, G, G, 1] (any grid: heatPeaks gives it the stride-4 one)
 */
export function findPeaks(heatLogits: tf.Tensor4D, threshold: number, maxPeople: number): Peak[][] {
  const [B, G] = heatLogits.shape;
  const k = Math.min(maxPeople, G * G);
  // Typed arrays are read outside tidy: tidy walks what it returns element by element.
  const [v, i] = tf.tidy(() => {
    const heat = tf.sigmoid(heatLogits);
    const pooled = tf.maxPool(heat, 3, 1, "same");
    const peaks = heat.mul(heat.equal(pooled).toFloat()).reshape([B, G * G]);
    const { values, indices } = tf.topk(peaks, k);
    return [values, indices];
  });
  const vals = v.dataSync(), idx = i.dataSync();
  tf.dispose([v, i]);
  return Array.from({ length: B }, (_, b) => {
    const out: Peak[] = [];
    for (let i = 0; i < k; i++) if (vals[b * k + i] >= threshold && vals[b * k + i] > 0) out.push({ image: b, cell: idx[b * k + i], score: vals[b * k + i] });
    return out;
  });
}

/**
 * People's cells from the maps: peaks of the stride-4 centre heatmap (unpacked from its HEAT_SUB^2
 * channels per cell, regressor.ts), each named by the stride-8 cell that holds it, whose row gives the
 * person. Any two heat cells of one stride-8 cell are 3x3 neighbours, so NMS leaves one peak per
 * cell except on ties; those merge (cells belong to one person in training, targets.ts).
 */
export function heatPeaks(maps: tf.Tensor4D, threshold: number, maxPeople: number): Peak[][] {
  const [B, G] = maps.shape, s = HEAT_SUB;
  const heat = tf.tidy(() =>
    maps.slice([0, 0, 0, MAP.heat[0]], [B, G, G, MAP.heat[1]]).reshape([B, G, G, s, s]).transpose([0, 1, 3, 2, 4]).reshape([B, G * s, G * s, 1]) as tf.Tensor4D,
  );
  // More candidates than maxPeople, since merging can drop some.
  const fine = findPeaks(heat, threshold, 2 * maxPeople);
  const GH = G * s, logits = heat.dataSync();
  heat.dispose();
  // Sub-cell refinement: the training target is a gaussian, whose log is a parabola; fit one through
  // the log-probabilities of the peak and its two neighbours on each axis (capped at half a cell).
  const logp = (b: number, x: number, y: number) => {
    const l = logits[(b * GH + Math.min(GH - 1, Math.max(0, y))) * GH + Math.min(GH - 1, Math.max(0, x))];
    return l < 0 ? l - Math.log1p(Math.exp(l)) : -Math.log1p(Math.exp(-l)); // log sigmoid, stable both ways
  };
  const refine = (l0: number, lm: number, lp: number) => {
    const den = 2 * l0 - lm - lp, d = (lp - lm) / (2 * den);
    return den > 1e-9 && Number.isFinite(d) ? Math.max(-0.5, Math.min(0.5, d)) : 0;
  };
  return fine.map((ps) => {
    const seen = new Set<number>(), out: Peak[] = [];
    for (const p of ps) {
      const fx = p.cell % GH, fy = Math.floor(p.cell / GH);
      const cell = Math.floor(fy / s) * G + Math.floor(fx / s);
      if (seen.has(cell) || out.length >= maxPeople) continue;
      seen.add(cell);
      const l0 = logp(p.image, fx, fy);
      const hx = fx + (fx > 0 && fx < GH - 1 ? refine(l0, logp(p.image, fx - 1, fy), logp(p.image, fx + 1, fy)) : 0);
      const hy = fy + (fy > 0 && fy < GH - 1 ? refine(l0, logp(p.image, fx, fy - 1), logp(p.image, fx, fy + 1)) : 0);
      out.push({ image: p.image, cell, score: p.score, hx, hy });
    }
    return out;
  });
}

/**
 * `cells: "block"` (DecodeOptions): each peak's row replaced by the heat-weighted mean of the rows at
 * the 2x2 cells around the box centre the peak's row regresses, off-grid cells left out.
 */
function blockRows(peakRows: Float32Array, peaks: readonly Peak[], G: number, C: number, gatherRows: (cells: number[]) => Float32Array, keepBox: boolean): Float32Array {
  const J = NUM_EVAL_JOINTS;
  const blocks = peaks.map((p, n) => {
    const ix = p.cell % G, iy = Math.floor(p.cell / G);
    const cx = ix + peakRows[n * C + MAP.boxOffset[0]], cy = iy + peakRows[n * C + MAP.boxOffset[0] + 1]; // cells
    const cells = cellBlock(cx, cy, G).filter((c): c is [number, number] => c !== null);
    if (!cells.some(([x, y]) => x === ix && y === iy)) cells.push([ix, iy]); // a centre regressed outside its own block keeps the peak's row
    return { ix, iy, cells };
  });
  const flatCells = blocks.flatMap((b, n) => b.cells.map(([x, y]) => peaks[n].image * G * G + y * G + x));
  const got = gatherRows(flatCells);
  const out = new Float32Array(peaks.length * C);
  let at = 0;
  blocks.forEach((b, n) => {
    let wsum = 0;
    for (const [x, y] of b.cells) {
      const row = got.subarray(at * C, (at + 1) * C);
      at++;
      const w = 1 / (1 + Math.exp(-Math.max(...row.subarray(MAP.heat[0], MAP.heat[0] + MAP.heat[1]))));
      wsum += w;
      for (let c = 0; c < C; c++) out[n * C + c] += w * row[c];
      // Cell-relative channels, re-expressed from cell (x, y) to the peak cell (ix, iy): the box offset
      // is in cells, the 2D joints in units of S from the cell centre (one cell = 1 / G).
      out[n * C + MAP.boxOffset[0]] += w * (x - b.ix);
      out[n * C + MAP.boxOffset[0] + 1] += w * (y - b.iy);
      for (let j = 0; j < J; j++) {
        out[n * C + MAP.joints2d[0] + 2 * j] += (w * (x - b.ix)) / G;
        out[n * C + MAP.joints2d[0] + 2 * j + 1] += (w * (y - b.iy)) / G;
      }
    }
    for (let c = 0; c < C; c++) out[n * C + c] /= wsum;
    if (keepBox) for (let c = MAP.boxOffset[0]; c < MAP.boxSize[0] + MAP.boxSize[1]; c++) out[n * C + c] = peakRows[n * C + c];
  });
  return out;
}

/** A batch's output maps, and with flip testing the maps of its mirror images (`forward`). */
export interface ModelMaps {
  /** [B, G, G, 265] */
  maps: tf.Tensor4D;
  /** [B, G, G, 265] the model's maps of the mirrored images, as they come (in mirror-image space) */
  mirrored?: tf.Tensor4D;
}

/** Run the model on a model-sized batch `x` [B, S, S, 3], and on its mirror images when `flipTest`. */
export function forward(model: tf.LayersModel, x: tf.Tensor4D, flipTest: boolean): ModelMaps {
  const maps = model.predict(x) as tf.Tensor4D;
  if (!flipTest) return { maps };
  // Mirroring the resized input equals resizing the mirror image: the resize has half-pixel centres.
  // flipLeftRight, not tf.reverse: on wasm reverse took 51 ms for 32 images, flipLeftRight 4.
  const mirrored = tf.tidy(() => model.predict(tf.image.flipLeftRight(x)) as tf.Tensor4D);
  return { maps, mirrored };
}

export function disposeMaps(m: ModelMaps): void {
  tf.dispose([m.maps, ...(m.mirrored ? [m.mirrored] : [])]);
}

/**
 * Channel map of the mirror pass: the output channel c of `unflipMaps` is sign[c] * mirrored channel
 * from[c] + offset[c], at the mirrored cell. Derivation (M = diag(-1, 1, 1), the mirror in camera x;
 * left and right swap names):
 * - heat: the cell's stride-4 sub-cells swap in x;
 * - box offset x (centre minus the cell's left edge, cells) becomes 1 - x; sizes, depth, betas stay;
 * - 2D joint offsets from the cell centre: x negated, joints swapped (H36M_FLIP);
 * - the torso frame T becomes M T M and its pose M p (swapped): the direct 3D joints get x negated;
 *   each local rotation becomes M R M of its mirror joint's (BODY_FLIP; the template is symmetric),
 *   whose 6D [R00, R01, R10, R11, R20, R21] (kinematics.ts) changes sign at R01, R10 and R20; the
 *   tilt Q likewise;
 * - the yaw relative to the ray becomes its negative: bin b (centre -pi + b * 45 deg) becomes bin
 *   (8 - b) mod 8, with the residual negated;
 * - partner rows (regressor.ts PARTNER): the box offset as the box's, the camera-axes 3D joints x negated and swapped.
 * Laid out for the widest maps (with partner rows); a 265-channel map uses the first 265 entries.
 */
function mirrorChannels(): { from: Int32Array; sign: Float32Array; offset: Float32Array } {
  const C = MAP_CHANNELS + PARTNER_CHANNELS;
  const from = Int32Array.from({ length: C }, (_, c) => c);
  const sign = new Float32Array(C).fill(1), offset = new Float32Array(C);
  const s = HEAT_SUB;
  for (let c = 0; c < s * s; c++) from[MAP.heat[0] + c] = MAP.heat[0] + Math.floor(c / s) * s + (s - 1 - (c % s));
  for (const o of [MAP.boxOffset[0], PARTNER.boxOffset[0]]) {
    sign[o] = -1;
    offset[o] = 1;
  }
  const perJoint = ([c0]: readonly [number, number], perm: readonly number[], width: number, signs: readonly number[]) => {
    perm.forEach((src, j) => {
      for (let d = 0; d < width; d++) {
        from[c0 + width * j + d] = c0 + width * src + d;
        sign[c0 + width * j + d] = signs[d];
      }
    });
  };
  const ROT6D_MIRROR = [1, -1, -1, 1, -1, 1];
  perJoint(MAP.joints2d, H36M_FLIP, 2, [-1, 1]);
  perJoint(MAP.joints3d, H36M_FLIP, 3, [-1, 1, 1]);
  perJoint(PARTNER.joints3d, H36M_FLIP, 3, [-1, 1, 1]);
  perJoint(MAP.rot6d, BODY_FLIP.slice(0, NUM_ROTATIONS), 6, ROT6D_MIRROR);
  perJoint(MAP.tilt6d, [0], 6, ROT6D_MIRROR);
  for (let b = 0; b < YAW_BINS; b++) {
    from[MAP.yawLogits[0] + b] = MAP.yawLogits[0] + ((YAW_BINS - b) % YAW_BINS);
    from[MAP.yawResidual[0] + b] = MAP.yawResidual[0] + ((YAW_BINS - b) % YAW_BINS);
    sign[MAP.yawResidual[0] + b] = -1;
  }
  return { from, sign, offset };
}
const MIRROR = mirrorChannels();

/**
 * The mirror pass's maps in the original image's cells and channel meanings (`mirrorChannels`): the
 * whole-map reference form, which the tests check `decodeMaps` against; `decodeMaps` itself maps back
 * only the rows it reads (this gather over every cell is slow on wasm).
 */
export function unflipMaps(mirrored: tf.Tensor4D): tf.Tensor4D {
  const C = mirrored.shape[3];
  return tf.tidy(() =>
    tf.gather(mirrored.reverse(2), tf.tensor1d(MIRROR.from.subarray(0, C), "int32"), 3).mul(tf.tensor1d(MIRROR.sign.subarray(0, C))).add(tf.tensor1d(MIRROR.offset.subarray(0, C))) as tf.Tensor4D,
  );
}

/**
 * People from output maps.
 * @param maps    [B, G, G, 265] raw model output, or both passes of a flip test (`forward`): then
 *                the mean of the maps and the unflipped mirror maps is decoded
 * @param cameras B intrinsics of the images the maps came from (their width/height are the image size)
 */
export function decodeMaps(maps: tf.Tensor4D | ModelMaps, cameras: readonly CameraIntrinsics[], geom: ModelGeometry, opts: DecodeOptions = {}): PersonLabel[][] {
  const m = maps instanceof tf.Tensor ? { maps } : maps;
  const [B, G, , C] = m.maps.shape;
  if (cameras.length !== B) throw new Error(`decode: ${B} images but ${cameras.length} cameras`);
  if (C !== (geom.channels ?? MAP_CHANNELS)) throw new Error(`decode: maps have ${C} channels, the model geometry says ${geom.channels ?? MAP_CHANNELS}`);
  const rowsOf = (t: tf.Tensor4D, cells: number[]) => {
    const r = tf.tidy(() => tf.gather(t.reshape([B * G * G, C]), tf.tensor1d(cells, "int32")));
    const d = r.dataSync() as Float32Array;
    r.dispose();
    return d;
  };
  if (!m.mirrored) return decodeAt(m.maps, (cells) => rowsOf(m.maps, cells), cameras, geom, opts);
  // The same as decoding the mean of `maps` and unflipMaps(mirrored), without mapping back whole maps
  // (a channel gather over every cell cost more than the forward pass on wasm): only the heatmap is
  // averaged whole, for peak finding; rows are mapped back and averaged where they are read.
  const s = HEAT_SUB, mirrored = m.mirrored;
  const heat = tf.tidy(() => {
    const h = mirrored.slice([0, 0, 0, MAP.heat[0]], [B, G, G, MAP.heat[1]]).reverse(2);
    const swapped = tf.concat(Array.from({ length: s * s }, (_, c) => h.slice([0, 0, 0, MIRROR.from[MAP.heat[0] + c] - MAP.heat[0]], [B, G, G, 1])), 3);
    return m.maps.slice([0, 0, 0, MAP.heat[0]], [B, G, G, MAP.heat[1]]).add(swapped).div(2) as tf.Tensor4D;
  });
  try {
    return decodeAt(heat, (cells) => {
      const a = rowsOf(m.maps, cells);
      const b = rowsOf(mirrored, cells.map((c) => c - (c % G) + (G - 1 - (c % G)))); // the mirrored cell, same image and row
      for (let n = 0; n < cells.length; n++) {
        for (let c = 0; c < C; c++) a[n * C + c] = (a[n * C + c] + MIRROR.sign[c] * b[n * C + MIRROR.from[c]] + MIRROR.offset[c]) / 2;
      }
      return a;
    }, cameras, geom, opts);
  } finally {
    heat.dispose();
  }
}

/**
 * People from one pass's maps, or from a flip test's (decodeMaps).
 * @param heatMaps  [B, G, G, >= 4] the heatmap channels first: what the peaks are found on
 * @param gatherRows the rows [n, 265] of the maps at flat cells b * G * G + cell
 */
function decodeAt(heatMaps: tf.Tensor4D, gatherRows: (cells: number[]) => Float32Array, cameras: readonly CameraIntrinsics[], geom: ModelGeometry, opts: DecodeOptions): PersonLabel[][] {
  const G = heatMaps.shape[1];
  const peaks = heatPeaks(heatMaps, opts.scoreThreshold ?? 0.5, opts.maxPeople ?? 8);
  const flat = peaks.flat();
  const result: PersonLabel[][] = peaks.map(() => []);
  if (flat.length === 0) return result;
  // S: the canvas the maps cover; N: the side the weights learned sizes in (S unless upscaled).
  const J = NUM_EVAL_JOINTS, S = geom.inputSize, N = geom.trainedSize ?? S, st = geom.stride, C = geom.channels ?? MAP_CHANNELS, anchorY = geom.anchorY ?? 0.5;
  const peakRows = gatherRows(flat.map((p) => p.image * G * G + p.cell));
  const rows = opts.cells === "block" || opts.cells === "blockPose" ? blockRows(peakRows, flat, G, C, gatherRows, opts.cells === "blockPose") : peakRows;
  const [r, j] = tf.tidy(() => {
    const r = tf.tensor2d(rows, [flat.length, C]);
    const q = splitParams(r);
    return [r, opts.pose === "direct" ? q.joints3d.clone() : bodyJoints(q.rot6d, q.betas)];
  });
  const rel = j.dataSync();
  tf.dispose([r, j]);
  const ch = (n: number, c: number) => rows[n * C + c];
  const partners: Partner[] = [];
  flat.forEach((p, n) => {
    const cam = cameras[p.image];
    const sx = S / cam.width, sy = S / cam.height;
    const ix = p.cell % G, iy = Math.floor(p.cell / G);
    const ccx = (ix + 0.5) * st, ccy = (iy + 0.5) * st; // cell centre, model px
    const [o, sz, dc, j2, be] = [MAP.boxOffset[0], MAP.boxSize[0], MAP.depth[0], MAP.joints2d[0], MAP.betas[0]];
    const hs = st / HEAT_SUB, wHeat = p.hx === undefined || p.hy === undefined ? 0 : opts.boxCentre === "heat" ? 1 : opts.boxCentre === "regressed" ? 0 : 0.5;
    const bx = (1 - wHeat) * (ix + ch(n, o)) * st + wHeat * ((p.hx ?? 0) + 0.5) * hs;
    const by = (1 - wHeat) * (iy + ch(n, o + 1)) * st + wHeat * ((p.hy ?? 0) + 0.5) * hs;
    const bw = ch(n, sz) * N, bh = ch(n, sz + 1) * N;
    const box = imageBox(bx, by, bw, bh, sx, sy, cam, anchorY);
    const reg2d = Array.from({ length: J }, (_, j) => [(ccx + ch(n, j2 + 2 * j) * N) / sx, (ccy + ch(n, j2 + 2 * j + 1) * N) / sy]);
    // The net reads depth from apparent size in its own px: z = exp(code) * (focal in canvas px) / N.
    const z = Math.exp(ch(n, dc)) * (cam.fx / cam.width) * (S / N);
    const root = [((reg2d[0][0] - cam.cx) / cam.fx) * z, ((reg2d[0][1] - cam.cy) / cam.fy) * z, z];
    const canonical = Array.from({ length: J }, (_, j) => [0, 1, 2].map((d) => rel[(n * J + j) * 3 + d]));
    const logits = Array.from({ length: YAW_BINS }, (_, b) => ch(n, MAP.yawLogits[0] + b));
    const tilt = Array.from({ length: 6 }, (_, k) => ch(n, MAP.tilt6d[0] + k));
    const turn = (b: number) => rotateJoints(composeFrame(b, ch(n, MAP.yawResidual[0] + b), tilt, rayYaw(root[0], root[2])), canonical);
    const best = logits.indexOf(Math.max(...logits)); // the most likely yaw class
    let joints3dRel: number[][];
    if (opts.yaw === "expected") {
      const top = Math.max(...logits), e = logits.map((l) => Math.exp(l - top)), sum = e.reduce((a, c) => a + c, 0);
      joints3dRel = canonical.map(() => [0, 0, 0]);
      e.forEach((w, b) => turn(b).forEach((q, j) => q.forEach((v, d) => (joints3dRel[j][d] += (w / sum) * v))));
    } else if (opts.yaw === "fit2d" || opts.yaw === "flip2d") {
      const cands = opts.yaw === "fit2d" ? logits.map((_, b) => b) : [best, (best + YAW_BINS / 2) % YAW_BINS];
      let nearest = Infinity;
      joints3dRel = [];
      for (const b of cands) {
        const t = turn(b);
        let e = 0;
        t.forEach((q, j) => {
          const X = q[0] + root[0], Y = q[1] + root[1], Z = q[2] + root[2];
          e += Math.hypot((cam.fx * X) / Z + cam.cx - reg2d[j][0], (cam.fy * Y) / Z + cam.cy - reg2d[j][1]);
        });
        if (e < nearest) [nearest, joints3dRel] = [e, t];
      }
    } else if (opts.yaw === "local") {
      // The probability-weighted mean of the yaws of the most likely class and its two neighbours, each
      // with its own residual: an angle averaged within +-67 deg (never across front and back), one body.
      const ks = [-1, 0, 1], cls = ks.map((k) => (best + k + YAW_BINS) % YAW_BINS);
      const e = cls.map((b) => Math.exp(logits[b] - logits[best])), sum = e.reduce((a, c) => a + c, 0);
      const res = ks.reduce((a, k, i) => a + (e[i] / sum) * (k + ch(n, MAP.yawResidual[0] + cls[i])), 0);
      joints3dRel = rotateJoints(composeFrame(best, res, tilt, rayYaw(root[0], root[2])), canonical);
    } else joints3dRel = turn(best);
    const joints3d = joints3dRel.map((q) => [q[0] + root[0], q[1] + root[1], q[2] + root[2]]);
    const joints2d = opts.joints2d === "regressed" ? reg2d : project(joints3d, cam);
    result[p.image].push({
      box,
      joints2d,
      visible: inImage(joints2d, cam),
      joints3d,
      joints3dRel,
      shape: Array.from({ length: MAP.betas[1] }, (_, k) => ch(n, be + k)),
      has2d: true,
      has3d: true,
      hasShape: opts.hasShape ?? false,
      source: "pseudo",
      provenance: opts.provenance ?? "predict",
      score: p.score,
    });
    if (C > MAP_CHANNELS) partners.push(partnerOf(n, p, box, z, cam));
  });
  return C > MAP_CHANNELS ? addPartners(result, partners, opts.scoreThreshold ?? 0.5, opts.maxPeople ?? 8) : result;

  /**
   * The person behind peak n's person (regressor.ts PARTNER), scored P(front) x P(partner | front): its box
   * from the row's partner channels (relative to the peak's cell, as the box), its pelvis-relative joints
   * as regressed (camera axes). Its absolute position is a guess: the pelvis on the ray through its box
   * centre at the front person's depth, so its 2D joints are not a label (has2d false).
   */
  function partnerOf(n: number, p: Peak, front: readonly number[], z: number, cam: CameraIntrinsics): Partner {
    const sx = S / cam.width, sy = S / cam.height, ix = p.cell % G, iy = Math.floor(p.cell / G);
    const [o, sz] = [PARTNER.boxOffset[0], PARTNER.boxSize[0]];
    const bx = (ix + ch(n, o)) * st, by = (iy + ch(n, o + 1)) * st, bw = ch(n, sz) * N, bh = ch(n, sz + 1) * N;
    const box = imageBox(bx, by, bw, bh, sx, sy, cam, anchorY);
    const joints3dRel = Array.from({ length: J }, (_, j) => [0, 1, 2].map((d) => ch(n, PARTNER.joints3d[0] + 3 * j + d)));
    const byCentre = by + (0.5 - anchorY) * bh; // the ray through the box's middle, wherever its anchor is
    const root = [((bx / sx - cam.cx) / cam.fx) * z, ((byCentre / sy - cam.cy) / cam.fy) * z, z];
    const joints3d = joints3dRel.map((q) => [q[0] + root[0], q[1] + root[1], q[2] + root[2]]);
    const joints2d = project(joints3d, cam);
    const person: PersonLabel = {
      box,
      joints2d,
      visible: inImage(joints2d, cam),
      joints3d,
      joints3dRel,
      shape: [],
      has2d: false,
      has3d: true,
      hasShape: false,
      source: "pseudo",
      provenance: `${opts.provenance ?? "predict"}:partner`,
      score: p.score / (1 + Math.exp(-ch(n, PARTNER.score[0]))),
    };
    return { image: p.image, front, person };
  }
}

/**
 * The box of size bw x bh whose anchor is (bx, by), model px (`anchorY` of the height from its top,
 * ModelGeometry; 0.5 = centred there), in the image's px, clipped to the image.
 */
function imageBox(bx: number, by: number, bw: number, bh: number, sx: number, sy: number, cam: CameraIntrinsics, anchorY: number): [number, number, number, number] {
  return [Math.max(0, (bx - bw / 2) / sx), Math.max(0, (by - anchorY * bh) / sy), Math.min(cam.width, (bx + bw / 2) / sx), Math.min(cam.height, (by + (1 - anchorY) * bh) / sy)];
}

/** Pinhole projection of camera-frame joints to image px (records.ts's joints2d). */
function project(joints3d: readonly number[][], cam: CameraIntrinsics): number[][] {
  return joints3d.map((q) => [(cam.fx * q[0]) / q[2] + cam.cx, (cam.fy * q[1]) / q[2] + cam.cy]);
}

/** 1 where a 2D joint falls inside the image. */
function inImage(joints2d: readonly number[][], cam: CameraIntrinsics): number[] {
  return joints2d.map((q) => (q[0] >= 0 && q[0] < cam.width && q[1] >= 0 && q[1] < cam.height ? 1 : 0));
}

/** A decoded partner: its image, the box of its front person (the one it may overlap), the person. */
interface Partner {
  image: number;
  front: readonly number[];
  person: PersonLabel;
}

/**
 * Peak people plus the partners scoring >= threshold, best first, at most maxPeople per image. A partner
 * whose box overlaps (IoU >= 0.5) anyone found but its own front person, or a better partner, is the
 * same person found twice and is dropped.
 */
function addPartners(result: PersonLabel[][], partners: readonly Partner[], threshold: number, maxPeople: number): PersonLabel[][] {
  const byScore = partners.filter((q) => q.person.score >= threshold).sort((a, b) => b.person.score - a.person.score);
  for (const q of byScore) {
    const here = result[q.image];
    if (here.some((o) => o.box !== q.front && boxIou(o.box, q.person.box) >= 0.5)) continue;
    here.push(q.person);
  }
  return result.map((ps) => [...ps].sort((a, b) => b.score - a.score).slice(0, maxPeople));
}

/**
 * Run the model on images and decode every person, batched.
 * @param images  HWC [0, 1] images of size cameras[i].width x cameras[i].height, or a [B, H, W, 3] tensor
 * @param cameras intrinsics per image (px of the image as given)
 */
export function predict(model: tf.LayersModel, images: readonly Float32Array[] | tf.Tensor4D, cameras: readonly CameraIntrinsics[], opts: DecodeOptions = {}): PersonLabel[][] {
  const geom = modelGeometry(model);
  const n = images instanceof tf.Tensor ? images.shape[0] : images.length;
  if (cameras.length !== n) throw new Error(`predict: ${n} images but ${cameras.length} cameras`);
  const bs = opts.batchSize ?? 32;
  const out: PersonLabel[][] = [];
  for (let i = 0; i < n; i += bs) {
    const j = Math.min(n, i + bs);
    const cams = cameras.slice(i, j);
    const x = tf.tidy(() => {
      let x: tf.Tensor4D;
      if (images instanceof tf.Tensor) {
        const part = images.slice([i, 0, 0, 0], [j - i, -1, -1, -1]);
        x = part.shape[1] === geom.inputSize && part.shape[2] === geom.inputSize ? part : tf.image.resizeBilinear(part, [geom.inputSize, geom.inputSize], false, true);
      } else {
        x = imagesTensor(images.slice(i, j).map((image, k) => ({ image, width: cams[k].width, height: cams[k].height })), geom.inputSize);
      }
      return x;
    });
    const maps = forward(model, x, opts.flipTest ?? true);
    x.dispose();
    try {
      out.push(...decodeMaps(maps, cams, geom, opts));
    } finally {
      disposeMaps(maps);
    }
  }
  return out;
}
