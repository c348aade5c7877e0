/**
 * Raster overlays for looking at samples: 2D skeletons, boxes, markers and a tiny bitmap font, drawn
 * straight into RGB pixel arrays (no canvas package: none installs offline here, and 128x128 panels
 * need nothing fancier). Lines are 1 px by default, no anti-aliasing; upscale first (nearest) so that
 * thin lines over a 128x128 image stay readable.
 *
 * Legend: a Canvas is [H, W, 3] row-major RGB, either Float32Array in [0, 1] (a Sample's image) or
 * bytes; colours are always given as bytes [r, g, b] in 0..255 and converted for float canvases.
 * Coordinates are pixel positions as in lib/world/camera.ts: pixel (i, j) covers [i, i+1) x [j, j+1).
 */
import { H36M_EDGES, H36M_SIDE } from "../body/joints";
import { tileImages } from "../world/png";

export type PixelArray = Float32Array | Uint8Array | Uint8ClampedArray;
export type Colour = readonly [number, number, number];

/** [H, W, 3] RGB pixels with their size. */
export interface Canvas<T extends PixelArray = PixelArray> {
  data: T;
  width: number;
  height: number;
}

/** Skeleton colours by side of the body: the person's LEFT limbs blue, RIGHT red, centre yellow. */
export const SIDE_COLOURS: Record<"L" | "R" | "C", Colour> = { L: [40, 150, 255], R: [255, 60, 40], C: [255, 220, 0] };
export const BLACK: Colour = [0, 0, 0];
export const WHITE: Colour = [255, 255, 255];

/** A byte copy of any canvas (floats in [0, 1] are rounded and clamped). */
export function toCanvas8(c: Canvas): Canvas<Uint8Array> {
  const out = new Uint8Array(c.data.length);
  const k = c.data instanceof Float32Array ? 255 : 1;
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(c.data[i] * k)));
  return { data: out, width: c.width, height: c.height };
}

/** [h, w, 3] -> [h k, w k, 3] by pixel repetition (nearest), same array type: exact, no new colours. */
export function upscale<T extends PixelArray>(img: T, w: number, h: number, k: number): T {
  if (!Number.isInteger(k) || k < 1) throw new Error(`upscale: k must be a positive integer, got ${k}`);
  if (img.length !== w * h * 3) throw new Error(`upscale: ${img.length} values for ${w}x${h}x3`);
  const W = w * k;
  const out = new (img.constructor as new (n: number) => T)(W * h * k * 3);
  for (let y = 0; y < h; y++) {
    const row = y * k * W * 3;
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      for (let dx = 0; dx < k; dx++) out.set(img.subarray(s, s + 3), row + (x * k + dx) * 3);
    }
    for (let dy = 1; dy < k; dy++) out.copyWithin(row + dy * W * 3, row, row + W * 3);
  }
  return out;
}

/** `upscale` for a Canvas. */
export function upscaleCanvas<T extends PixelArray>(c: Canvas<T>, k: number): Canvas<T> {
  return { data: upscale(c.data, c.width, c.height, k), width: c.width * k, height: c.height * k };
}

/** Set pixel (x, y) (integer) to `colour`, blended by `alpha` over what is there; outside the image: no-op. */
export function setPixel(c: Canvas, x: number, y: number, colour: Colour, alpha = 1): void {
  if (x < 0 || y < 0 || x >= c.width || y >= c.height) return;
  const i = (y * c.width + x) * 3, k = c.data instanceof Float32Array ? 1 / 255 : 1;
  for (let ch = 0; ch < 3; ch++) c.data[i + ch] = alpha === 1 ? colour[ch] * k : (1 - alpha) * c.data[i + ch] + alpha * colour[ch] * k;
}

/** A filled square of side `t` centred on the pixel under (x, y): the pen of every line. */
function dab(c: Canvas, x: number, y: number, colour: Colour, t: number): void {
  const x0 = Math.floor(x) - Math.floor((t - 1) / 2), y0 = Math.floor(y) - Math.floor((t - 1) / 2);
  for (let dy = 0; dy < t; dy++) for (let dx = 0; dx < t; dx++) setPixel(c, x0 + dx, y0 + dy, colour);
}

export interface LineStyle {
  /** Pen width in px (default 1). */
  thickness?: number;
  /** Dash period in px: `dash` on, `dash` off; 0 = solid. */
  dash?: number;
}

/** A straight line from (x0, y0) to (x1, y1), stepping one pixel along the longer axis (DDA). */
export function drawLine(c: Canvas, x0: number, y0: number, x1: number, y1: number, colour: Colour, style: LineStyle = {}): void {
  if (![x0, y0, x1, y1].every(Number.isFinite)) return;
  const t = style.thickness ?? 1, dash = style.dash ?? 0;
  // Clamp absurd lengths (a joint projected from behind the camera) so a bad label cannot hang a figure.
  const n = Math.min(Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))), 8 * (c.width + c.height));
  for (let s = 0; s <= n; s++) {
    if (dash > 0 && Math.floor(s / dash) % 2 === 1) continue;
    const f = n === 0 ? 0 : s / n;
    dab(c, x0 + f * (x1 - x0), y0 + f * (y1 - y0), colour, t);
  }
}

/** A disc of radius r px around (x, y); `hollow` draws only its 1 px rim. */
export function drawDisc(c: Canvas, x: number, y: number, r: number, colour: Colour, opts: { hollow?: boolean } = {}): void {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return;
  for (let py = Math.floor(y - r); py <= Math.floor(y + r); py++) {
    for (let px = Math.floor(x - r); px <= Math.floor(x + r); px++) {
      const d = Math.hypot(px + 0.5 - x, py + 0.5 - y);
      if (d <= r && (!opts.hollow || d > r - 1)) setPixel(c, px, py, colour);
    }
  }
}

/** The outline of box [x0, y0, x1, y1] (px, exclusive right/bottom edges as in PersonLabel.box). */
export function drawBox(c: Canvas, box: readonly number[], colour: Colour, style: LineStyle = {}): void {
  const [x0, y0] = [box[0] + 0.5, box[1] + 0.5], [x1, y1] = [box[2] - 0.5, box[3] - 0.5];
  drawLine(c, x0, y0, x1, y0, colour, style);
  drawLine(c, x1, y0, x1, y1, colour, style);
  drawLine(c, x1, y1, x0, y1, colour, style);
  drawLine(c, x0, y1, x0, y0, colour, style);
}

/** A point marker: "cross" (x), "plus" (+), "disc" or "ring", `size` px across. */
export function drawMarker(c: Canvas, x: number, y: number, colour: Colour, opts: { shape?: "cross" | "plus" | "disc" | "ring"; size?: number; thickness?: number } = {}): void {
  const s = (opts.size ?? 5) / 2, shape = opts.shape ?? "cross", style = { thickness: opts.thickness ?? 1 };
  if (shape === "cross") {
    drawLine(c, x - s, y - s, x + s, y + s, colour, style);
    drawLine(c, x - s, y + s, x + s, y - s, colour, style);
  } else if (shape === "plus") {
    drawLine(c, x - s, y, x + s, y, colour, style);
    drawLine(c, x, y - s, x, y + s, colour, style);
  } else drawDisc(c, x, y, s, colour, { hollow: shape === "ring" });
}

export interface SkeletonStyle {
  /** Multiply coordinates by this (a label in 128 px space drawn on an upscaled canvas). Default 1. */
  scale?: number;
  /** Line width in px (default 1). */
  thickness?: number;
  /** Joint dot radius in px (default thickness + 0.5); 0 hides dots. */
  jointRadius?: number;
  /** A dark rim one pixel wider than each line, so skeletons read on any background. Default true. */
  outline?: boolean;
  /** One colour for the whole skeleton instead of left/right/centre (e.g. a prediction). */
  colour?: Colour;
}

/**
 * An H36M_17 skeleton. `joints2d`: [17][2] px. `visible`: [17] 1/0; a bone with an invisible end is
 * dashed and an invisible joint is a hollow ring, so occluded or out-of-frame parts read as such.
 */
export function drawSkeleton(c: Canvas, joints2d: readonly (readonly number[])[], visible?: readonly number[], style: SkeletonStyle = {}): void {
  const k = style.scale ?? 1, t = style.thickness ?? 1, r = style.jointRadius ?? t + 0.5;
  const vis = (j: number) => !visible || visible[j] > 0;
  const p = joints2d.map((q) => [q[0] * k, q[1] * k]);
  const col = (j: number) => style.colour ?? SIDE_COLOURS[H36M_SIDE[j]];
  if (style.outline ?? true) {
    for (const [a, b] of H36M_EDGES) if (vis(a) && vis(b)) drawLine(c, p[a][0], p[a][1], p[b][0], p[b][1], BLACK, { thickness: t + 2 });
    if (r > 0) p.forEach((q, j) => vis(j) && drawDisc(c, q[0], q[1], r + 1, BLACK));
  }
  // A bone takes the colour of its child joint (H36M_EDGES lists [child, parent]): limbs by side, spine centre.
  for (const [a, b] of H36M_EDGES) drawLine(c, p[a][0], p[a][1], p[b][0], p[b][1], col(a), { thickness: t, dash: vis(a) && vis(b) ? 0 : 2 * t });
  if (r > 0) p.forEach((q, j) => drawDisc(c, q[0], q[1], r, col(j), { hollow: !vis(j) }));
}

// ---------------------------------------------------------------- a 3x5 bitmap font for captions

// Each glyph: five rows of three cells, '#' = ink. Lower case prints as upper case.
const GLYPH_ROWS: Record<string, string> = {
  A: ".#. #.# ### #.# #.#", B: "##. #.# ##. #.# ##.", C: ".## #.. #.. #.. .##", D: "##. #.# #.# #.# ##.",
  E: "### #.. ##. #.. ###", F: "### #.. ##. #.. #..", G: ".## #.. #.# #.# .##", H: "#.# #.# ### #.# #.#",
  I: "### .#. .#. .#. ###", J: "..# ..# ..# #.# .#.", K: "#.# #.# ##. #.# #.#", L: "#.. #.. #.. #.. ###",
  M: "#.# ### ### #.# #.#", N: "##. #.# #.# #.# #.#", O: ".#. #.# #.# #.# .#.", P: "##. #.# ##. #.. #..",
  Q: ".#. #.# #.# ##. .##", R: "##. #.# ##. #.# #.#", S: ".## #.. .#. ..# ##.", T: "### .#. .#. .#. .#.",
  U: "#.# #.# #.# #.# ###", V: "#.# #.# #.# #.# .#.", W: "#.# #.# ### ### #.#", X: "#.# #.# .#. #.# #.#",
  Y: "#.# #.# .#. .#. .#.", Z: "### ..# .#. #.. ###", "0": "### #.# #.# #.# ###", "1": ".#. ##. .#. .#. ###",
  "2": "##. ..# .#. #.. ###", "3": "##. ..# .#. ..# ##.", "4": "#.# #.# ### ..# ..#", "5": "### #.. ##. ..# ##.",
  "6": ".## #.. ### #.# ###", "7": "### ..# .#. .#. .#.", "8": "### #.# ### #.# ###", "9": "### #.# ### ..# ##.",
  " ": "... ... ... ... ...", ".": "... ... ... ... .#.", "-": "... ... ### ... ...", ":": "... .#. ... .#. ...",
  "/": "..# ..# .#. #.. #..", "(": ".#. #.. #.. #.. .#.", ")": ".#. ..# ..# ..# .#.", "=": "... ### ... ### ...",
  ",": "... ... ... .#. #..", "_": "... ... ... ... ###", "+": "... .#. ### .#. ...", "#": "#.# ### #.# ### #.#",
  "?": "##. ..# .#. ... .#.", "%": "#.. ..# .#. #.. ..#", "'": ".#. .#. ... ... ...", "<": "..# .#. #.. .#. ..#",
  ">": "#.. .#. ..# .#. #..",
};
const GLYPHS: Record<string, string> = Object.fromEntries(Object.entries(GLYPH_ROWS).map(([k, v]) => [k, v.replace(/ /g, "")]));
const glyph = (ch: string) => GLYPHS[ch.toUpperCase()] ?? GLYPHS["?"];

/** Width in px of `text` at `scale` (4 px advance per character at scale 1, no trailing gap). */
export function textWidth(text: string, scale = 1): number {
  return Math.max(0, text.length * 4 - 1) * scale;
}

/** `text` with its top-left at (x, y), each font cell `scale` px; "\n" starts a new line; `background` fills a 1-cell margin behind each line. */
export function drawText(c: Canvas, x: number, y: number, text: string, colour: Colour, opts: { scale?: number; background?: Colour } = {}): void {
  const s = opts.scale ?? 1;
  text.split("\n").forEach((line, row) => {
    const y0 = y + row * 7 * s;
    if (opts.background) {
      for (let py = y0 - s; py < y0 + 6 * s; py++) for (let px = x - s; px < x + textWidth(line, s) + s; px++) setPixel(c, px, py, opts.background);
    }
    [...line].forEach((ch, n) => {
      const g = glyph(ch);
      for (let i = 0; i < 15; i++) {
        if (g[i] !== "#") continue;
        const gx = x + (n * 4 + (i % 3)) * s, gy = y0 + Math.floor(i / 3) * s;
        for (let dy = 0; dy < s; dy++) for (let dx = 0; dx < s; dx++) setPixel(c, gx + dx, gy + dy, colour);
      }
    });
  });
}

/**
 * Equal-sized images in a grid `cols` wide (grey 2 px gaps, see tileImages), each optionally captioned
 * in its top-left corner (white on black, upper case; the font has A-Z, 0-9 and a little punctuation).
 */
export function montage(images: readonly Canvas[], opts: { cols: number; labels?: readonly string[]; gap?: number; textScale?: number }): Canvas<Uint8Array> {
  if (!images.length) throw new Error("montage: no images");
  const { width: w, height: h } = images[0];
  images.forEach((im, i) => {
    if (im.width !== w || im.height !== h) throw new Error(`montage: image ${i} is ${im.width}x${im.height}, expected ${w}x${h}`);
  });
  const bytes = images.map((im) => (im.data instanceof Float32Array ? toCanvas8(im).data : im.data));
  const gap = opts.gap ?? 2;
  const t = tileImages(bytes, w, h, opts.cols, gap);
  const out: Canvas<Uint8Array> = { data: t.rgb, width: t.width, height: t.height };
  const s = opts.textScale ?? Math.max(1, Math.floor(w / 128));
  opts.labels?.forEach((label, i) => {
    if (!label) return;
    const ox = gap + (i % opts.cols) * (w + gap), oy = gap + Math.floor(i / opts.cols) * (h + gap);
    drawText(out, ox + 2 * s, oy + 2 * s, label, WHITE, { scale: s, background: BLACK });
  });
  return out;
}
