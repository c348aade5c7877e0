/**
 * Images per second of the synthetic-image path (background + people + camera post-processing) at
 * 128x128 on one core, for 1, 4 and 8 people, and a PNG grid of samples to look at.
 *
 *   node dist/bench/render.js            (writes results/render_check.png)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "../lib/core/rng";
import { paths } from "../lib/core/paths";
import { intrinsicsFromFov, orbitCamera, Camera } from "../lib/world/camera";
import { BACKDROP_KINDS, defaultBackgroundStyle, postProcess, renderBackground, samplePost } from "../lib/world/backgrounds";
import { BodyToRender, createRenderBuffers, renderPeople, toUint8, RGB, Lighting } from "../lib/world/render";
import { encodePng, tileImages } from "../lib/world/png";
import { OUTFITS, standingPose } from "../test/world/fixtures";

const SIZE = 128;

/** One random scene: camera, people standing around the looked-at point, light. */
function scene(rng: Rng, nPeople: number): { cam: Camera; people: BodyToRender[]; light: Lighting } {
  const cam = orbitCamera({ height: rng.uniform(1.2, 2.2), distance: rng.uniform(4.5, 6.5), pitchDeg: rng.uniform(5, 15), yawDeg: rng.uniform(-180, 180) }, intrinsicsFromFov(SIZE, SIZE, 55));
  const yaw = Math.atan2(-cam.R[6], -cam.R[8]); // from the target towards the camera
  const people: BodyToRender[] = [];
  for (let p = 0; p < nPeople; p++) {
    // Spread people laterally (across the view) and in depth around the target.
    const lat = rng.uniform(-1.8, 1.8), dep = rng.uniform(-1.5, 1.5);
    const x = lat * Math.cos(yaw) + dep * Math.sin(yaw), z = -lat * Math.sin(yaw) + dep * Math.cos(yaw);
    const base = OUTFITS[p % OUTFITS.length];
    const jit = (c: RGB): RGB => c.map((v) => Math.min(1, Math.max(0, v + rng.normal(0, 0.08)))) as RGB;
    people.push({
      joints: standingPose(x, z, rng.uniform(-180, 180), rng.uniform(0.9, 1.1)),
      girth: rng.uniform(0.85, 1.25),
      appearance: { ...base, top: jit(base.top), bottom: jit(base.bottom) },
    });
  }
  const light: Lighting = { direction: [rng.uniform(-1, 1), rng.uniform(0.5, 1.5), rng.uniform(-1, 1)], ambient: rng.uniform(0.35, 0.55), intensity: rng.uniform(0.5, 0.75), shadow: 0.35 };
  return { cam, people, light };
}

function bench(nPeople: number, iters: number): { ips: number; bg: number; people: number; post: number } {
  const buffers = createRenderBuffers(SIZE, SIZE), bgBuf = new Float32Array(SIZE * SIZE * 3);
  const root = new Rng(`bench/${nPeople}`);
  // Scenes are drawn outside the timed region: placement belongs to another module.
  const scenes = Array.from({ length: 64 }, (_, i) => scene(root.fork(i), nPeople));
  let tBg = 0, tPeople = 0, tPost = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) {
    const s = scenes[i % scenes.length], rng = root.fork(`img${i}`);
    const a = process.hrtime.bigint();
    renderBackground(s.cam, defaultBackgroundStyle(BACKDROP_KINDS[i % 3]), rng, bgBuf);
    const b = process.hrtime.bigint();
    const r = renderPeople(bgBuf, s.cam, s.people, s.light, { out: bgBuf, buffers });
    const c = process.hrtime.bigint();
    postProcess(r.image, SIZE, SIZE, samplePost(rng), rng);
    const d = process.hrtime.bigint();
    tBg += Number(b - a); tPeople += Number(c - b); tPost += Number(d - c);
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ips: iters / total, bg: tBg / iters / 1e6, people: tPeople / iters / 1e6, post: tPost / iters / 1e6 };
}

function main(): void {
  const iters = Number(process.env.BENCH_ITERS ?? 3000);
  bench(4, 300); // warm-up (JIT)
  const rows = [1, 4, 8].map((n) => ({ n, ...bench(n, iters) }));
  console.log(`\n128x128, ${iters} images each, one core (node ${process.version}); backgrounds cycle lab / studio / street\n`);
  console.log("| people | images/s | background ms | people ms | post ms |");
  console.log("|---:|---:|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.n} | ${r.ips.toFixed(0)} | ${r.bg.toFixed(3)} | ${r.people.toFixed(3)} | ${r.post.toFixed(3)} |`);

  // A grid of samples, one per background kind and crowd size, to look at.
  const imgs: Uint8ClampedArray[] = [];
  const rng = new Rng("render_check");
  for (const n of [1, 3, 5, 8]) {
    for (const kind of BACKDROP_KINDS) {
      const r = rng.fork(`${kind}/${n}`), s = scene(r, n);
      const bg = renderBackground(s.cam, defaultBackgroundStyle(kind), r);
      const out = renderPeople(bg, s.cam, s.people, s.light);
      postProcess(out.image, SIZE, SIZE, samplePost(r, 0.5), r);
      imgs.push(toUint8(out.image));
    }
  }
  const grid = tileImages(imgs, SIZE, SIZE, 3);
  mkdirSync(paths.results, { recursive: true });
  const file = join(paths.results, "render_check.png");
  writeFileSync(file, encodePng(grid.rgb, grid.width, grid.height));
  console.log(`\nwrote ${file}`);
}

main();
