import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../lib/config";
import { domainDataset, studioDataset, STUDIO_SEQUENCES, validateWorld } from "../../lib/data/datasets";
import { drawSubset, subsetStage } from "../../lib/data/subset";
import { project } from "../../lib/world/camera";
import { domainSpec } from "../../lib/world/domains";
import type { Sample } from "../../lib/data/records";

const cfg = resolveConfig({ quick: true, overrides: { "world.labImages": 2000, "world.streetImages": 200, "world.pretrainImages": 1000 } });
const labelsOf = (s: Sample) => (s.people.length ? s.people : s.truth ?? []);

describe("data/datasets", () => {
  it("a dataset is a deterministic function of (seed, index): identical pixels and labels", () => {
    for (const d of ["pretrain", "lab", "street"] as const) {
      const a = domainDataset(d, cfg, 3).get(17), b = domainDataset(d, cfg, 3).get(17);
      assert.deepEqual(Buffer.from(a.image.buffer), Buffer.from(b.image.buffer), `${d} pixels`);
      assert.deepEqual(labelsOf(a), labelsOf(b));
      // Order independence: reading other indices first changes nothing.
      const ds = domainDataset(d, cfg, 3);
      ds.get(5);
      assert.deepEqual(Buffer.from(ds.get(17).image.buffer), Buffer.from(a.image.buffer));
      const c = domainDataset(d, cfg, 4).get(17);
      assert.notDeepEqual(Buffer.from(c.image.buffer), Buffer.from(a.image.buffer), `${d}: another seed, another image`);
    }
  });

  it("2D joints are the projection of the 3D joints; root-relative copies subtract the pelvis", () => {
    const ds = domainDataset("pretrain", cfg, 0);
    let checked = 0;
    for (let i = 0; i < 10; i++) {
      const s = ds.get(i);
      for (const p of s.people) {
        const uv = project(s.camera, p.joints3d.flat());
        p.joints2d.forEach((q, j) => {
          assert.ok(Math.abs(q[0] - uv[2 * j]) < 1e-9 && Math.abs(q[1] - uv[2 * j + 1]) < 1e-9, `sample ${i} joint ${j}`);
        });
        p.joints3dRel.forEach((q, j) => q.forEach((v, k) => assert.ok(Math.abs(v - (p.joints3d[j][k] - p.joints3d[0][k])) < 1e-12)));
        assert.equal(p.source, "gt");
        assert.equal(p.joints3d.length, 17);
        assert.ok(p.box[0] <= p.box[2] && p.box[1] <= p.box[3]);
        checked++;
      }
    }
    assert.ok(checked > 10);
  });

  it("people per image follow each domain: 1 in the lab, 0-8 in the street, labels only where labeled", () => {
    const lab = domainDataset("lab", cfg, 0), street = domainDataset("street", cfg, 0);
    const counts: number[] = [];
    for (let i = 0; i < 40; i++) {
      const l = lab.get(i);
      assert.ok(l.people.length <= 1, "lab has one person (zero only if fully hidden)");
      const s = street.get(i);
      assert.equal(s.people.length, 0, "street is unlabeled");
      counts.push(s.truth!.length);
    }
    assert.ok(Math.max(...counts) <= 8 && Math.min(...counts) === 0 && Math.max(...counts) >= 5, `street counts ${counts}`);
  });

  it("world.crowdShare: the pretrain domain's share of crowded scenes; other domains do not change", () => {
    const withShare = (v: number) => resolveConfig({ quick: true, overrides: { "world.pretrainImages": 1000, "world.crowdShare": v } });
    const counts = (v: number) => Array.from({ length: 40 }, (_, i) => domainDataset("pretrain", withShare(v), 0).get(i).people.length);
    const none = counts(0), all = counts(1), mixed = counts(0.4);
    // Crowds draw 4-8 people; a few can be hidden below the labelling threshold or leave the frame.
    assert.ok(Math.max(...none) <= 6, `no crowds: at most the plain scenes' 6 people, got ${none}`);
    assert.ok(Math.max(...all) >= 7 && all.reduce((a, b) => a + b, 0) / all.length >= 4.5 && Math.min(...all) >= 2, `all crowds: ${all}`);
    const big = (xs: number[]) => xs.filter((n) => n >= 7).length;
    assert.ok(big(mixed) > big(none) && big(mixed) < big(all), `a share between: ${big(none)} < ${big(mixed)} < ${big(all)} images with 7-8 people`);
    for (const d of ["lab", "street"] as const) {
      const a = domainDataset(d, withShare(0), 2).get(9), b = domainDataset(d, withShare(1), 2).get(9);
      assert.deepEqual(Buffer.from(a.image.buffer), Buffer.from(b.image.buffer), `${d} does not read crowdShare`);
    }
    assert.throws(() => validateWorld(withShare(1.5)), /world\.crowdShare must be in \[0, 1\]/);
  });

  it("studio: four named sequences, two cameras, people counts of their set-ups, coherent frames", () => {
    const st = studioDataset(cfg, 0);
    assert.equal(st.size, 4 * cfg.world.studioFrames * 2);
    const seen = new Map<string, number[]>();
    for (let i = 0; i < st.size; i++) {
      const s = st.get(i);
      seen.set(s.sequence!, [...(seen.get(s.sequence!) ?? []), s.people.length]);
    }
    for (const seq of STUDIO_SEQUENCES) {
      const n = seen.get(seq.name)!;
      assert.ok(n && Math.max(...n) <= seq.people[1] && Math.max(...n) >= seq.people[0], `${seq.name}: ${n}`);
    }
    // Consecutive frames of one camera: small 3D motion (10 fps), not a new scene.
    const a = st.get(0), b = st.get(2);
    assert.equal(a.cameraName, b.cameraName);
    assert.equal(b.frame, 1);
    const d = Math.hypot(...[0, 1, 2].map((k) => a.people[0].joints3d[0][k] - b.people[0].joints3d[0][k]));
    assert.ok(d < 0.3, `pelvis moved ${d} m between frames`);
  });

  it("domainGap scales the differences: 0 gives the studio's camera, 1 the domain's own", () => {
    const s0 = domainSpec("street", 0), s1 = domainSpec("street", 1), st = domainSpec("studio", 1);
    assert.deepEqual(s0.camera, st.camera);
    assert.notDeepEqual(s1.camera, st.camera);
    assert.ok(domainSpec("street", 0.5).noise[1] < s1.noise[1]);
    assert.throws(() => domainSpec("lab", -1), /world.domainGap/);
  });

  it("bad config gets a clear error naming the parameter", () => {
    const bad = (o: Record<string, unknown>) => () => validateWorld(resolveConfig({ quick: true, overrides: o }));
    assert.throws(bad({ "world.imageSize": 0 }), /world\.imageSize/);
    assert.throws(bad({ "world.streetImages": 0 }), /world\.streetImages must be a positive integer/);
    assert.throws(bad({ "world.maxPeople": 400 }), /world\.maxPeople is more people than fit/);
    assert.throws(() => domainDataset("lab", cfg, 0).get(cfg.world.labImages), /out of range/);
  });
});

describe("data/subset", () => {
  it("same seed, same subset; another seed, another subset; indices distinct and in range", () => {
    const a = drawSubset(cfg, 0), b = drawSubset(cfg, 0), c = drawSubset(cfg, 1);
    assert.deepEqual(a.indices, b.indices);
    assert.notDeepEqual(a.indices, c.indices);
    assert.equal(new Set(a.indices).size, cfg.subset.size);
    assert.ok(a.indices.every((i) => i >= 0 && i < cfg.world.labImages));
    assert.throws(() => drawSubset(resolveConfig({ quick: true, overrides: { "subset.size": 0 } }), 0), /subset\.size must be a positive integer/);
    assert.throws(() => drawSubset(resolveConfig({ quick: true, overrides: { "subset.size": 10 ** 7 } }), 0), /subset\.size .* exceeds world\.labImages/);
  });

  it("the stage saves indices with their config and reuses them for the same config", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wb-subset-"));
    try {
      const first = await subsetStage(cfg, 0, dir);
      assert.equal(first.info.cached, false);
      const saved = JSON.parse(readFileSync(join(dir, "subset.json"), "utf8"));
      assert.deepEqual(saved.indices, first.result.indices);
      const meta = JSON.parse(readFileSync(join(dir, "subset.config.json"), "utf8"));
      assert.equal(meta.config.subset.size, cfg.subset.size);
      const again = await subsetStage(cfg, 0, dir);
      assert.equal(again.info.cached, true);
      const other = await subsetStage(cfg, 1, dir);
      assert.equal(other.info.cached, false, "another seed is another config");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
