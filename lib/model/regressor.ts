/**
 * The multi-person regressor: one image in, every person out. All of it is in this file: the config,
 * the network builder, the layout of its output maps and the body-model decoding of a person's
 * parameters into joints.
 *
 * Design (one-stage, CenterNet/ROMP style; the candidates and their timings are in docs/model-notes.md):
 * - A plain conv net (3x3 convs + ReLU, no BatchNorm: BN costs ~40% throughput on wasm and this net
 *   trains without it) reduces the image to a stride-8 grid: 16-32-64 channels at strides 2-4-8.
 * - A stride-16 context branch (3 convs, 128 channels), upsampled and concatenated back, widens the
 *   receptive field from 71 to 119 px at little cost (convs at stride 16 are cheap), so that the cell
 *   at a person's centre sees most of a 100 px tall body. The merge is a 1x1 conv: a 3x3 conv over the
 *   192 merged channels cost more than the whole rest of the net (docs/model-notes.md, "context3").
 * - A stride-4 detection path (`fineWidth`, FPN's top-down merge): the merged stride-8 features,
 *   upsampled and added to the stride-4 stage's, one 3x3 conv, then a 2x2 stride-2 conv gives each
 *   stride-8 cell its heat and box channels from its own 2x2 block of stride-4 features. A studio
 *   person is 13-17 px wide, two stride-8 cells; this path took recall from 0.761 to 0.814 and
 *   precision from 0.887 to 0.946 against the same recipe without it (docs/model-notes.md section 17).
 * - 1x1 heads give the output maps [B, S/8, S/8, 265]: channels 0-3 the centre-heatmap
 *   logits of the cell's four stride-4 sub-cells (`HEAT_SUB`), channels 4-264 the parameters of the
 *   person centred in or next to that cell (`MAP` below; training writes each person's targets at
 *   the 2x2 cells around its centre, targets.ts): box offset and size, a normalised root depth, 5
 *   shape betas, 17 2D joint offsets (an auxiliary 2D output, and the person's 2D root), 24 local
 *   joint rotations in 6D form, 17 direct 3D joints
 *   (an auxiliary head: it learned faster than the body-model path in short runs, and a direct
 *   output beside the body model's costs 51 channels of a 1x1 conv), and the torso's orientation
 *   (8 yaw-class logits, 8 residuals, a 6D tilt).
 * - Optional partner rows (`partner`, off): 56 more channels per row for the person right behind the
 *   row's own, whom the stride-4 peaks cannot separate; at full length they placed such people but
 *   could not score them, also when trained on crowded scenes with the score's weight raised, so they
 *   are off (docs/model-notes.md sections 25 and 27).
 * - Orientation is split from articulation (lib/body/orientation.ts says why): both 3D outputs are
 *   the pose in the person's torso frame, and the frame's rotation in camera axes is a yaw class
 *   relative to the viewing ray, a residual and a tilt.
 * - Body-model decoding (`bodyJoints`) runs OUTSIDE the LayersModel, on the cells that hold people
 *   only: 6D -> rotation matrices -> FK of the 5-beta body (lib/body/kinematics.ts) -> 17 root-relative
 *   H36M joints in the torso frame, turned into camera axes by the orientation (decode.ts). Bone
 *   lengths stay consistent and a real SMPL can replace the body later; the saved model is plain conv
 *   layers (no custom-layer registration needed to load it).
 *
 * Numbers of the default config (`DEFAULT_MODEL`), measured by `modelStats` and bench/train.ts on this
 * 2-core machine (wasm): 511,049 parameters (2.04 MB float32 checkpoint), 0.158 GFLOP per image
 * forward at 128x128 (2 FLOPs per multiply-add), output stride 8 (a 16x16 grid at 128) with the heat
 * and box read at stride 4, receptive field 131 px. Without the stride-4 path (`fineWidth: 0`, the
 * session 11-16 net): 497,673 parameters, 0.137 GFLOP, ~40 training images/s with a worker thread
 * (batch 16), ~6 ms inference latency per image at batch 1 (bench/RESULTS.md); the stride-4 path adds
 * 4-7% to a training step (two threads / one thread).
 *
 * Depth normalisation: cameras differ per image (field of view 50-65 degrees in the world), and what
 * an image shows of a person's distance is its apparent size, which scales with f / z. So the net
 * predicts `depthCode = log(z / (fx / W))`: z the pelvis depth in metres, fx / W the focal length in
 * image widths, invariant to resizing the image. Decoding: z = exp(depthCode) * fx / W.
 *
 * Coordinates: OpenCV camera axes (x right, y down, z forward), metres; image px with (0, 0) at the
 * top-left corner of the top-left pixel (records.ts). Legend: B batch, N people, S input side px,
 * G = S / 8 grid side, C = 265 map channels (321 with partner rows).
 */
import * as tf from "@tensorflow/tfjs";
import { BODY_TO_H36M, NUM_BODY_JOINTS, NUM_EVAL_JOINTS } from "../body/joints";
import { NUM_ROTATIONS, fkTf, restOffsetsTf } from "../body/kinematics";
import { YAW_BINS } from "../body/orientation";
import { NUM_BETAS } from "../body/shape";

export interface ModelConfig {
  /**
   * Model input side, px (square). Images are resized to it in the batch builder. 128 = the world's
   * image size: 96 trains ~1.7x faster but people >= 30 px tall shrink to 22 px (docs/model-notes.md).
   */
  inputSize: number;
  /** Output channels of the 3x3 convs of the stride-2, -4 and -8 stages (the first conv of each has stride 2). */
  widths: [number, number, number];
  /** Extra stride-1 3x3 convs in each of those stages. */
  depths: [number, number, number];
  /** Channels of the stride-16 context branch (0 = no branch). */
  contextWidth: number;
  /** 3x3 convs in the context branch (the first has stride 2). */
  contextDepth: number;
  /** Channels, count and kernel size (1 or 3) of the stride-8 convs after the merge, before the 1x1 heads. */
  headWidth: number;
  headDepth: number;
  headKernel: number;
  /**
   * Channels of the stride-4 detection path (0 = none, the heat and box come from the stride-8 head).
   * When set, the merged stride-8 features go through a 1x1 conv to widths[1] channels, are upsampled
   * and added to the stride-4 features (FPN's top-down merge), then one 3x3 conv of this width; a 2x2
   * stride-2 conv turns each 2x2 block of that into the stride-8 cell's heat sub-cells and box. The map
   * layout is unchanged. Why: a studio person is 13-17 px wide, 2 stride-8 cells, and a 4 px error
   * of its box centre alone takes IoU to ~0.55 (docs/model-notes.md section 17).
   */
  fineWidth?: number;
  /**
   * With the stride-4 path, also read the per-person parameters (2D, 3D, orientation, depth) from it:
   * a 2x2 stride-2 conv (no bias) over the same stride-4 features, added to the stride-8 1x1 head. Why:
   * the 3D error is mostly the body's rotation (bench/errparts.ts), whose cues (face or hair, feet, knees)
   * are a few px at studio sizes. Its seed is drawn after every other layer's, so the rest of the net
   * starts as without it. Cost: docs/model-notes.md section 20.
   */
  fineParams?: boolean;
  /**
   * A second person per row ("partner", after CrowdDet's several predictions per proposal): each map row
   * also says whether someone stands behind the person it regresses, with that person's box and
   * root-relative 3D joints (`PARTNER` below, 56 more channels). Why: on the studio test set the detector
   * almost never finds a person whose box centre is within 8 px of someone in front (2 of 171), and 47%
   * of its misses of partly hidden people are such people. Two centres that close share one peak of the
   * stride-4 heat (its 3x3 peak NMS) and often one stride-8 row, so no peak can stand for the second
   * person; a row can (docs/model-notes.md section 25). Off by default.
   */
  partner?: boolean;
  /**
   * Where in its box a person's heat peak and regression row sit, as a fraction of the box height from
   * its top (x is always the box's middle). 0.5 is the box centre (CenterNet). Why another value: a
   * partly hidden studio person's label box is the box of its visible pixels, often the head and
   * shoulders above someone in front, and that box's centre then lies on the front person's pixels,
   * where nothing of the hidden person is to be seen. A point near the top (0.2: the neck of a whole
   * body) lies on the person's own head or shoulders. Measured at full length (docs/model-notes.md
   * section 26): 0.2 found 1.7x as many people with 50-80% of their joints visible, but lost more fully
   * visible ones (recall 0.731 against 0.814), so the default stays 0.5. It changes what the maps mean,
   * so it travels with the weights (the model's user-defined metadata, read by `modelGeometry`).
   */
  boxAnchorY?: number;
  /** Detections below this score are dropped at decoding (the report's pseudo-label threshold is 0.5). */
  scoreThreshold: number;
  /** At most this many people per image at decoding (the world's busiest scenes have 8). */
  maxPeople: number;
}

export const DEFAULT_MODEL: ModelConfig = {
  inputSize: 128,
  widths: [16, 32, 64],
  depths: [0, 1, 1],
  contextWidth: 128,
  contextDepth: 3,
  headWidth: 128,
  headDepth: 1,
  headKernel: 1,
  fineWidth: 32,
  fineParams: false,
  partner: false,
  boxAnchorY: 0.5,
  scoreThreshold: 0.5,
  maxPeople: 8,
};

/** A model small enough for unit tests (32x32 input, ~30k parameters). */
export const TINY_MODEL: ModelConfig = {
  inputSize: 32,
  widths: [8, 16, 24],
  depths: [0, 0, 1],
  contextWidth: 32,
  contextDepth: 1,
  headWidth: 32,
  headDepth: 1,
  headKernel: 1,
  scoreThreshold: 0.5,
  maxPeople: 4,
};

/** Output stride of the maps. */
export const STRIDE = 8;

/**
 * Heatmap sub-cells per cell side. The centre heatmap is at stride STRIDE / HEAT_SUB = 4, packed into
 * the stride-8 maps as HEAT_SUB^2 channels per cell (space-to-depth: channel sy * HEAT_SUB + sx is the
 * stride-4 cell (HEAT_SUB x + sx, HEAT_SUB y + sy)); a person is read at the stride-8 cell holding its
 * peak. Why: the 3x3 NMS at stride 8 spans 24 px, more than the 17 px width of a tall studio person, so
 * people side by side suppressed each other; at stride 4 it spans 12 px. Measured (docs/model-notes.md
 * section 11): a prediction centred in 98% of the tall people's boxes instead of 92%, better boxes,
 * recall 0.757 instead of 0.729 (in a run that also moved the orientation terms). The hoped-for
 * second gain did not come: the peak lands in the centre cell no more often than at stride 8 (46%).
 * It costs 3 channels of a 1x1 conv.
 */
export const HEAT_SUB = 2;
const H = HEAT_SUB * HEAT_SUB;

const J3D = H + 5 + NUM_BETAS + 2 * NUM_EVAL_JOINTS + 6 * NUM_ROTATIONS;

/** Channel layout of the output maps: [first channel, count]. */
export const MAP = {
  /** [4] centre-heatmap logits of the cell's stride-4 sub-cells (HEAT_SUB above) */
  heat: [0, H],
  /** box centre minus the cell's top-left corner, in cells ([0, 1) when the centre is in the cell) */
  boxOffset: [H, 2],
  /** box width and height / S */
  boxSize: [H + 2, 2],
  /** log(z / (fx / W)), see header */
  depth: [H + 4, 1],
  /** shape betas (lib/body/shape.ts) */
  betas: [H + 5, NUM_BETAS],
  /** [17][2] (joint px - cell centre px) / S, H36M_17 order; joint 0 is the 2D root */
  joints2d: [H + 5 + NUM_BETAS, 2 * NUM_EVAL_JOINTS],
  /** [24][6] local rotations, 6D (kinematics.ts); rotation 0 = the pelvis's orientation in the torso frame (body/orientation.ts) */
  rot6d: [H + 5 + NUM_BETAS + 2 * NUM_EVAL_JOINTS, 6 * NUM_ROTATIONS],
  /** [17][3] metres, pelvis-relative, in the TORSO FRAME (body/orientation.ts): a direct (auxiliary) 3D output beside the body model's */
  joints3d: [J3D, 3 * NUM_EVAL_JOINTS],
  /** [8] logits of the torso's yaw class relative to the viewing ray (body/orientation.ts) */
  yawLogits: [J3D + 3 * NUM_EVAL_JOINTS, YAW_BINS],
  /** [8] per class, the yaw residual within the bin (bin widths) */
  yawResidual: [J3D + 3 * NUM_EVAL_JOINTS + YAW_BINS, YAW_BINS],
  /** [6] the torso frame's remaining tilt Q, 6D */
  tilt6d: [J3D + 3 * NUM_EVAL_JOINTS + 2 * YAW_BINS, 6],
} as const satisfies Record<string, readonly [number, number]>;
export const MAP_CHANNELS = MAP.tilt6d[0] + MAP.tilt6d[1]; // 265

/**
 * The partner channels (`ModelConfig.partner`), after the 265 of `MAP`: the row's person's partner, the
 * nearest person behind it whose box centre is within `loss.partnerPx` of its own (targets.ts).
 */
export const PARTNER = {
  /** logit of "this row's person has a partner" */
  score: [MAP_CHANNELS, 1],
  /** the partner's box centre minus the cell's top-left corner, cells (as MAP.boxOffset) */
  boxOffset: [MAP_CHANNELS + 1, 2],
  /** the partner's box width and height / S */
  boxSize: [MAP_CHANNELS + 3, 2],
  /** [17][3] metres, the partner's pelvis-relative joints in CAMERA axes (no orientation split: a second-best guess) */
  joints3d: [MAP_CHANNELS + 5, 3 * NUM_EVAL_JOINTS],
} as const satisfies Record<string, readonly [number, number]>;
export const PARTNER_CHANNELS = 5 + 3 * NUM_EVAL_JOINTS; // 56

/** Channels of a model's maps: 265, or 321 with partner rows. */
export function mapChannels(cfg: Pick<ModelConfig, "partner">): number {
  return MAP_CHANNELS + (cfg.partner ? PARTNER_CHANNELS : 0);
}

/**
 * Initial head biases: a 0.1 prior probability on the heatmap (CenterNet's -2.19, so the focal loss
 * starts small), a typical distance (4.5 m at fx/W = 0.87, the world's 60-degree lens), the rest pose
 * in the torso frame (every rotation the identity: the template's axes are the torso frame's), and an
 * upright torso (tilt = identity; the yaw classes start uniform).
 */
export const HEAT_PRIOR_BIAS = -Math.log((1 - 0.1) / 0.1);
export const DEPTH_PRIOR_BIAS = Math.log(4.5 / 0.866);
const ROT6D_IDENTITY = [1, 0, 0, 1, 0, 0];

function conv(x: tf.SymbolicTensor, filters: number, strides: number, name: string, seed: number, kernelSize = 3): tf.SymbolicTensor {
  return tf.layers
    .conv2d({ filters, kernelSize, strides, padding: "same", activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed }), name })
    .apply(x) as tf.SymbolicTensor;
}

/**
 * Build the network (weights seeded by `seed`). Input [B, S, S, 3] RGB in [0, 1]; output the maps
 * [B, S/8, S/8, 265] (`MAP`), raw: the heatmap channels are logits.
 */
export function buildRegressor(cfg: ModelConfig = DEFAULT_MODEL, seed = 0): tf.LayersModel {
  const S = cfg.inputSize;
  if (S % (cfg.contextWidth > 0 ? 2 * STRIDE : STRIDE) !== 0) {
    throw new Error(`model: inputSize ${S} must be a multiple of ${cfg.contextWidth > 0 ? 2 * STRIDE : STRIDE} (stride ${STRIDE}${cfg.contextWidth > 0 ? ", and the stride-16 context branch" : ""})`);
  }
  // Layer seeds start at seed * 1000 + 1, never 0: tfjs's random initialisers read seed 0 as "no seed"
  // (tfjs-core rand_util: `seed ? seed : Math.random()`), so with k from 0 the first conv of seed 0,
  // the default, drew fresh weights in every process and pretraining was not reproducible.
  let k = 0;
  const next = () => seed * 1000 + ++k;
  const input = tf.input({ shape: [S, S, 3], name: "image" });
  let x = input;
  let stride4: tf.SymbolicTensor | null = null;
  cfg.widths.forEach((w, s) => {
    x = conv(x, w, 2, `s${2 << s}_down`, next());
    for (let i = 0; i < cfg.depths[s]; i++) x = conv(x, w, 1, `s${2 << s}_conv${i}`, next());
    if (s === 1) stride4 = x;
  });
  if (cfg.contextWidth > 0) {
    let y = conv(x, cfg.contextWidth, 2, "s16_down", next());
    for (let i = 1; i < cfg.contextDepth; i++) y = conv(y, cfg.contextWidth, 1, `s16_conv${i}`, next());
    // Nearest upsampling: its gradient (ResizeNearestNeighborGrad) exists on wasm; transposed convs cost more.
    y = tf.layers.upSampling2d({ size: [2, 2], name: "s16_up" }).apply(y) as tf.SymbolicTensor;
    x = tf.layers.concatenate({ name: "merge" }).apply([x, y]) as tf.SymbolicTensor;
  }
  for (let i = 0; i < cfg.headDepth; i++) x = conv(x, cfg.headWidth, 1, `head_conv${i}`, next(), cfg.headKernel);
  // An output conv (no activation, small initial weights): 1x1 on the stride-8 features, or k x k at stride k.
  const head = (filters: number, name: string, input = x, k = 1) =>
    tf.layers.conv2d({ filters, kernelSize: k, strides: k, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: next() }), name }).apply(input) as tf.SymbolicTensor;
  const fine = cfg.fineWidth ?? 0;
  // The "heat" layer makes the map's first heatCh channels: the heat alone, or with the stride-4 path
  // the heat and the box (MAP.heat, MAP.boxOffset, MAP.boxSize are contiguous from 0).
  const heatCh = fine > 0 ? MAP.boxSize[0] + MAP.boxSize[1] : H;
  let heat: tf.SymbolicTensor;
  let fineFeatures: tf.SymbolicTensor | null = null;
  if (fine > 0) {
    // The stride-4 path: top-down merge, one 3x3 conv, then each stride-8 cell's channels from its 2x2
    // block of stride-4 features.
    let y = conv(x, cfg.widths[1], 1, "fine_top", next(), 1);
    y = tf.layers.upSampling2d({ size: [2, 2], name: "fine_up" }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.add({ name: "fine_merge" }).apply([stride4!, y]) as tf.SymbolicTensor;
    y = conv(y, fine, 1, "fine_conv", next());
    heat = head(heatCh, "heat", y, 2);
    fineFeatures = y;
  } else heat = head(heatCh, "heat");
  const C = mapChannels(cfg);
  let params = head(C - heatCh, "params");
  if (cfg.fineParams) {
    if (!fineFeatures) throw new Error("model: fineParams needs the stride-4 path (fineWidth > 0)");
    const fromFine = tf.layers
      .conv2d({ filters: C - heatCh, kernelSize: 2, strides: 2, useBias: false, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: next() }), name: "params_fine" })
      .apply(fineFeatures) as tf.SymbolicTensor;
    params = tf.layers.add({ name: "params_sum" }).apply([params, fromFine]) as tf.SymbolicTensor;
  }
  const maps = tf.layers.concatenate({ name: "maps" }).apply([heat, params]) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: maps, name: "regressor" });
  setHeadBiases(model, heatCh, C);
  const anchorY = checkedAnchorY(cfg.boxAnchorY ?? 0.5, "boxAnchorY");
  // Only a non-default anchor is written, so that models of the default recipe save as before.
  if (anchorY !== 0.5) model.setUserDefinedMetadata({ boxAnchorY: anchorY });
  return model;
}

/** The initial head biases (see HEAT_PRIOR_BIAS above); the "heat" layer makes the first heatCh map channels. */
function setHeadBiases(model: tf.LayersModel, heatCh: number, channels: number): void {
  // getWeights() hands out the layer's own variables: keep them, dispose only the new values.
  const all = new Float32Array(channels);
  if (channels > MAP_CHANNELS) all[PARTNER.score[0]] = HEAT_PRIOR_BIAS; // a 0.1 prior: most people have no partner
  all.fill(HEAT_PRIOR_BIAS, 0, H);
  all[MAP.depth[0]] = DEPTH_PRIOR_BIAS;
  for (let r = 0; r < NUM_ROTATIONS; r++) all.set(ROT6D_IDENTITY, MAP.rot6d[0] + 6 * r);
  all.set(ROT6D_IDENTITY, MAP.tilt6d[0]);
  for (const [name, value] of [["heat", tf.tensor1d(all.slice(0, heatCh))], ["params", tf.tensor1d(all.slice(heatCh))]] as const) {
    const layer = model.getLayer(name);
    layer.setWeights([layer.getWeights()[0], value]);
    value.dispose();
  }
}

/**
 * [B, S, S, 3] model input from HWC [0, 1] images: bilinear resize with half-pixel centres (pixel i's
 * centre i + 0.5 maps to (i + 0.5) * S / W, the same scale the targets and the decoder use).
 */
export function imagesTensor(images: readonly { image: Float32Array; width: number; height: number }[], inputSize: number): tf.Tensor4D {
  return tf.tidy(() => {
    const each = images.map((im) => {
      if (im.image.length !== im.width * im.height * 3) throw new Error(`images: ${im.image.length} values for ${im.width}x${im.height}x3`);
      const t = tf.tensor4d(im.image, [1, im.height, im.width, 3]);
      return im.width === inputSize && im.height === inputSize ? t : tf.image.resizeBilinear(t, [inputSize, inputSize], false, true);
    });
    return (each.length === 1 ? each[0] : tf.concat(each, 0)) as tf.Tensor4D;
  });
}

export interface ModelGeometry {
  /** Input side, px. */
  inputSize: number;
  /** Output grid side (cells). */
  grid: number;
  /** Input px per cell. */
  stride: number;
  /**
   * The input side the weights were trained at, when the model runs on a larger canvas (an upscaled
   * image, as bench/multiscale.ts does): the maps' sizes and offsets are in units of it. Default inputSize.
   */
  trainedSize?: number;
  /** Map channels: MAP_CHANNELS, or with partner rows (`ModelConfig.partner`) MAP_CHANNELS + PARTNER_CHANNELS. Default MAP_CHANNELS. */
  channels?: number;
  /** `ModelConfig.boxAnchorY`: where in its box a person's peak sits, as a fraction of the height from the top. Default 0.5. */
  anchorY?: number;
}

/** Input size, grid and stride (and the box anchor, from its metadata), read from a built or loaded model. */
export function modelGeometry(model: tf.LayersModel): ModelGeometry {
  const inShape = model.inputs[0].shape;
  const outShape = model.outputs[0].shape;
  const S = inShape[1], G = outShape[1];
  const C = outShape[3];
  if (S == null || G == null || inShape[2] !== S || outShape[2] !== G || (C !== MAP_CHANNELS && C !== MAP_CHANNELS + PARTNER_CHANNELS)) {
    throw new Error(`model: expected input [B, S, S, 3] and output [B, G, G, ${MAP_CHANNELS} or ${MAP_CHANNELS + PARTNER_CHANNELS}], got ${JSON.stringify(inShape)} -> ${JSON.stringify(outShape)}`);
  }
  const meta = model.getUserDefinedMetadata() as { boxAnchorY?: unknown } | undefined;
  return { inputSize: S, grid: G, stride: S / G, channels: C, anchorY: checkedAnchorY(meta?.boxAnchorY ?? 0.5, "metadata boxAnchorY") };
}

/** The one range check of a box anchor, from a config (`buildRegressor`) or a loaded model's metadata (`modelGeometry`). */
function checkedAnchorY(v: unknown, what: string): number {
  if (typeof v !== "number" || !(v > 0 && v < 1)) throw new Error(`model: ${what} must be in (0, 1), got ${JSON.stringify(v)}`);
  return v;
}

/**
 * The 2x2 block of grid cells whose centres surround the point (x, y), in cells: the cell holding the
 * point first (clamped to the grid), then its neighbours towards the point's nearer cell edges in x,
 * in y and diagonally; off-grid cells come back null. Training writes a person's targets at these
 * cells around its box centre (`loss.regressAt: "nearest4"`), and `cells: "block"` decoding reads them.
 */
export function cellBlock(x: number, y: number, grid: number): ([number, number] | null)[] {
  const clamp = (v: number) => Math.min(grid - 1, Math.max(0, Math.floor(v)));
  const ix = clamp(x), iy = clamp(y);
  const ox = x - ix < 0.5 ? ix - 1 : ix + 1, oy = y - iy < 0.5 ? iy - 1 : iy + 1;
  const on = (cx: number, cy: number): [number, number] | null => (cx >= 0 && cy >= 0 && cx < grid && cy < grid ? [cx, cy] : null);
  return [[ix, iy], on(ox, iy), on(ix, oy), on(ox, oy)];
}

export interface ModelStats {
  params: number;
  /** Forward FLOPs per image (2 per multiply-add; convs only: the rest is < 1%). */
  flopsPerImage: number;
  stride: number;
  /** Receptive field of an output cell, px. */
  receptiveField: number;
  /** float32 weight bytes (weights.bin of a checkpoint). */
  weightBytes: number;
}

/** Measure a model's size and cost from its layers (counted, not assumed). */
export function modelStats(model: tf.LayersModel): ModelStats {
  let flops = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() !== "Conv2D") continue;
    const c = layer.getConfig() as { kernelSize: number[]; filters: number };
    const inC = (layer.input as tf.SymbolicTensor).shape[3]!;
    const [, h, w] = (layer.output as tf.SymbolicTensor).shape as number[];
    flops += 2 * h * w * c.filters * (c.kernelSize[0] * c.kernelSize[1] * inC);
  }
  const params = model.countParams();
  return { params, flopsPerImage: flops, stride: modelGeometry(model).stride, receptiveField: receptiveField(model), weightBytes: params * 4 };
}

/** Receptive field of the output, following the largest one through merges. */
function receptiveField(model: tf.LayersModel): number {
  // [rf, jump] per symbolic tensor, in topological (layer) order.
  const rf = new Map<string, [number, number]>();
  for (const layer of model.layers) {
    const ins = ([] as tf.SymbolicTensor[]).concat(layer.input as tf.SymbolicTensor | tf.SymbolicTensor[]);
    const out = layer.output as tf.SymbolicTensor;
    const prev = ins.map((t) => rf.get(t.name) ?? ([1, 1] as [number, number])).reduce((a, b) => (b[0] > a[0] ? b : a), [1, 1] as [number, number]);
    const cls = layer.getClassName();
    if (cls === "Conv2D") {
      const c = layer.getConfig() as { kernelSize: number[]; strides: number[] };
      rf.set(out.name, [prev[0] + (c.kernelSize[0] - 1) * prev[1], prev[1] * c.strides[0]]);
    } else if (cls === "UpSampling2D") {
      rf.set(out.name, [prev[0], prev[1] / 2]);
    } else rf.set(out.name, prev);
  }
  return rf.get((model.outputs[0] as tf.SymbolicTensor).name)![0];
}

/** A person's parameters, split out of the map channels at its cell. */
export interface PersonParams {
  /** [N] the highest heatmap logit of the cell's sub-cells */
  heat: tf.Tensor1D;
  /** [N, 2] cells */
  boxOffset: tf.Tensor2D;
  /** [N, 2] / S */
  boxSize: tf.Tensor2D;
  /** [N] log(z / (fx / W)) */
  depth: tf.Tensor1D;
  /** [N, 5] */
  betas: tf.Tensor2D;
  /** [N, 17, 2] (px - cell centre px) / S */
  joints2d: tf.Tensor3D;
  /** [N, 24, 6] */
  rot6d: tf.Tensor3D;
  /** [N, 17, 3] metres, the direct 3D output (torso frame) */
  joints3d: tf.Tensor3D;
  /** [N, 8] yaw-class logits */
  yawLogits: tf.Tensor2D;
  /** [N, 8] yaw residual per class */
  yawResidual: tf.Tensor2D;
  /** [N, 6] */
  tilt6d: tf.Tensor2D;
}

/** Split [N, 265] per-person map rows into named parameters (slices, differentiable). */
export function splitParams(rows: tf.Tensor2D): PersonParams {
  const N = rows.shape[0];
  const take = ([c, n]: readonly [number, number]) => rows.slice([0, c], [N, n]);
  return tf.tidy(() => ({
    heat: take(MAP.heat).max(1) as tf.Tensor1D,
    boxOffset: take(MAP.boxOffset) as tf.Tensor2D,
    boxSize: take(MAP.boxSize) as tf.Tensor2D,
    depth: take(MAP.depth).reshape([N]) as tf.Tensor1D,
    betas: take(MAP.betas) as tf.Tensor2D,
    joints2d: take(MAP.joints2d).reshape([N, NUM_EVAL_JOINTS, 2]) as tf.Tensor3D,
    rot6d: take(MAP.rot6d).reshape([N, NUM_ROTATIONS, 6]) as tf.Tensor3D,
    joints3d: take(MAP.joints3d).reshape([N, NUM_EVAL_JOINTS, 3]) as tf.Tensor3D,
    yawLogits: take(MAP.yawLogits) as tf.Tensor2D,
    yawResidual: take(MAP.yawResidual) as tf.Tensor2D,
    tilt6d: take(MAP.tilt6d) as tf.Tensor2D,
  }) as tf.TensorContainerObject) as unknown as PersonParams;
}

// [17, 25] one-hot rows picking the H36M joints out of BODY_25. A matmul rather than tf.gather:
// gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks.
const H36M_SELECT = Float32Array.from({ length: NUM_EVAL_JOINTS * NUM_BODY_JOINTS }, (_, i) =>
  BODY_TO_H36M[Math.floor(i / NUM_BODY_JOINTS)] === i % NUM_BODY_JOINTS ? 1 : 0);

/**
 * The body model on per-person parameters: 6D rotations and betas -> FK -> H36M_17 joints.
 * @param rot6d [N, 24, 6] local rotations (rotation 0 = global orientation)
 * @param betas [N, 5]
 * @returns     [N, 17, 3] metres, pelvis-relative, in the frame rotation 0 is given in (the model's:
 *              the torso frame, body/orientation.ts)
 */
export function bodyJoints(rot6d: tf.Tensor, betas: tf.Tensor): tf.Tensor3D {
  return tf.tidy(() => {
    const N = rot6d.shape[0];
    const j25 = fkTf(rot6d, restOffsetsTf(betas)); // [N, 25, 3]
    const sel = tf.tensor2d(H36M_SELECT, [NUM_EVAL_JOINTS, NUM_BODY_JOINTS]);
    // (N*3 x 25) x (25 x 17) -> N*3 x 17 -> N x 17 x 3
    const cols = j25.transpose([0, 2, 1]).reshape([N * 3, NUM_BODY_JOINTS]);
    return tf.matMul(cols, sel, false, true).reshape([N, 3, NUM_EVAL_JOINTS]).transpose([0, 2, 1]) as tf.Tensor3D;
  });
}
