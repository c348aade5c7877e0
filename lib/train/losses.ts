/**
 * The training losses, as pure functions over tensors (each tidy). Every per-person term is masked by
 * what the label has (has2d, has3d, hasShape: SPIN's flags, so the losses mask instead of branch) and
 * weighted by the label's source (`sourceWeight.gt` / `.pseudo`), so pseudo labels enter the same loop:
 *
 *   L = sum_i w_i m_i e_i / max(sum_i m_i, 1)
 *
 * over the masked elements i (w the person's source weight, m the 0/1 mask, e the element's error).
 * With m = 0 everywhere a term is exactly 0 and sends no gradient.
 *
 * Terms (units):
 * - heatmap: CenterNet's penalty-reduced focal loss on the centre heatmap, summed over cells and
 *   divided by the number of people.
 * - box: L1 on the box centre's offset from its regression cell's corner (cells) and the box size (/ S,
 *   times `boxSizeScale`).
 * - boxIou: 1 - GIoU of the predicted and the true box (Rezatofighi et al. 2019), 0 to 2. Unlike the L1
 *   it costs a 1 px error on a 13 px wide person as much as 2 px on a 26 px one, which is how the
 *   detection metric's IoU >= 0.5 counts it. Weight 0 by default (docs/model-notes.md section 24).
 * - joints2d: L1 on the 17 2D joints, in units of the input side S (0.01 = 1.3 px at 128).
 * - joints3d: L1 per coordinate on the 17 pelvis-relative 3D joints from the body model, metres, in
 *   the person's torso frame (lib/body/orientation.ts: articulation without the body's orientation).
 * - joints3dDirect: the same on the direct 3D output (an auxiliary head, see regressor.ts).
 * - yawBin: cross-entropy of the torso's yaw class (relative to the viewing ray), nats.
 * - yawResidual: L1 on the yaw residual within the true class, bin widths.
 * - tilt: L1 on the 6 numbers of the torso frame's tilt (6D).
 * - depth: L1 on the depth code log(z / (fx / W)) (regressor.ts): 0.1 = 10% of the distance.
 * - shape: squared error of betas where the label has them.
 * - shapePrior: mean beta^2 (betas ~ N(0, 1), the negative log-density up to a factor 2), every person.
 * - posePrior: kept deliberately simple (the world gives no rotation labels and this body has no learned
 *   pose prior): (a) a joint-angle limit, relu(cos(limit) - cos(theta))^2 for each non-root joint's
 *   local rotation angle theta, so only twists beyond `poseAngleLimitDeg` cost; (b) the raw 6D vectors'
 *   conditioning, (|a1|^2 - 1)^2 + (|a2|^2 - 1)^2 + (a1 . a2)^2, which keeps Gram-Schmidt away from
 *   its singular inputs without biasing the pose.
 *
 * - partner, partnerBox, partner3d (only for maps with partner rows, regressor.ts `ModelConfig.partner`;
 *   else exactly 0): binary cross-entropy of "this person has someone behind it" at every person slot
 *   (nats), L1 on that partner's box as `box`, and L1 per coordinate on its pelvis-relative joints in
 *   camera axes (metres), both where the partner exists (and has3d).
 *
 * Legend: B images, G grid side, P person slots, J = 17 joints, R = 24 rotations.
 */
import * as tf from "@tensorflow/tfjs";
import type { LabelSource } from "../data/records";
import { MAP, MAP_CHANNELS, PARTNER, bodyJoints, splitParams } from "../model/regressor";
import type { Batch } from "./targets";

export const LOSS_NAMES = ["heatmap", "box", "boxIou", "joints2d", "joints3d", "joints3dDirect", "yawBin", "yawResidual", "tilt", "depth", "shape", "shapePrior", "posePrior", "partner", "partnerBox", "partner3d"] as const;
export type LossName = (typeof LOSS_NAMES)[number];
export type LossWeights = Record<LossName, number>;

export interface LossConfig {
  /** Weight of each term in the total. */
  weights: LossWeights;
  /** Per-person loss weight by label source (upstream: 1 for both; the mix is set by sampling weights). */
  sourceWeight: Record<LabelSource, number>;
  /** Focal-loss exponents (CenterNet: alpha 2 on the prediction, beta 4 on the gaussian). */
  focalAlpha: number;
  focalBeta: number;
  /** Heatmap gaussian sigma, heat cells (stride 4): max(centreSigmaMin, centreSigmaScale * sqrt(box area) / 4). */
  centreSigmaScale: number;
  centreSigmaMin: number;
  /**
   * Where the heatmap gaussian is centred: "cell" = the middle of the cell holding the box centre
   * (CenterNet), "exact" = the box centre itself, so that a centre near a cell edge also gives the
   * cell across the edge a high target (and a small focal penalty) instead of 0.14 at sigma 0.5.
   */
  centreGaussian: "cell" | "exact";
  /**
   * Cells whose map rows are trained to regress a person (box, 2D, 3D, orientation, ...): "centre" =
   * the centre cell only, "nearest4" = the 2x2 block around the box centre (targets.ts), where the
   * heatmap peak lands; the shipped checkpoint of session 9 read half its people at untrained cells
   * (docs/model-notes.md section 10). "nearest9": the 3x3 cells around the centre cell.
   */
  regressAt: "centre" | "nearest4" | "nearest9";
  /**
   * Which of a person's regression rows carry the orientation terms (yaw class, residual, tilt): "all"
   * of them, or the "centre" cell's only. The rows next to the centre see the person off-centre, and
   * with them in the yaw term the class left chance later (docs/model-notes.md sections 10-11).
   */
  orientAt: "all" | "centre";
  /** Local joint rotations beyond this angle (degrees) cost in posePrior. */
  poseAngleLimitDeg: number;
  /**
   * The box term's size errors are multiplied by this. The offsets are in cells (8 px) and the sizes
   * in units of S (128 px), so at 1 a px of width costs 1/16 of a px of centre, and at 16 the same.
   */
  boxSizeScale: number;
  /** Two people whose box centres are this close (model px, Chebyshev) are a front person and its partner (targets.ts `partnerPairs`). */
  partnerPx: number;
}

/**
 * Term weights put the terms on a common footing at the start of training: the 2D and 3D errors
 * are ~0.05-0.2 in their units while the focal loss starts near 1-3 (see docs/model-notes.md).
 */
export const DEFAULT_LOSS: LossConfig = {
  weights: { heatmap: 1, box: 1, boxIou: 0, joints2d: 5, joints3d: 5, joints3dDirect: 5, yawBin: 3, yawResidual: 1, tilt: 1, depth: 1, shape: 0.1, shapePrior: 0.001, posePrior: 0.1, partner: 1, partnerBox: 1, partner3d: 5 },
  sourceWeight: { gt: 1, pseudo: 1 },
  focalAlpha: 2,
  focalBeta: 4,
  centreSigmaScale: 0.1,
  // 1 heat cell = 4 px, the px sigma the stride-8 heatmap had: at 0.5 (2 px) the peaks stayed under
  // the 0.5 score threshold after 1,200 steps (recall 0.03; docs/model-notes.md section 11).
  centreSigmaMin: 1,
  centreGaussian: "exact",
  regressAt: "nearest4",
  orientAt: "centre",
  poseAngleLimitDeg: 150,
  // 16 with weights.box 4 raised the recall ceiling at IoU 0.5 but cost precision at every score
  // threshold in the full run (docs/model-notes.md section 12), so the shipped checkpoint's 1 stays.
  boxSizeScale: 1,
  // 12 px: the studio's missed partly hidden people sit 4-12 px from the person in front (section 25).
  partnerPx: 12,
};

/**
 * CenterNet's penalty-reduced focal loss (Zhou et al. 2019, eq. 1) on heatmap logits:
 * -sum[ y=1: (1-p)^a log p ; else: (1-y)^b p^a log(1-p) ] / max(#people, 1), each image's sum times
 * its weight. log p = -softplus(-x) and log(1-p) = -softplus(x) keep it finite for any logit.
 * @param logits      [B, G, G, 4] (any shape: the sum runs over all but the first axis)
 * @param gt          the same shape: gaussians, exactly 1 at people's centre cells (targets.ts)
 * @param imageWeight [B]
 */
export function focalLoss(logits: tf.Tensor, gt: tf.Tensor, imageWeight: tf.Tensor, alpha = 2, beta = 4): tf.Scalar {
  return tf.tidy(() => {
    const B = logits.shape[0];
    const p = tf.sigmoid(logits);
    const pos = gt.greaterEqual(1 - 1e-6).toFloat();
    const neg = tf.sub(1, pos);
    const posTerm = tf.pow(tf.sub(1, p), alpha).mul(tf.softplus(logits.neg())).mul(pos); // -(1-p)^a log p
    const negTerm = tf.pow(tf.sub(1, gt), beta).mul(tf.pow(p, alpha)).mul(tf.softplus(logits)).mul(neg);
    const perImage = posTerm.add(negTerm).reshape([B, -1]).sum(1);
    return perImage.mul(imageWeight).sum().div(tf.maximum(pos.sum(), 1)) as tf.Scalar;
  });
}

/** mask [P, ...] (a prefix of err's shape) broadcast over err's trailing dims. */
function expandTo(mask: tf.Tensor, like: tf.Tensor): tf.Tensor {
  const shape = [...mask.shape, ...like.shape.slice(mask.rank).map(() => 1)];
  return mask.reshape(shape).mul(tf.onesLike(like));
}

/**
 * sum(w * m * err) / max(sum(m), 1): the masked, source-weighted mean of an elementwise error.
 * @param err    [P, ...]
 * @param mask   [P] or [P, ...] (a prefix of err's shape; broadcast over the rest)
 * @param weight [P]
 */
export function weightedMean(err: tf.Tensor, mask: tf.Tensor, weight: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const m = expandTo(mask, err);
    const w = expandTo(weight, err);
    return err.mul(m).mul(w).sum().div(tf.maximum(m.sum(), 1)) as tf.Scalar;
  });
}

/** Masked, weighted L1: pred/target [P, ...], mask a prefix-shaped 0/1 tensor, weight [P]. */
export function maskedL1(pred: tf.Tensor, target: tf.Tensor, mask: tf.Tensor, weight: tf.Tensor): tf.Scalar {
  return tf.tidy(() => weightedMean(pred.sub(target).abs(), mask, weight));
}

/** Masked, weighted squared error (same shapes as maskedL1). */
export function maskedL2(pred: tf.Tensor, target: tf.Tensor, mask: tf.Tensor, weight: tf.Tensor): tf.Scalar {
  return tf.tidy(() => weightedMean(pred.sub(target).square(), mask, weight));
}

/**
 * Cross-entropy of classes: -sum(onehot * log softmax(logits)) per row, then the masked weighted mean.
 * @param logits [P, K]; onehot [P, K]; mask, weight [P]
 */
export function maskedCrossEntropy(logits: tf.Tensor, onehot: tf.Tensor, mask: tf.Tensor, weight: tf.Tensor): tf.Scalar {
  return tf.tidy(() => weightedMean(tf.logSoftmax(logits).mul(onehot).sum(-1).neg(), mask, weight));
}

/**
 * 1 - GIoU (Rezatofighi et al. 2019) of boxes given as [centre x, centre y, width, height] in one unit,
 * as the masked weighted mean over people: GIoU = IoU - (C - U) / C, with C the area of the smallest
 * box enclosing both and U the union. A negative predicted size counts as 0 (the L1 term pulls it back).
 * @param pred, target [P, 4]; mask, weight [P]
 */
export function giouLoss(pred: tf.Tensor2D, target: tf.Tensor2D, mask: tf.Tensor, weight: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const corners = (b: tf.Tensor2D, clamp: boolean) => {
      const [cx, cy, w0, h0] = tf.unstack(b, 1);
      const [w, h] = clamp ? [tf.relu(w0), tf.relu(h0)] : [w0, h0];
      return { x0: cx.sub(w.div(2)), y0: cy.sub(h.div(2)), x1: cx.add(w.div(2)), y1: cy.add(h.div(2)), area: w.mul(h) };
    };
    const p = corners(pred, true), t = corners(target, false);
    const inter = tf.relu(tf.minimum(p.x1, t.x1).sub(tf.maximum(p.x0, t.x0))).mul(tf.relu(tf.minimum(p.y1, t.y1).sub(tf.maximum(p.y0, t.y0))));
    const union = p.area.add(t.area).sub(inter);
    const hull = tf.maximum(p.x1, t.x1).sub(tf.minimum(p.x0, t.x0)).mul(tf.maximum(p.y1, t.y1).sub(tf.minimum(p.y0, t.y0)));
    const eps = 1e-7;
    const giou = inter.div(union.add(eps)).sub(hull.sub(union).div(hull.add(eps)));
    return weightedMean(tf.sub(1, giou), mask, weight);
  });
}

/** Shape prior: weighted mean of beta^2 over the people in `mask`. betas [P, 5]. */
export function shapePrior(betas: tf.Tensor, mask: tf.Tensor, weight: tf.Tensor): tf.Scalar {
  return tf.tidy(() => weightedMean(betas.square(), mask, weight));
}

/**
 * Pose prior (see header): joint-angle limit on rotations 1..23 plus 6D conditioning on all 24,
 * each a weighted mean over the people in `mask`, summed.
 * @param rot6d [P, 24, 6] raw network outputs
 */
export function posePrior(rot6d: tf.Tensor, mask: tf.Tensor, weight: tf.Tensor, limitDeg = 150): tf.Scalar {
  return tf.tidy(() => {
    const [P, R] = rot6d.shape;
    const m = rot6d.reshape([P, R, 3, 2]);
    const a1 = m.slice([0, 0, 0, 0], [P, R, 3, 1]).reshape([P, R, 3]);
    const a2 = m.slice([0, 0, 0, 1], [P, R, 3, 1]).reshape([P, R, 3]);
    const cond = a1.square().sum(-1).sub(1).square().add(a2.square().sum(-1).sub(1).square()).add(a1.mul(a2).sum(-1).square()); // [P, R]
    // trace of the Gram-Schmidt rotation [b1 b2 b3]: b1_x + b2_y + b3_z (rot6dToMatrix's columns).
    const rot = rotationTrace(a1, a2); // [P, R]
    const cosTheta = rot.sub(1).div(2).slice([0, 1], [P, R - 1]);
    const over = tf.relu(tf.sub(Math.cos((limitDeg * Math.PI) / 180), cosTheta)).square();
    return weightedMean(over, mask, weight).add(weightedMean(cond, mask, weight)) as tf.Scalar;
  });
}

/** Trace of the rotation Gram-Schmidt makes of columns a1, a2 ([..., 3] each) -> [...]. */
function rotationTrace(a1: tf.Tensor, a2: tf.Tensor): tf.Tensor {
  const unit = (v: tf.Tensor) => v.div(v.square().sum(-1, true).add(1e-8).sqrt());
  const b1 = unit(a1);
  const b2 = unit(a2.sub(b1.mul(a2).sum(-1, true).mul(b1)));
  const last = b1.shape.length - 1;
  const c = (v: tf.Tensor, i: number) => v.slice([...v.shape.slice(0, -1).map(() => 0), i], [...v.shape.slice(0, -1), 1]).squeeze([last]);
  const b3z = c(b1, 0).mul(c(b2, 1)).sub(c(b1, 1).mul(c(b2, 0)));
  return c(b1, 0).add(c(b2, 1)).add(b3z);
}

/**
 * Each slot's map row, [P, C]: row `cell[k]` of the maps flattened to [B * G * G, C], times the slot's
 * mask (an empty slot, cell -1, reads row 0 and gets zeros). A gather forward, and its gradient written
 * here as a scatter-add (ScatterNd sums duplicate indices): tf.gather's own gradient needs
 * UnsortedSegmentSum, which wasm lacks. This replaced a one-hot matmul [B, M, G*G] x [B, G*G, C] that
 * gave the same numbers (bit for bit on the default recipe's batches) but cost ~16 ms of a 266 ms
 * 8-image step, mostly in its transposed-A gradient matmul, which wasm runs ~10x slower than a plain
 * one (docs/model-notes.md section 23).
 * @param maps [B, G, G, C]; cell [P] int32; mask [P]
 */
export function slotRows(maps: tf.Tensor, cell: tf.Tensor1D, mask: tf.Tensor1D): tf.Tensor2D {
  const [B, G, , C] = maps.shape;
  const idx = tf.tidy(() => tf.maximum(cell, tf.zerosLike(cell)));
  const m = mask.reshape([-1, 1]);
  const read = tf.customGrad((x, save) => {
    (save as tf.GradSaveFunc)([idx, m]);
    return {
      value: tf.gather((x as tf.Tensor).reshape([B * G * G, C]), idx).mul(m),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(saved[0].expandDims(1), dy.mul(saved[1]), [B * G * G, C]).reshape([B, G, G, C]),
    };
  });
  const rows = read(maps) as tf.Tensor2D;
  idx.dispose();
  m.dispose();
  return rows;
}

export interface Losses {
  /** Each term, unweighted (scalars). */
  terms: Record<LossName, tf.Scalar>;
  /** sum of weights[k] * terms[k] */
  total: tf.Scalar;
}

/** The partner terms (see the header); zeros when the maps have no partner rows. */
function partnerTerms(rows: tf.Tensor2D, batch: Batch, boxScale: tf.Tensor1D): Record<"partner" | "partnerBox" | "partner3d", tf.Scalar> {
  const [P, C] = rows.shape;
  if (C <= MAP_CHANNELS) return { partner: tf.scalar(0), partnerBox: tf.scalar(0), partner3d: tf.scalar(0) };
  const take = ([c, n]: readonly [number, number]) => rows.slice([0, c], [P, n]);
  const w = batch.weight, on = batch.personMask, y = batch.partnerPresent;
  const x = take(PARTNER.score).reshape([P]);
  // BCE with logits: y softplus(-x) + (1 - y) softplus(x), finite for any logit.
  const bce = y.mul(tf.softplus(x.neg())).add(tf.sub(1, y).mul(tf.softplus(x)));
  const box = tf.concat([take(PARTNER.boxOffset), take(PARTNER.boxSize)], 1);
  return {
    partner: weightedMean(bce, on, w) as tf.Scalar,
    partnerBox: maskedL1(box.mul(boxScale), batch.partnerBox.mul(boxScale), y, w),
    partner3d: maskedL1(take(PARTNER.joints3d).reshape([P, -1, 3]), batch.partner3d, batch.partnerMask3d, w),
  };
}

/**
 * All terms for the model's output maps and a batch's targets. The per-person parameters are read at
 * each person's regression cells (`regressAt`) by `slotRows` above, and only
 * those people go through the body model. Returns new tensors (the caller disposes them).
 * @param maps [B, G, G, 240] raw model output
 */
export function computeLosses(maps: tf.Tensor, batch: Batch, cfg: LossConfig): Losses {
  const out = tf.tidy(() => {
    const [B, G] = maps.shape;
    const rows = slotRows(maps, batch.cell, batch.personMask);
    const q = splitParams(rows);
    const w = batch.weight, on = batch.personMask;
    const boxScale = tf.tensor1d([1, 1, cfg.boxSizeScale, cfg.boxSizeScale]);
    // Box sizes in cells, like the offsets: / S * (S / stride) = * G.
    const inCells = tf.tensor1d([1, 1, G, G]);
    const predBox = tf.concat([q.boxOffset, q.boxSize], 1) as tf.Tensor2D;
    const joints3d = bodyJoints(q.rot6d, q.betas);
    const terms: Record<LossName, tf.Scalar> = {
      heatmap: focalLoss(maps.slice([0, 0, 0, 0], [B, G, G, MAP.heat[1]]), batch.heat, batch.imageWeight, cfg.focalAlpha, cfg.focalBeta),
      box: maskedL1(predBox.mul(boxScale), batch.box.mul(boxScale), on, w),
      boxIou: giouLoss(predBox.mul(inCells) as tf.Tensor2D, batch.box.mul(inCells) as tf.Tensor2D, on, w),
      joints2d: maskedL1(q.joints2d, batch.joints2d, batch.mask2d, w),
      joints3d: maskedL1(joints3d, batch.joints3dCanon, batch.mask3d, w),
      joints3dDirect: maskedL1(q.joints3d, batch.joints3dCanon, batch.mask3d, w),
      yawBin: maskedCrossEntropy(q.yawLogits, batch.yawBin, batch.maskOrient, w),
      yawResidual: maskedL1(q.yawResidual.mul(batch.yawBin).sum(-1), batch.yawResidual, batch.maskOrient, w),
      tilt: maskedL1(q.tilt6d, batch.tilt6d, batch.maskOrient, w),
      depth: maskedL1(q.depth, batch.depth, batch.maskDepth, w),
      shape: maskedL2(q.betas, batch.betas, batch.maskShape, w),
      shapePrior: shapePrior(q.betas, on, w),
      posePrior: posePrior(q.rot6d, on, w, cfg.poseAngleLimitDeg),
      ...partnerTerms(rows, batch, boxScale),
    };
    const total = tf.addN(LOSS_NAMES.map((k) => terms[k].mul(cfg.weights[k]))) as tf.Scalar;
    return { terms, total };
  });
  return out;
}
