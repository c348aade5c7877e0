/**
 * The report's colour jitter as a seeded tensor op: the K augmentations of its confident filter
 * (after MixMatch), i.e. torchvision's `ColorJitter(brightness=0.15, contrast=0.15, hue=0.05)`.
 * Images are [B, H, W, 3] RGB in [0, 1]; B: batch, H x W: pixels.
 *
 * Order: brightness, contrast, hue, always. torchvision draws a random order per call, but here it
 * hardly matters: brightness and contrast are both affine in intensity and commute exactly without
 * clipping (c (b x) + (1 - c) mean(b x) = b (c x + (1 - c) mean(x))); a hue rotation commutes exactly
 * with brightness (scaling RGB keeps H and S), and with contrast up to the small change of the image's
 * mean grey that a hue shift of at most 0.05 makes. A fixed order also keeps the rng stream simple.
 * Like torchvision, each step clamps to [0, 1], so clipping happens where torchvision's would.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";

export interface JitterConfig {
  /** Multiplicative brightness factor range; 1 = unchanged. */
  brightness: [number, number];
  /** Contrast factor range (blend with the image's mean grey); 1 = unchanged. */
  contrast: [number, number];
  /** Hue shift range in fractions of the colour circle; 0 = unchanged. */
  hue: [number, number];
}

/** torchvision ColorJitter(brightness=0.15, contrast=0.15, hue=0.05): METHOD.md section 1 item 5. */
export const DEFAULT_JITTER: JitterConfig = { brightness: [0.85, 1.15], contrast: [0.85, 1.15], hue: [-0.05, 0.05] };

export interface JitterParams {
  brightness: number;
  contrast: number;
  hue: number;
}

/** ITU-R 601 luma weights, as torchvision's rgb_to_grayscale (0.2989, not 0.299). */
const GREY = [0.2989, 0.587, 0.114];

/**
 * n parameter sets, each drawn as brightness, contrast, hue (three `rng.uniform` calls per set, set 0
 * first). `strength` scales the deviation from the identity: factor = 1 + strength (u - 1), hue =
 * strength u. The draws happen whatever the strength, so a strength sweep sees the same underlying u.
 */
export function drawJitterParams(rng: Rng, n: number, cfg: JitterConfig = DEFAULT_JITTER, strength = 1): JitterParams[] {
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`drawJitterParams: n must be a non-negative integer, got ${n}`);
  if (!(strength >= 0 && Number.isFinite(strength))) throw new Error(`drawJitterParams: strength must be finite and >= 0, got ${strength}`);
  for (const key of ["brightness", "contrast", "hue"] as const) {
    const [lo, hi] = cfg[key];
    if (!(lo <= hi)) throw new Error(`drawJitterParams: ${key} range [${lo}, ${hi}] is empty`);
  }
  const out: JitterParams[] = [];
  for (let i = 0; i < n; i++) {
    const b = rng.uniform(...cfg.brightness);
    const c = rng.uniform(...cfg.contrast);
    const h = rng.uniform(...cfg.hue);
    // Factors below 0 would invert the image: not a jitter any more. Strength 0 gives hue +0, not -0.
    out.push({ brightness: Math.max(0, 1 + strength * (b - 1)), contrast: Math.max(0, 1 + strength * (c - 1)), hue: strength === 0 ? 0 : strength * h });
  }
  return out;
}

/** x - floor(x): the fractional part, in [0, 1) also for negative x (wraps hue around the circle). */
function fract(x: tf.Tensor): tf.Tensor {
  return tf.sub(x, tf.floor(x));
}

/**
 * RGB [..., 3] in [0, 1] -> HSV [..., 3] (h in [0, 1) fractions of the circle, s, v in [0, 1]),
 * following torchvision's _rgb2hsv: grey pixels (max = min) get h = 0, s = 0.
 */
export function rgbToHsv<T extends tf.Tensor>(rgb: T): T {
  return tf.tidy(() => {
    const [r, g, b] = tf.split(rgb, 3, -1);
    const maxc = tf.max(rgb, -1, true);
    const minc = tf.min(rgb, -1, true);
    const cr = tf.sub(maxc, minc);
    const grey = tf.equal(maxc, minc);
    const ones = tf.onesLike(maxc);
    const s = tf.div(cr, tf.where(grey, ones, maxc));
    const crSafe = tf.where(grey, ones, cr);
    const rc = tf.div(tf.sub(maxc, r), crSafe);
    const gc = tf.div(tf.sub(maxc, g), crSafe);
    const bc = tf.div(tf.sub(maxc, b), crSafe);
    // Sextant offsets 0 / 2 / 4 for red / green / blue maximum; red wins ties, then green.
    const h6 = tf.where(tf.equal(maxc, r), tf.sub(bc, gc), tf.where(tf.equal(maxc, g), tf.add(2, tf.sub(rc, bc)), tf.add(4, tf.sub(gc, rc))));
    return tf.concat([fract(tf.div(h6, 6)), s, maxc], -1) as T;
  });
}

/** Where each channel's ramp sits on the hue circle (R, G, B), for `hsvToRgb`. */
const CHANNEL_OFFSET = [5 / 6, 3 / 6, 1 / 6];

/**
 * HSV [..., 3] -> RGB [..., 3]. The branch-free form c = v - v s clamp(min(k, 4 - k), 0, 1) with
 * k = (n + 6 h) mod 6, n = 5, 3, 1 for R, G, B: the same piecewise-linear function as torchvision's
 * six-sextant table, without gathers. Any real h is accepted (it wraps).
 */
export function hsvToRgb<T extends tf.Tensor>(hsv: T): T {
  return tf.tidy(() => {
    const [h, s, v] = tf.split(hsv, 3, -1);
    const k = tf.mul(fract(tf.add(h, tf.tensor1d(CHANNEL_OFFSET))), 6);
    const ramp = tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1);
    return tf.sub(v, tf.mul(tf.mul(v, s), ramp)) as T;
  });
}

/**
 * The jitter written as tfjs ops: the readable statement of the operation, and the independent
 * reference the fast `applyJitter` is tested against. On wasm its ~25 full-size elementwise kernels
 * cost 1.2 s per 64 images at 128 px, more than the model's forward pass on them (0.5 s), which made
 * the filter's pass 3x slower than it needs to be (bench/pseudo.ts).
 */
export function applyJitterOps(images: tf.Tensor4D, params: readonly JitterParams[]): tf.Tensor4D {
  const [B, , , C] = images.shape;
  if (C !== 3) throw new Error(`applyJitter: images must be [B, H, W, 3], got [${images.shape}]`);
  if (params.length !== B) throw new Error(`applyJitter: ${params.length} parameter sets for ${B} images`);
  return tf.tidy(() => {
    const perImage = (key: keyof JitterParams) => tf.tensor4d(params.map((p) => p[key]), [B, 1, 1, 1]);
    // torchvision: adjust_brightness = blend(img, 0, b), clamped.
    const bright = tf.clipByValue(tf.mul(images, perImage("brightness")), 0, 1);
    // torchvision: adjust_contrast = blend(img, mean(grayscale(img)), c); the mean is per image.
    const meanGrey = tf.mean(tf.sum(tf.mul(bright, tf.tensor1d(GREY)), -1, true), [1, 2, 3], true);
    const c = perImage("contrast");
    const contrasted = tf.clipByValue(tf.add(tf.mul(bright, c), tf.mul(tf.sub(1, c), meanGrey)), 0, 1);
    if (params.every((p) => p.hue === 0)) return contrasted as tf.Tensor4D;
    const hsv = rgbToHsv(contrasted);
    const [h, sv] = tf.split(hsv, [1, 2], -1);
    const shifted = tf.concat([tf.add(h, perImage("hue")), sv], -1);
    // A hue rotation keeps s and v, so the result is in [0, 1] up to rounding; clamp that away.
    return tf.clipByValue(hsvToRgb(shifted), 0, 1) as tf.Tensor4D;
  });
}

/**
 * Jitters image i of `images` [B, H, W, 3] (in [0, 1]) with `params[i]`; returns [B, H, W, 3] in [0, 1].
 * The hue step is skipped when every hue shift is 0, so zero strength is the exact identity. One fused
 * pass per pixel in plain JS (the same arithmetic as `applyJitterOps`, which tests hold it to): 40x
 * faster than the op-by-op version on wasm.
 */
export function applyJitter(images: tf.Tensor4D, params: readonly JitterParams[]): tf.Tensor4D {
  const [B, H, W, C] = images.shape;
  if (C !== 3) throw new Error(`applyJitter: images must be [B, H, W, 3], got [${images.shape}]`);
  if (params.length !== B) throw new Error(`applyJitter: ${params.length} parameter sets for ${B} images`);
  const src = images.dataSync() as Float32Array;
  const out = new Float32Array(src.length), n = H * W;
  for (let b = 0; b < B; b++) jitterPixels(src.subarray(b * n * 3, (b + 1) * n * 3), out.subarray(b * n * 3, (b + 1) * n * 3), params[b]);
  return tf.tensor4d(out, [B, H, W, 3]);
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

/** One image's pixels (RGB interleaved) jittered into `dst`: brightness, contrast, hue, clamping after each. */
export function jitterPixels(src: Float32Array, dst: Float32Array, p: JitterParams): void {
  const n = src.length / 3;
  let grey = 0;
  for (let i = 0; i < src.length; i += 3) {
    const r = clamp01(src[i] * p.brightness), g = clamp01(src[i + 1] * p.brightness), bl = clamp01(src[i + 2] * p.brightness);
    dst[i] = r; dst[i + 1] = g; dst[i + 2] = bl;
    grey += GREY[0] * r + GREY[1] * g + GREY[2] * bl;
  }
  const m = (1 - p.contrast) * (grey / n), c = p.contrast;
  for (let i = 0; i < dst.length; i++) dst[i] = clamp01(dst[i] * c + m);
  if (p.hue === 0) return;
  for (let i = 0; i < dst.length; i += 3) {
    const r = dst[i], g = dst[i + 1], bl = dst[i + 2];
    const maxc = r > g ? (r > bl ? r : bl) : g > bl ? g : bl, minc = r < g ? (r < bl ? r : bl) : g < bl ? g : bl, cr = maxc - minc;
    if (cr === 0) continue; // grey: a hue rotation leaves it unchanged
    const rc = (maxc - r) / cr, gc = (maxc - g) / cr, bc = (maxc - bl) / cr;
    const h6 = maxc === r ? bc - gc : maxc === g ? 2 + rc - bc : 4 + gc - rc;
    let h = h6 / 6 + p.hue;
    h -= Math.floor(h);
    const s = cr / maxc;
    for (let ch = 0; ch < 3; ch++) {
      let k = (CHANNEL_OFFSET[ch] + h) * 6;
      k -= 6 * Math.floor(k / 6);
      const ramp = Math.min(1, Math.max(0, Math.min(k, 4 - k)));
      dst[i + ch] = clamp01(maxc - maxc * s * ramp);
    }
  }
}

/** One jitter per image, parameters drawn from `rng` (see `drawJitterParams` for the draw order). */
export function colourJitter(images: tf.Tensor4D, rng: Rng, cfg: JitterConfig = DEFAULT_JITTER, strength = 1): tf.Tensor4D {
  return applyJitter(images, drawJitterParams(rng, images.shape[0], cfg, strength));
}

/**
 * k jittered copies of each image, [B * k, H, W, 3]: copy c of image b at row b k + c, so one forward
 * pass scores a whole batch of copies and `reshape([B, k, ...])` of any per-row output regroups it.
 * The originals are not included. Parameters: `drawJitterParams(rng, B * k, cfg)`, row order, i.e.
 * image 0's k copies first; the same seed gives the same copies for the same B and k.
 */
export function jitterCopies(images: tf.Tensor4D, k: number, rng: Rng, cfg: JitterConfig = DEFAULT_JITTER): tf.Tensor4D {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`jitterCopies: k must be a positive integer, got ${k}`);
  const B = images.shape[0];
  const params = drawJitterParams(rng, B * k, cfg);
  return tf.tidy(() => {
    const rows = tf.tensor1d(Array.from({ length: B * k }, (_, i) => Math.floor(i / k)), "int32");
    return applyJitter(tf.gather(images, rows), params);
  });
}
