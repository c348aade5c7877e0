/**
 * Generation speed of the embedded world (issue 3 asks >= 300 images/s at 128x128 on one core).
 * Node runs this single-threaded, so the figure is per core. Run: `npm run build && node dist/bench/world.js [n]`.
 * Reports warm throughput (after the motion library is loaded; its one-off load time is reported apart).
 */
import { resolveConfig } from "../lib/config";
import { domainDataset, studioDataset } from "../lib/data/datasets";
import { motionPool } from "../lib/world/scene";
import type { SampleSource } from "../lib/data/records";

const n = Number(process.argv[2] ?? 1000);
const cfg = resolveConfig({ quick: false });
let t = performance.now();
motionPool("train");
motionPool("test");
const loadMs = performance.now() - t;

function measure(ds: SampleSource): { ips: number; people: number } {
  for (let i = 0; i < 20; i++) ds.get(i); // warm-up (JIT)
  let people = 0;
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    t = performance.now();
    for (let i = 0; i < n; i++) {
      const s = ds.get((r * n + i) % ds.size);
      people += (s.people.length || s.truth?.length) ?? 0;
    }
    runs.push(n / ((performance.now() - t) / 1000));
  }
  return { ips: Math.max(...runs), people: people / (3 * n) };
}

console.log(`World generation, ${cfg.world.imageSize}x${cfg.world.imageSize}, one core, best of 3 x ${n} images, node ${process.version}`);
console.log(`motion library load (once per process): ${loadMs.toFixed(0)} ms\n`);
console.log("| domain | images/s | people/image |\n|---|---:|---:|");
const rows: [string, SampleSource][] = [
  ["pretrain", domainDataset("pretrain", cfg, 0)],
  ["lab", domainDataset("lab", cfg, 0)],
  ["street", domainDataset("street", cfg, 0)],
  ["studio", studioDataset(cfg, 0)],
];
for (const [name, ds] of rows) {
  const m = measure(ds);
  console.log(`| ${name} | ${m.ips.toFixed(0)} | ${m.people.toFixed(2)} |`);
}
