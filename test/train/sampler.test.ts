import { strict as assert } from "node:assert";
import { MixSampler } from "../../lib/train/sampler";
import type { SampleSource } from "../../lib/data/records";

const src = (name: string, size: number): SampleSource => ({ name, size, get: () => { throw new Error("not used"); } });

describe("train/sampler", () => {
  it("draws sources in proportion to their weights (within 4 sigma)", () => {
    for (const weights of [[0.5, 0.5], [1, 3], [0.2, 0.3, 0.5]]) {
      const s = new MixSampler(weights.map((w, i) => ({ source: src(`s${i}`, 10 + i), weight: w })), 7);
      const counts = weights.map(() => 0);
      const steps = 1000, B = 8, n = steps * B;
      for (let t = 0; t < steps; t++) for (const d of s.batch(t, B)) counts[d.source]++;
      const total = weights.reduce((a, b) => a + b, 0);
      weights.forEach((w, i) => {
        const p = w / total;
        const sd = Math.sqrt((n * p * (1 - p)));
        assert.ok(Math.abs(counts[i] - n * p) < 4 * sd, `weights ${weights}: source ${i} drawn ${counts[i]} times, expected ${n * p} +- ${sd.toFixed(1)}`);
      });
    }
  });

  it("draws indices uniformly with replacement", () => {
    const s = new MixSampler([{ source: src("a", 5), weight: 1 }], 1);
    const counts = [0, 0, 0, 0, 0];
    const draws = s.batch(0, 5000);
    for (const d of draws) counts[d.index]++;
    counts.forEach((c) => assert.ok(Math.abs(c - 1000) < 4 * Math.sqrt(5000 * 0.2 * 0.8), `counts ${counts}`));
    // With replacement: a batch larger than the source is fine, and a small one can repeat.
    assert.ok(s.batch(3, 8).every((d) => d.index >= 0 && d.index < 5));
  });

  it("the data order is a pure function of (seed, step)", () => {
    const mk = (seed: number) => new MixSampler([{ source: src("a", 100), weight: 1 }, { source: src("b", 50), weight: 2 }], seed);
    const a = mk(3), b = mk(3), c = mk(4);
    assert.deepEqual(a.batch(17, 6), b.batch(17, 6));
    a.batch(5, 100); // drawing other steps first changes nothing
    assert.deepEqual(a.batch(17, 6), b.batch(17, 6));
    assert.notDeepEqual(a.batch(17, 6), a.batch(18, 6));
    assert.notDeepEqual(a.batch(17, 6), c.batch(17, 6));
    assert.equal(a.totalSize, 150);
  });

  it("never draws a zero-weight source, and refuses bad weights", () => {
    const s = new MixSampler([{ source: src("a", 4), weight: 0 }, { source: src("b", 4), weight: 1 }], 0);
    for (let t = 0; t < 50; t++) assert.ok(s.batch(t, 4).every((d) => d.source === 1));
    assert.equal(s.totalSize, 4);
    assert.throws(() => new MixSampler([], 0), /no sources/);
    assert.throws(() => new MixSampler([{ source: src("a", 4), weight: 0 }], 0), /sum to 0/);
    assert.throws(() => new MixSampler([{ source: src("a", 4), weight: -1 }], 0), /weight -1/);
    assert.throws(() => new MixSampler([{ source: src("e", 0), weight: 1 }], 0), /empty/);
  });
});
