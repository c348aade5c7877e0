import { strict as assert } from "node:assert";
import { inflateSync } from "node:zlib";
import { Rng } from "../../lib/core/rng";
import { intrinsicsFromFov, orbitCamera } from "../../lib/world/camera";
import { BACKDROP_KINDS, IDENTITY_POST, blurPass, defaultBackgroundStyle, postProcess, renderBackground } from "../../lib/world/backgrounds";
import { encodePng } from "../../lib/world/png";

const W = 64, H = 48;
const cam = orbitCamera({ height: 1.6, distance: 5, pitchDeg: 10, yawDeg: 25 }, intrinsicsFromFov(W, H, 60));
const stats = (x: Float32Array) => {
  const m = x.reduce((s, v) => s + v, 0) / x.length;
  return { mean: m, std: Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length) };
};

describe("world/backgrounds", () => {
  for (const kind of BACKDROP_KINDS) {
    it(`${kind}: finite, in a sane range, deterministic given the seed`, () => {
      const a = renderBackground(cam, defaultBackgroundStyle(kind), new Rng(3));
      const b = renderBackground(cam, defaultBackgroundStyle(kind), new Rng(3));
      const c = renderBackground(cam, defaultBackgroundStyle(kind), new Rng(4));
      assert.equal(a.length, W * H * 3);
      assert.ok(a.every((v) => Number.isFinite(v) && v >= 0 && v < 2.5));
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
    });
  }

  it("street clutter adds fine detail; the style's tint shifts the colour statistics", () => {
    // Mean absolute difference between horizontal neighbours: edges and texture, not the overall contrast.
    const detail = (x: Float32Array) => x.reduce((s, v, k) => s + (k % (3 * W) >= 3 ? Math.abs(v - x[k - 3]) : 0), 0) / x.length;
    const plain = detail(renderBackground(cam, { ...defaultBackgroundStyle("lab"), clutter: 0, texture: 0 }, new Rng(1)));
    const busy = detail(renderBackground(cam, { ...defaultBackgroundStyle("street"), clutter: 1, texture: 1 }, new Rng(1)));
    assert.ok(busy > 3 * plain, `street detail ${busy} vs plain lab ${plain}`);
    const base = renderBackground(cam, defaultBackgroundStyle("lab"), new Rng(2));
    const warm = renderBackground(cam, { ...defaultBackgroundStyle("lab"), tint: [1.2, 1, 0.8] }, new Rng(2));
    const ch = (x: Float32Array, c: number) => x.filter((_, k) => k % 3 === c).reduce((s, v) => s + v, 0);
    assert.ok(ch(warm, 0) / ch(base, 0) > 1.15 && ch(warm, 2) / ch(base, 2) < 0.85);
  });

  it("postProcess: identity is (nearly) a no-op, noise has the asked std, clamps to [0, 1]", () => {
    const img = new Float32Array(W * H * 3).map((_, k) => (k % 97) / 97);
    const same = postProcess(img.slice(), W, H, IDENTITY_POST, new Rng(0));
    assert.ok(same.every((v, k) => Math.abs(v - img[k]) <= 1 / 1022 + 1e-6));
    const flat = postProcess(new Float32Array(200 * 200 * 3).fill(0.5), 200, 200, { ...IDENTITY_POST, noiseStd: 0.05 }, new Rng(1));
    const s = stats(flat);
    assert.ok(Math.abs(s.mean - 0.5) < 0.002 && Math.abs(s.std - 0.05) < 0.003, `mean ${s.mean}, std ${s.std}`);
    const hot = postProcess(new Float32Array(W * H * 3).fill(0.9), W, H, { ...IDENTITY_POST, gain: [1.5, 1, 1], noiseStd: 0.1 }, new Rng(2));
    assert.ok(hot.every((v) => v >= 0 && v <= 1));
  });

  it("blurPass spreads an impulse as [1 2 1]/4 in both directions and keeps the total; postProcess blurs by sigma", () => {
    const img = new Float32Array(9 * 9 * 3);
    img[3 * (4 * 9 + 4) + 1] = 16;
    blurPass(img, 9, 9);
    const g = (i: number, j: number) => img[3 * (j * 9 + i) + 1];
    assert.deepEqual([g(3, 3), g(4, 3), g(5, 3), g(3, 4), g(4, 4), g(5, 4)], [1, 2, 1, 2, 4, 2]);
    assert.equal(img.reduce((s, v) => s + v, 0), 16);
    // Variance of the blurred impulse = sigma^2 per axis (total 2 sigma^2), whatever the number of passes
    // (within 6%: the output table's 1/511 steps round the faintest tail values away).
    for (const sigma of [0.6, 1.3]) {
      const N = 21, im = new Float32Array(N * N * 3);
      im[3 * (10 * N + 10)] = 0.8;
      postProcess(im, N, N, { ...IDENTITY_POST, blur: sigma }, new Rng(0));
      let tot = 0, v = 0;
      for (let j = 0; j < N; j++) for (let i = 0; i < N; i++) { const w = im[3 * (j * N + i)]; tot += w; v += w * ((i - 10) ** 2 + (j - 10) ** 2); }
      assert.ok(Math.abs(v / tot / (2 * sigma * sigma) - 1) < 0.06, `sigma ${sigma}: variance ${v / tot}`);
    }
  });

  it("encodePng writes a PNG whose pixels inflate back", () => {
    const rgb = new Uint8Array(5 * 3 * 3).map((_, k) => (k * 37) % 256);
    const png = encodePng(rgb, 5, 3);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    const idat = png.indexOf("IDAT"), len = png.readUInt32BE(idat - 4);
    const raw = inflateSync(png.subarray(idat + 4, idat + 4 + len));
    // Undo the Sub filter (PNG spec: Recon(x) = Filt(x) + Recon(a), a = the byte 3 to the left).
    for (let y = 0; y < 3; y++) {
      assert.equal(raw[y * 16], 1, "filter type Sub");
      const row = [...raw.subarray(y * 16 + 1, y * 16 + 16)];
      for (let i = 3; i < row.length; i++) row[i] = (row[i] + row[i - 3]) & 0xff;
      assert.deepEqual(row, [...rgb.subarray(y * 15, y * 15 + 15)]);
    }
  });
});
