/**
 * Procedural backgrounds and camera-like post-processing, seeded and fast (each ~0.3-0.6 ms per 128x128
 * image on one core; see bench/render.ts).
 *
 * The backdrop is geometry seen through the scene camera, so it agrees with the people's perspective:
 * the ground plane y = 0 in front, and a vertical backdrop plane facing the camera `backdrop` metres
 * ahead of it (horizontally) behind the people. Per pixel the ray hits whichever is nearer:
 * - "lab" (the MPI-INF-3DHP analogue): a plain wall over a floor with a soft floor line, or (with
 *   probability `greenScreen`) a chroma-key cyclorama whose wall and floor blend smoothly, with lab wall
 *   at its sides; a few boxes and light stands;
 * - "studio" (the CMU Panoptic analogue): the inside of a dome of light panels in staggered rows, a small
 *   dark camera on every panel, darkening where the dome curves away, over a grey floor;
 * - "street": building facades with window grids and shop fronts under a sky, pavement tiles and road
 *   with lane marks in perspective, then clutter (poles, cars, trees, boxes) standing on the ground.
 * Clutter objects are drawn into the background, so they are always behind the people.
 *
 * `BackgroundStyle` holds the knobs a domain-gap module scales: clutter, texture and the palette's
 * colour statistics (tint, saturation, brightness). `PostParams` holds the camera's: white balance,
 * gamma, contrast, sensor noise and blur.
 *
 * Images: Float32Array HWC, RGB in [0, 1], the camera's width x height.
 */
import { Rng } from "../core/rng";
import { Camera, cameraCentre } from "./camera";
import type { RGB } from "./render";

/** The same strings as world/domains' background kinds. */
export type BackdropKind = "lab" | "studio" | "street";
export const BACKDROP_KINDS: readonly BackdropKind[] = ["lab", "studio", "street"];

export interface BackgroundStyle {
  kind: BackdropKind;
  /** lab only: probability of a chroma-key green (or blue) screen instead of a plain wall */
  greenScreen?: number;
  /** [0, 1]: how many objects (0 = bare backdrop; 1 = ~14 street objects or ~6 lab objects) */
  clutter: number;
  /** [0, 1]: amplitude of texture (low-frequency blotches and pixel grain) */
  texture: number;
  /** per-channel multiplier on every palette colour: the domain's colour cast */
  tint: RGB;
  /** 1 = natural palette, 0 = grey, > 1 more saturated */
  saturation: number;
  /** multiplier on every palette colour */
  brightness: number;
  /** metres ahead of the camera (horizontally) of the backdrop plane; default drawn behind the looked-at ground point */
  backdrop?: number;
}

/** Natural defaults per kind; a domain module overrides fields. */
export function defaultBackgroundStyle(kind: BackdropKind): BackgroundStyle {
  const plain = { tint: [1, 1, 1] as RGB, saturation: 1, brightness: 1 };
  if (kind === "street") return { kind, clutter: 0.7, texture: 0.6, ...plain };
  if (kind === "studio") return { kind, clutter: 0.2, texture: 0.1, ...plain };
  return { kind, clutter: 0.3, texture: 0.15, greenScreen: 0.5, ...plain };
}

// Palettes (sRGB-ish [0, 1]), picked from and then jittered per image.
const LAB_WALLS: RGB[] = [[0.86, 0.86, 0.83], [0.74, 0.77, 0.8], [0.8, 0.76, 0.68], [0.55, 0.57, 0.6], [0.22, 0.22, 0.24], [0.68, 0.72, 0.66]];
const LAB_FLOORS: RGB[] = [[0.45, 0.45, 0.47], [0.58, 0.47, 0.35], [0.2, 0.2, 0.22], [0.6, 0.6, 0.55], [0.35, 0.38, 0.45]];
const CHROMA: RGB[] = [[0.16, 0.62, 0.26], [0.1, 0.55, 0.3], [0.12, 0.32, 0.72]];
const FACADES: RGB[] = [[0.62, 0.33, 0.25], [0.75, 0.7, 0.6], [0.55, 0.55, 0.55], [0.85, 0.8, 0.68], [0.45, 0.4, 0.36], [0.7, 0.55, 0.4], [0.5, 0.58, 0.62], [0.9, 0.88, 0.85]];
const GLASS: RGB[] = [[0.18, 0.22, 0.28], [0.3, 0.36, 0.42], [0.12, 0.12, 0.14], [0.45, 0.5, 0.55]];
const SKIES: [RGB, RGB][] = [[[0.8, 0.86, 0.92], [0.35, 0.55, 0.85]], [[0.78, 0.78, 0.8], [0.6, 0.62, 0.66]], [[0.95, 0.8, 0.6], [0.45, 0.5, 0.7]]];
const OBJECTS: RGB[] = [[0.2, 0.2, 0.22], [0.7, 0.1, 0.1], [0.1, 0.25, 0.6], [0.85, 0.85, 0.85], [0.9, 0.75, 0.1], [0.25, 0.4, 0.25], [0.4, 0.3, 0.2]];
const FOLIAGE: RGB[] = [[0.2, 0.38, 0.15], [0.3, 0.45, 0.18], [0.15, 0.3, 0.12]];

/** A palette colour under the style's colour statistics, with per-image jitter. */
function paint(c: RGB, s: BackgroundStyle, rng: Rng, jitter = 0.06): RGB {
  const grey = (c[0] + c[1] + c[2]) / 3;
  return [0, 1, 2].map((k) => Math.max(0, s.brightness * s.tint[k] * (grey + s.saturation * (c[k] - grey)) * (1 + rng.normal(0, jitter)))) as RGB;
}

const smooth = (e0: number, e1: number, x: number): number => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};
const frac = (x: number): number => x - Math.floor(x);

/**
 * Two octaves of value noise over the image (coarse blotches + finer mottling), in about [-1, 1], produced
 * a row at a time. The coarse octave is sampled onto the fine grid's nodes (the fine size is a multiple
 * of the coarse one, so bilinear interpolation of the sum is exact) and each row is interpolated once.
 */
class ValueNoise {
  private grid: Float32Array;
  private x0: Int32Array;
  private fx: Float32Array;
  private tmp: Float32Array;
  /** the current row's noise values, times `amp` */
  readonly row: Float32Array;
  constructor(rng: Rng, private width: number, private height: number, coarse: number, private fine: number, amp: number) {
    if (fine % coarse !== 0) throw new Error("ValueNoise: fine grid must be a multiple of the coarse one");
    const c = new Float32Array((coarse + 1) * (coarse + 1)), g = (this.grid = new Float32Array((fine + 1) * (fine + 1)));
    for (let k = 0; k < c.length; k++) c[k] = rng.uniform(-1, 1);
    const ratio = fine / coarse;
    for (let y = 0; y <= fine; y++) {
      for (let x = 0; x <= fine; x++) {
        const cx = Math.min(coarse - 1, Math.floor(x / ratio)), cy = Math.min(coarse - 1, Math.floor(y / ratio)), ax = x / ratio - cx, ay = y / ratio - cy;
        const base = (c[cy * (coarse + 1) + cx] * (1 - ax) + c[cy * (coarse + 1) + cx + 1] * ax) * (1 - ay) + (c[(cy + 1) * (coarse + 1) + cx] * (1 - ax) + c[(cy + 1) * (coarse + 1) + cx + 1] * ax) * ay;
        g[y * (fine + 1) + x] = amp * (0.65 * base + 0.35 * rng.uniform(-1, 1));
      }
    }
    this.x0 = new Int32Array(width);
    this.fx = new Float32Array(width);
    for (let i = 0; i < width; i++) {
      const x = ((i + 0.5) / width) * fine;
      this.x0[i] = Math.min(fine - 1, Math.floor(x));
      this.fx[i] = x - this.x0[i];
    }
    this.tmp = new Float32Array(fine + 1);
    this.row = new Float32Array(width);
  }
  setRow(j: number): void {
    const g = this.fine, v = this.grid, r = this.tmp, row = this.row, x0 = this.x0, fx = this.fx, W = this.width;
    const y = ((j + 0.5) / this.height) * g, y0 = Math.min(g - 1, Math.floor(y)), fy = y - y0;
    for (let k = 0; k <= g; k++) r[k] = v[y0 * (g + 1) + k] * (1 - fy) + v[(y0 + 1) * (g + 1) + k] * fy;
    for (let i = 0; i < W; i++) {
      const a = r[x0[i]];
      row[i] = a + fx[i] * (r[x0[i] + 1] - a);
    }
  }
}

/** A few 32-bit xorshift steps per pixel: grain that needs no Rng call per value. */
function xorshift(s: number): number {
  s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
  return s | 0;
}

/** Camera geometry shared by the backdrop pass and the object placement. */
interface View {
  C: [number, number, number];
  /** horizontal forward and right unit vectors (world) */
  n: [number, number, number];
  r: [number, number, number];
  /** backdrop distance, metres ahead of the camera horizontally */
  D: number;
}

function viewOf(cam: Camera, style: BackgroundStyle, rng: Rng): View {
  const C = cameraCentre(cam), R = cam.R;
  let nx = R[6], nz = R[8];
  // Looking straight down: the image's "up" (-y axis) stands in for forward.
  if (Math.hypot(nx, nz) < 1e-3) { nx = -R[3]; nz = -R[5]; }
  const nl = Math.hypot(nx, nz);
  nx /= nl; nz /= nl;
  // Default backdrop: a few metres behind where the optical axis meets the ground (or 6 m ahead).
  const hit = R[7] < -1e-3 ? (-C[1] / R[7]) * Math.hypot(R[6], R[8]) : 6;
  const behind = style.kind === "street" ? rng.uniform(3, 8) : rng.uniform(1.5, 4);
  const D = style.backdrop ?? Math.min(14, Math.max(3, hit)) + behind;
  return { C, n: [nx, 0, nz], r: [-nz, 0, nx], D };
}

/** Project a world point to [u, v, zCam] (zCam <= 0: behind the camera). */
function projectPoint(cam: Camera, x: number, y: number, z: number): [number, number, number] {
  const R = cam.R, t = cam.t;
  const xc = R[0] * x + R[1] * y + R[2] * z + t[0], yc = R[3] * x + R[4] * y + R[5] * z + t[1], zc = R[6] * x + R[7] * y + R[8] * z + t[2];
  return [(cam.fx * xc) / zc + cam.cx, (cam.fy * yc) / zc + cam.cy, zc];
}

/** Axis-aligned rectangle with exact pixel-area coverage at its edges, vertical shading top -> bottom. */
function fillRect(img: Float32Array, W: number, H: number, x0: number, y0: number, x1: number, y1: number, c: RGB, topShade = 1, bottomShade = 1): void {
  const i0 = Math.max(0, Math.floor(x0)), i1 = Math.min(W - 1, Math.ceil(x1) - 1), j0 = Math.max(0, Math.floor(y0)), j1 = Math.min(H - 1, Math.ceil(y1) - 1);
  const ih = 1 / Math.max(1e-6, y1 - y0);
  for (let j = j0; j <= j1; j++) {
    const cy = Math.min(j + 1, y1) - Math.max(j, y0);
    if (cy <= 0) continue;
    const sh = topShade + (bottomShade - topShade) * Math.min(1, Math.max(0, (j + 0.5 - y0) * ih));
    for (let i = i0; i <= i1; i++) {
      const a = (Math.min(i + 1, x1) - Math.max(i, x0)) * cy;
      if (a <= 0) continue;
      const k = 3 * (j * W + i), b = 1 - a, s = a * sh;
      img[k] = s * c[0] + b * img[k]; img[k + 1] = s * c[1] + b * img[k + 1]; img[k + 2] = s * c[2] + b * img[k + 2];
    }
  }
}

/** Filled ellipse, coverage from the approximate signed distance, lit from the top (shade 1 -> 0.7). */
function fillEllipse(img: Float32Array, W: number, H: number, cu: number, cv: number, ru: number, rv: number, c: RGB): void {
  const i0 = Math.max(0, Math.floor(cu - ru)), i1 = Math.min(W - 1, Math.ceil(cu + ru)), j0 = Math.max(0, Math.floor(cv - rv)), j1 = Math.min(H - 1, Math.ceil(cv + rv));
  const rm = Math.min(ru, rv);
  for (let j = j0; j <= j1; j++) {
    const dv = (j + 0.5 - cv) / rv;
    for (let i = i0; i <= i1; i++) {
      const du = (i + 0.5 - cu) / ru, q = Math.sqrt(du * du + dv * dv);
      const a = Math.min(1, Math.max(0, (1 - q) * rm + 0.5));
      if (a <= 0) continue;
      const k = 3 * (j * W + i), b = 1 - a, s = a * (0.85 - 0.15 * dv);
      img[k] = s * c[0] + b * img[k]; img[k + 1] = s * c[1] + b * img[k + 1]; img[k + 2] = s * c[2] + b * img[k + 2];
    }
  }
}

interface Building { x0: number; height: number; wall: RGB; glass: RGB; sx: number; sy: number; wx: number; wy: number; ground: number; shop: RGB }

/**
 * A fresh background for `cam` ([H, W, 3] in [0, 1], written into `out` if given). All randomness comes from
 * `rng`, so (cam, style, rng seed) fixes the image bit for bit.
 */
export function renderBackground(cam: Camera, style: BackgroundStyle, rng: Rng, out = new Float32Array(cam.width * cam.height * 3)): Float32Array {
  const W = cam.width, H = cam.height;
  if (out.length !== W * H * 3) throw new Error(`renderBackground: out has ${out.length} values, camera needs ${W}x${H}x3`);
  const v = viewOf(cam, style, rng), { C, n, r, D } = v, R = cam.R;
  const street = style.kind === "street", studio = style.kind === "studio";
  const green = style.kind === "lab" && rng.next() < (style.greenScreen ?? 0.5);
  const grain = style.texture * (street ? 0.08 : 0.03);
  const noise = new ValueNoise(rng, W, H, 4, street ? 16 : 8, style.texture * (street ? 0.25 : 0.12)), blotch = noise.row;
  let seed = rng.nextUint32() | 1;

  // Palette for this image.
  const wall = studio ? paint([0.85, 0.85, 0.83], style, rng, 0.03) : paint(rng.pick(LAB_WALLS), style, rng);
  const floor = paint(studio ? [0.42, 0.42, 0.44] : rng.pick(LAB_FLOORS), style, rng);
  // Dome panels (metres) and their seams and cameras.
  const invPW = 1 / rng.uniform(0.8, 1.2), invPH = 1 / rng.uniform(0.7, 1.0), seam = paint([0.55, 0.55, 0.55], style, rng, 0.05), camDot = paint([0.08, 0.08, 0.09], style, rng, 0.05);
  // The screen is centred near the optical axis (lateral coordinates are absolute, relative to cr = C . r).
  const chroma = paint(rng.pick(CHROMA), style, rng, 0.04), screenHalf = rng.uniform(2.5, 5), screenMid = rng.uniform(-1, 1);
  const [skyLo, skyHi] = rng.pick(SKIES).map((c) => paint(c, style, rng, 0.03));
  const asphalt = paint([0.3, 0.3, 0.32], style, rng, 0.1), pavement = paint([0.6, 0.58, 0.55], style, rng, 0.1), mark = paint([0.9, 0.9, 0.85], style, rng, 0.02);
  const pw = rng.uniform(2.5, 5), invTile = 1 / rng.uniform(0.4, 0.8), lane = D - pw - rng.uniform(2.5, 4);
  const floorLine = green ? 0.08 : 0.012; // relative depth band over which wall blends into floor

  // Facades: consecutive buildings along the backdrop's lateral axis, looked up in 0.25 m bins.
  const xr = (D * (W / 2 + 2)) / cam.fx + D * 0.5 + 4, xlo = C[0] * r[0] + C[2] * r[2] - xr, BIN = 0.25;
  const buildings: Building[] = [], lut = new Uint8Array(Math.ceil((2 * xr) / BIN) + 1);
  if (street) {
    for (let x = xlo; x < xlo + 2 * xr && buildings.length < 255; ) {
      const w = rng.uniform(4, 14), gl = paint(rng.pick(GLASS), style, rng, 0.1);
      buildings.push({ x0: x, height: rng.uniform(5, 28), wall: paint(rng.pick(FACADES), style, rng, 0.08), glass: gl, sx: rng.uniform(1.6, 3.2), sy: rng.uniform(2.8, 3.6), wx: rng.uniform(0.3, 0.7), wy: rng.uniform(0.35, 0.65), ground: rng.uniform(3, 4.5), shop: paint(rng.pick(GLASS), style, rng, 0.15) });
      const b0 = Math.floor((x - xlo) / BIN);
      x += w;
      lut.fill(buildings.length - 1, Math.max(0, b0), Math.min(lut.length, Math.ceil((x - xlo) / BIN)));
    }
  }

  // Ray direction for pixel (i, j) = X a + Y b + Z, a = (u - cx)/fx, b = (v - cy)/fy: keep only its
  // components along n, r and world up, which are linear in (i, j).
  const dot = (o: number, w: number[]): number => R[o] * w[0] + R[o + 1] * w[1] + R[o + 2] * w[2];
  const up = [0, 1, 0];
  const nX = dot(0, n) / cam.fx, nY = dot(3, n) / cam.fy, nZ = dot(6, n);
  const rX = dot(0, r) / cam.fx, rY = dot(3, r) / cam.fy, rZ = dot(6, r);
  const yX = dot(0, up) / cam.fx, yY = dot(3, up) / cam.fy, yZ = dot(6, up);
  const cr = C[0] * r[0] + C[2] * r[2], cy = C[1];

  for (let j = 0; j < H; j++) {
    noise.setRow(j);
    const b = j + 0.5 - cam.cy;
    for (let i = 0; i < W; i++) {
      const a = i + 0.5 - cam.cx;
      const dn = a * nX + b * nY + nZ, dr = a * rX + b * rY + rZ, dy = a * yX + b * yY + yZ;
      let c0: number, c1: number, c2: number;
      if (dn <= 1e-6 && dy >= -1e-6) {
        // Neither backdrop nor ground: sky outdoors, a dim ceiling indoors.
        if (street) { c0 = skyHi[0]; c1 = skyHi[1]; c2 = skyHi[2]; } else { c0 = wall[0] * 0.7; c1 = wall[1] * 0.7; c2 = wall[2] * 0.7; }
      } else if (street) {
        const sw = dn > 1e-6 ? D / dn : Infinity, sg = dy < -1e-6 ? -cy / dy : Infinity;
        if (sg < sw) {
          const gf = sg * dn, gr = sg * dr + cr;
          if (gf > D - pw) {
            const tl = frac(gr * invTile) < 0.06 || frac(gf * invTile) < 0.06 ? 0.82 : 1, curb = gf < D - pw + 0.2 ? 1.15 : 1;
            c0 = pavement[0] * tl * curb; c1 = pavement[1] * tl * curb; c2 = pavement[2] * tl * curb;
          } else if (Math.abs(gf - lane) < 0.08 && frac(gr * (1 / 6)) < 0.5) { c0 = mark[0]; c1 = mark[1]; c2 = mark[2]; }
          else { c0 = asphalt[0]; c1 = asphalt[1]; c2 = asphalt[2]; }
        } else {
          const h = cy + sw * dy, x = sw * dr + cr, bi = Math.min(lut.length - 1, Math.max(0, Math.floor((x - xlo) * (1 / BIN))));
          const bd = buildings[lut[bi]];
          if (h > bd.height) {
            const e = Math.min(1, Math.max(0, (dy / Math.sqrt(dn * dn + dr * dr + dy * dy)) * 2.5));
            c0 = skyLo[0] + e * (skyHi[0] - skyLo[0]); c1 = skyLo[1] + e * (skyHi[1] - skyLo[1]); c2 = skyLo[2] + e * (skyHi[2] - skyLo[2]);
          } else if (h < bd.ground) {
            const shop = h > 0.4 && h < bd.ground - 0.7 && frac((x - bd.x0) / 3.1) > 0.12;
            const k = shop ? bd.shop : bd.wall, m = shop ? 1 : 0.8;
            c0 = k[0] * m; c1 = k[1] * m; c2 = k[2] * m;
          } else {
            const fx = (x - bd.x0) / bd.sx, fy = (h - bd.ground) / bd.sy;
            if (frac(fx) < bd.wx && frac(fy) > 1 - bd.wy) {
              // Some windows are lit or show reflections: vary by a hash of the window's grid cell.
              const lit = xorshift((Math.floor(fx) * 73856093) ^ (Math.floor(fy) * 19349663) ^ lut[bi]) & 7;
              const m = lit === 0 ? 2.2 : 0.85 + lit * 0.05;
              c0 = bd.glass[0] * m; c1 = bd.glass[1] * m; c2 = bd.glass[2] * m;
            } else { c0 = bd.wall[0]; c1 = bd.wall[1]; c2 = bd.wall[2]; }
          }
        }
      } else {
        // Indoors: wall and floor meet in a soft band around q = 0, with
        // q = (ground distance - backdrop distance) / backdrop distance, > 0 where the backdrop is nearer.
        const q = dn <= 1e-6 ? -1 : dy >= -1e-6 ? Infinity : (-cy * dn) / (D * dy) - 1;
        const wBlend = q >= floorLine ? 1 : q <= -floorLine ? 0 : smooth(-floorLine, floorLine, q);
        c0 = 0; c1 = 0; c2 = 0;
        if (wBlend > 0) {
          const h = cy + (D * dy) / dn, x = (D * dr) / dn + cr;
          let wc = green && Math.abs(x - cr - screenMid) < screenHalf ? chroma : wall, wl = h > 3 ? wBlend : wBlend * (0.92 + 0.0267 * h);
          if (studio) {
            // The dome curves away overhead and to the sides: darker there. Staggered rows of panels.
            wl *= (h > 2 ? (h > 5 ? 0.7 : 1.2 - 0.1 * h) : 1) * (1 - 0.012 * x * x > 0.75 ? 1 - 0.012 * x * x : 0.75);
            const ph = h * invPH, px = x * invPW + (Math.floor(ph) & 1) * 0.5, fx = frac(px) - 0.5, fy = frac(ph) - 0.5;
            if (fx > 0.47 || fy > 0.46) wc = seam;
            else if (fx < 0.05 && fx > -0.05 && fy < 0.06 && fy > -0.06) wc = camDot;
          }
          c0 = wl * wc[0]; c1 = wl * wc[1]; c2 = wl * wc[2];
        }
        if (wBlend < 1) {
          const fc = green ? chroma : floor, gf = D * (q + 1), fl = (1 - wBlend) * (green ? 0.85 : gf > 25 ? 0.8 : 1 - 0.008 * gf);
          c0 += fl * fc[0]; c1 += fl * fc[1]; c2 += fl * fc[2];
        }
        if (!green && q < floorLine && q > -floorLine) {
          const corner = 1 - 0.2 * Math.exp((-4 * q * q) / (floorLine * floorLine));
          c0 *= corner; c1 *= corner; c2 *= corner;
        }
      }
      seed = xorshift(seed);
      const m = 1 + blotch[i] + grain * ((seed & 1023) / 512 - 1);
      const k = 3 * (j * W + i);
      out[k] = c0 * m; out[k + 1] = c1 * m; out[k + 2] = c2 * m;
    }
  }
  drawObjects(out, cam, v, style, rng);
  return out;
}

/** Clutter standing on the ground (street) or indoors (lab, studio), drawn far to near. */
function drawObjects(img: Float32Array, cam: Camera, v: View, style: BackgroundStyle, rng: Rng): void {
  const W = cam.width, H = cam.height, { C, n, r, D } = v, f = 0.5 * (cam.fx + cam.fy);
  const street = style.kind === "street";
  const count = Math.round(style.clutter * (street ? 14 : 6) * rng.uniform(0.6, 1.2));
  const lateral = (D * (W / 2)) / cam.fx + 1;
  const objs: { gf: number; gr: number; kind: number }[] = [];
  for (let k = 0; k < count; k++) {
    // kind: 0 pole, 1 car, 2 box/sign, 3 tree (street); 0 light stand, 2 box/panel (lab)
    const kind = street ? rng.weighted([0.3, 0.25, 0.25, 0.2]) : rng.pick([0, 2]);
    const gf = kind === 1 ? D - rng.uniform(4, 6.5) : D - rng.uniform(0.3, street ? 3 : 1.5);
    objs.push({ gf, gr: rng.uniform(-lateral, lateral), kind });
  }
  objs.sort((a, b) => b.gf - a.gf);
  for (const o of objs) {
    const x = C[0] + n[0] * o.gf + r[0] * o.gr, z = C[2] + n[2] * o.gf + r[2] * o.gr;
    const [u, vb, zc] = projectPoint(cam, x, 0, z);
    if (!(zc > 0.5)) continue;
    const s = f / zc; // pixels per metre at the object's depth
    const c = paint(rng.pick(OBJECTS), style, rng, 0.1);
    if (o.kind === 0) {
      const h = rng.uniform(2, 5), w = Math.max(0.6, 0.1 * s);
      const [ut, vt] = projectPoint(cam, x, h, z);
      fillRect(img, W, H, ut - w / 2, vt, ut + w / 2, vb, c, 1, 0.8);
      const lw = rng.uniform(0.3, 0.8) * s;
      fillRect(img, W, H, ut - lw / 2, vt - 0.25 * s, ut + lw / 2, vt + 0.05 * s, paint(rng.pick(OBJECTS), style, rng), 1.1, 0.8);
    } else if (o.kind === 1) {
      const L = rng.uniform(3.8, 4.8) * s, hb = rng.uniform(0.7, 1.0) * s, lift = 0.3 * s;
      fillRect(img, W, H, u - L / 2, vb - lift - hb, u + L / 2, vb - lift * 0.6, c, 1.1, 0.75);
      const cl = L * rng.uniform(0.45, 0.6), ch = rng.uniform(0.45, 0.65) * s;
      fillRect(img, W, H, u - cl / 2, vb - lift - hb - ch, u + cl / 2, vb - lift - hb + 1e-3, [c[0] * 0.35, c[1] * 0.4, c[2] * 0.5], 1.2, 0.9);
      for (const side of [-1, 1]) fillEllipse(img, W, H, u + side * L * 0.32, vb - 0.33 * s, 0.33 * s, 0.33 * s, [0.06, 0.06, 0.07]);
    } else if (o.kind === 2) {
      const w = rng.uniform(0.5, 1.6) * s, h = rng.uniform(0.6, 2.2) * s;
      fillRect(img, W, H, u - w / 2, vb - h, u + w / 2, vb, c, 1.05, 0.8);
    } else {
      const h = rng.uniform(2.2, 4), [ut, vt] = projectPoint(cam, x, h, z), rad = rng.uniform(1, 2) * s;
      fillRect(img, W, H, ut - 0.12 * s, vt, ut + 0.12 * s, vb, [0.3, 0.22, 0.15], 1, 0.8);
      fillEllipse(img, W, H, ut, vt - rad * 0.6, rad, rad * 1.1, paint(rng.pick(FOLIAGE), style, rng));
    }
  }
}

/** What a camera does to the light: white balance, tone curve, sensor noise, optical blur. */
export interface PostParams {
  /** per-channel white-balance gain (1 = neutral) */
  gain: RGB;
  /** out = in^gamma (1 = identity; > 1 darkens the mid-tones) */
  gamma: number;
  /** contrast about mid-grey (1 = identity) */
  contrast: number;
  /** standard deviation of additive sensor noise, image units ([0, 1]) */
  noiseStd: number;
  /** gaussian blur sigma, px (0 = none; below 0.25 px skipped: its outer taps would weigh < 3%) */
  blur: number;
}

export const IDENTITY_POST: PostParams = { gain: [1, 1, 1], gamma: 1, contrast: 1, noiseStd: 0, blur: 0 };

/** A random consumer camera; `strength` scales every deviation from identity (0 = identity). */
export function samplePost(rng: Rng, strength = 1): PostParams {
  return {
    gain: [rng.normal(1, 0.06 * strength), rng.normal(1, 0.03 * strength), rng.normal(1, 0.06 * strength)],
    gamma: Math.exp(rng.normal(0, 0.12 * strength)),
    contrast: Math.exp(rng.normal(0, 0.1 * strength)),
    noiseStd: rng.uniform(0.003, 0.025) * strength,
    blur: rng.next() < 0.5 * Math.min(1, strength) ? rng.uniform(0.3, 1) : 0,
  };
}

/**
 * Applies `p` to `img` ([H, W, 3] in [0, 1]) in place, in the camera's order: blur (optics), noise (sensor),
 * white balance and tone curve (ISP), clamped to [0, 1]. Noise is a sum of 4 uniform bytes per value
 * (Irwin-Hall, std-normalised): gaussian to the eye at a fraction of the cost of Box-Muller.
 */
export function postProcess(img: Float32Array, width: number, height: number, p: PostParams, rng: Rng): Float32Array {
  if (img.length !== width * height * 3) throw new Error(`postProcess: ${img.length} values for ${width}x${height}x3`);
  if (p.blur >= 0.25) {
    // n passes of [a, 1 - 2a, a] add variance 2 a n = sigma^2; a <= 1/4 keeps each pass a low-pass kernel.
    const n = Math.ceil((p.blur * p.blur) / 0.5 - 1e-9);
    for (let k = 0; k < n; k++) blurPass(img, width, height, (p.blur * p.blur) / (2 * n));
  }
  // Tone curve per channel as a 512-entry table (nearest entry: about the 8-bit output's own step),
  // through one shared power table (Math.pow costs ~0.1 us, so 512 of them, not 3 x 512).
  const N = 511, lut = new Float32Array(3 * (N + 1)), pw = new Float32Array(N + 1);
  for (let q = 1; q <= N; q++) pw[q] = p.gamma === 1 ? q / N : Math.exp(p.gamma * Math.log(q / N));
  for (let c = 0; c < 3; c++) {
    for (let q = 0; q <= N; q++) {
      const y = pw[Math.max(0, Math.min(N, Math.round(q * p.gain[c])))];
      lut[c * (N + 1) + q] = Math.min(1, Math.max(0, 0.5 + p.contrast * (y - 0.5)));
    }
  }
  let s = rng.nextUint32() | 1;
  // 147.8 = std of a sum of 4 uniform bytes = sqrt(4 (256^2 - 1) / 12); 510 is its mean.
  const amp = (p.noiseStd / 147.8) * N, n1 = N + 1, n2 = 2 * (N + 1);
  for (let i = 0; i < img.length; i += 3) {
    let x0 = img[i] * N + 0.5, x1 = img[i + 1] * N + 0.5, x2 = img[i + 2] * N + 0.5;
    if (amp > 0) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
      x0 += amp * ((s & 255) + ((s >>> 8) & 255) + ((s >>> 16) & 255) + ((s >>> 24) & 255) - 510);
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
      x1 += amp * ((s & 255) + ((s >>> 8) & 255) + ((s >>> 16) & 255) + ((s >>> 24) & 255) - 510);
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
      x2 += amp * ((s & 255) + ((s >>> 8) & 255) + ((s >>> 16) & 255) + ((s >>> 24) & 255) - 510);
    }
    img[i] = lut[x0 <= 0 ? 0 : x0 >= N ? N : x0 | 0];
    img[i + 1] = lut[n1 + (x1 <= 0 ? 0 : x1 >= N ? N : x1 | 0)];
    img[i + 2] = lut[n2 + (x2 <= 0 ? 0 : x2 >= N ? N : x2 | 0)];
  }
  return img;
}

/** One separable pass of the 3-tap kernel [a, 1 - 2a, a] (variance 2a per axis) over an HWC image, edges replicated. */
export function blurPass(img: Float32Array, width: number, height: number, a = 0.25): void {
  const m = 1 - 2 * a;
  const rowLen = width * 3, last = rowLen - 3;
  let prev = new Float32Array(rowLen), cur = new Float32Array(rowLen);
  for (let o = 0; o < img.length; o += rowLen) {
    // Horizontal, all three channels of a pixel at once; l* hold the original left neighbour.
    let l0 = img[o], l1 = img[o + 1], l2 = img[o + 2];
    for (let k = o; k < o + last; k += 3) {
      const m0 = img[k], m1 = img[k + 1], m2 = img[k + 2];
      img[k] = a * (l0 + img[k + 3]) + m * m0;
      img[k + 1] = a * (l1 + img[k + 4]) + m * m1;
      img[k + 2] = a * (l2 + img[k + 5]) + m * m2;
      l0 = m0; l1 = m1; l2 = m2;
    }
    const k = o + last;
    img[k] = a * l0 + (1 - a) * img[k]; img[k + 1] = a * l1 + (1 - a) * img[k + 1]; img[k + 2] = a * l2 + (1 - a) * img[k + 2];
  }
  // Vertical: `prev` keeps the original previous row, `cur` the original current one.
  prev.set(img.subarray(0, rowLen));
  for (let j = 0; j < height; j++) {
    const o = j * rowLen, no = j + 1 < height ? o + rowLen : o;
    cur.set(img.subarray(o, o + rowLen));
    for (let k = 0; k < rowLen; k++) img[o + k] = a * (prev[k] + img[no + k]) + m * cur[k];
    const t = prev; prev = cur; cur = t;
  }
}
