import { strict as assert } from "node:assert";
import { Rng } from "../../lib/core/rng";

describe("core/rng", () => {
  it("same seed, same stream; different seed, different stream", () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    assert.deepEqual(xs, Array.from({ length: 5 }, () => b.nextUint32()));
    assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.nextUint32()));
  });

  it("fork depends only on seed and key, not on draws so far", () => {
    const a = new Rng(1);
    const f1 = a.fork("x").next();
    a.next();
    a.next();
    assert.equal(a.fork("x").next(), f1);
    assert.notEqual(a.fork("y").next(), f1);
  });

  it("uniform, normal and sampling have the right statistics", () => {
    const r = new Rng(7);
    const n = 20000;
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    assert.ok(Math.abs(s / n) < 0.03, `mean ${s / n}`);
    assert.ok(Math.abs(s2 / n - 1) < 0.05, `var ${s2 / n}`);
    const pick = r.sampleWithoutReplacement(100, 100);
    assert.deepEqual([...pick].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[r.weighted([1, 2, 1])]++;
    assert.ok(Math.abs(counts[1] / 30000 - 0.5) < 0.02, `weighted ${counts}`);
  });
});
