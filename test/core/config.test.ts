import { strict as assert } from "node:assert";
import { applyOverrides, configHash, parseSetArgs } from "../../lib/core/config";
import { DEFAULTS, QUICK, resolveConfig } from "../../lib/config";

describe("core/config", () => {
  it("applies --set overrides typed by the default", () => {
    const cfg = resolveConfig({ quick: false, argv: ["--set", "world.domainGap=0.5", "--set=subset.size=123", "--set", "seeds=4,5"] });
    assert.equal(cfg.world.domainGap, 0.5);
    assert.equal(cfg.subset.size, 123);
    assert.deepEqual(cfg.seeds, [4, 5]);
    assert.equal(DEFAULTS.subset.size, 500, "defaults are never mutated");
  });

  it("rejects unknown keys and wrong types, naming the key", () => {
    assert.throws(() => applyOverrides(DEFAULTS, { "world.nope": "1" }), /unknown key "world.nope"/);
    assert.throws(() => applyOverrides(DEFAULTS, { "subset.size": "many" }), /subset.size must be a number, got "many"/);
    assert.throws(() => applyOverrides(DEFAULTS, { quick: "maybe" }), /quick must be true or false/);
    assert.throws(() => applyOverrides(DEFAULTS, { world: "1" }), /world is a section/);
    assert.throws(() => parseSetArgs(["--set", "subset.size"]), /key=value/);
  });

  it("quick mode shrinks sizes before user overrides, which win", () => {
    const q = resolveConfig({ quick: true, overrides: { "subset.size": "7" } });
    assert.equal(q.quick, true);
    assert.equal(q.world.streetImages, QUICK["world.streetImages"]);
    assert.equal(q.subset.size, 7);
  });

  it("hash is stable under key order and changes with any value", () => {
    const a = configHash({ x: 1, y: { b: 2, a: [1, 2] } });
    const b = configHash({ y: { a: [1, 2], b: 2 }, x: 1 });
    assert.equal(a, b);
    assert.match(a, /^[0-9a-f]{12}$/);
    assert.notEqual(configHash(DEFAULTS), configHash(applyOverrides(DEFAULTS, { "world.domainGap": 0.9 })));
    // Pinned: a change to canonical serialisation would silently invalidate every cache.
    assert.equal(configHash({ a: 1 }), "015abd7f5cc5");
  });
});
