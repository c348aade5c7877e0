/**
 * How tall the people of each domain are, in the px the detector sees: the share of people per height
 * bin and the share of images whose tallest labelled person is under 30 px (the images that
 * `train.zoomBelowPx` 30 zooms; docs/model-notes.md sections 15-16).
 * Run: `npm run build && node dist/bench/sizes.js [imagesPerDomain=600] [seed=0]`.
 */
import * as aq from "arquero";
import { resolveConfig } from "../lib/config";
import { domainStats } from "../lib/world/stats";

const n = Number(process.argv[2] ?? 600), seed = Number(process.argv[3] ?? 0);
const cfg = resolveConfig({ quick: false });
const { people, images } = domainStats(cfg, seed, n);
const bins = people
  .derive({ bin: "d => d.heightPx < 30 ? 'a' : d.heightPx < 50 ? 'b' : d.heightPx < 70 ? 'c' : 'd'" })
  .groupby("domain")
  .rollup({
    people: "d => op.count()",
    under30: "d => op.mean(d.bin === 'a' ? 1 : 0)",
    from30to50: "d => op.mean(d.bin === 'b' ? 1 : 0)",
    from50to70: "d => op.mean(d.bin === 'c' ? 1 : 0)",
    over70: "d => op.mean(d.bin === 'd' ? 1 : 0)",
  });
// Images with no labelled person count as "tallest under 30 px" too: a zoom of them only moves background.
const tallest = people.groupby(["domain", "image"]).rollup({ tallest: "d => op.max(d.heightPx)" });
const perImage = images
  // Two key lists: a plain two-name array would mean "left domain = right image" to arquero.
  .join_left(tallest, [["domain", "image"], ["domain", "image"]], [aq.all(), aq.not("domain", "image")])
  .groupby("domain")
  .rollup({ images: "d => op.count()", tallestUnder30: "d => op.mean(d.tallest == null || d.tallest < 30 ? 1 : 0)" });
const table = perImage.join(bins, "domain");
console.log(`Person heights (visible-pixel box, px at ${cfg.world.imageSize} px), world seed ${seed}, ${n} images per domain (the studio's spread over its sequences)\n`);
console.log("| domain | images | people | < 30 px | 30-50 | 50-70 | >= 70 | images whose tallest is < 30 px |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
const f = (x: number) => x.toFixed(3);
for (const r of table.objects() as Record<string, number | string>[]) {
  console.log(`| ${r.domain} | ${r.images} | ${r.people} | ${f(+r.under30)} | ${f(+r.from30to50)} | ${f(+r.from50to70)} | ${f(+r.over70)} | ${f(+r.tallestUnder30)} |`);
}
