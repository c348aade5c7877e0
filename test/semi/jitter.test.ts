import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/core/rng";
import { DEFAULT_JITTER, applyJitter, applyJitterOps, colourJitter, drawJitterParams, hsvToRgb, jitterCopies, rgbToHsv, type JitterParams } from "../../lib/semi/jitter";
import { tensorsLeaked, useBackend } from "../train/fixtures";

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => {
  const x = Array.from(a.dataSync()), y = Array.from(b.dataSync());
  assert.equal(x.length, y.length, "sizes");
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
};
const close = (a: ArrayLike<number>, b: readonly number[], tol: number, what = "") => {
  assert.equal(a.length, b.length, `${what} length`);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}] ${a[i]} vs ${b[i]}`);
};

/**
 * [B, H, W, 3] test images: random colours in [0.05, 0.95] (saturated and not), plus in image 0 a row
 * of fixed pixels: pure primaries, a grey, black and white, which the hue step must not disturb.
 */
function testImages(seed: number, B = 2, H = 4, W = 6): tf.Tensor4D {
  const rng = new Rng(seed);
  const data = Array.from({ length: B * H * W * 3 }, () => rng.uniform(0.05, 0.95));
  const fixed = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0.5, 0, 0, 0, 1, 1, 1];
  data.splice(0, fixed.length, ...fixed);
  return tf.tensor4d(data, [B, H, W, 3]);
}
const plain = (n: number, hue = 0): JitterParams[] => Array.from({ length: n }, () => ({ brightness: 1, contrast: 1, hue }));

describe("semi/jitter", () => {
  before(useBackend);

  it("draws parameters in the configured ranges; strength scales the deviation from identity", () => {
    const full = drawJitterParams(new Rng(5), 50);
    for (const p of full) {
      assert.ok(p.brightness >= 0.85 && p.brightness <= 1.15 && p.contrast >= 0.85 && p.contrast <= 1.15 && Math.abs(p.hue) <= 0.05, JSON.stringify(p));
    }
    const half = drawJitterParams(new Rng(5), 50, DEFAULT_JITTER, 0.5);
    half.forEach((p, i) => {
      close([p.brightness - 1, p.contrast - 1, p.hue], [(full[i].brightness - 1) / 2, (full[i].contrast - 1) / 2, full[i].hue / 2], 1e-12, "half");
    });
    assert.deepEqual(drawJitterParams(new Rng(5), 3, DEFAULT_JITTER, 0), plain(3));
    assert.throws(() => drawJitterParams(new Rng(5), 1, DEFAULT_JITTER, -1), /strength/);
  });

  it("zero strength is the exact identity", () => {
    const img = testImages(1);
    const out = colourJitter(img, new Rng(2), DEFAULT_JITTER, 0);
    assert.deepEqual(Array.from(out.dataSync()), Array.from(img.dataSync()));
    tf.dispose([img, out]);
  });

  it("keeps the shape and the [0, 1] range, also for exaggerated jitter", () => {
    const img = testImages(3);
    for (const strength of [1, 4]) {
      const out = colourJitter(img, new Rng(4), DEFAULT_JITTER, strength);
      assert.deepEqual(out.shape, img.shape);
      const v = out.dataSync();
      assert.ok(v.every((x) => x >= 0 && x <= 1), `strength ${strength}: range ${Math.min(...v)}..${Math.max(...v)}`);
      out.dispose();
    }
    img.dispose();
  });

  it("HSV matches hand values and the round trip is the identity", () => {
    // (0.2, 0.4, 0.6): blue max, chroma 0.4, h6 = 4 + (0.6 - 0.4)/0.4 - (0.6 - 0.2)/0.4 = 3.5, h = 7/12.
    const rgb = tf.tensor2d([[1, 0, 0], [0, 1, 1], [0.5, 0.5, 0.5], [0.2, 0.4, 0.6], [0, 0, 0], [1, 0, 0.5]]);
    const hsv = rgbToHsv(rgb);
    close(hsv.dataSync(), [0, 1, 1, 0.5, 1, 1, 0, 0, 0.5, 7 / 12, 2 / 3, 0.6, 0, 0, 0, 11 / 12, 1, 1], 1e-6, "hsv");
    const back = hsvToRgb(hsv);
    assert.ok(maxAbsDiff(back, rgb) < 1e-6);
    const img = testImages(6);
    const trip = hsvToRgb(rgbToHsv(img));
    assert.ok(maxAbsDiff(trip, img) < 1e-6, `image round trip ${maxAbsDiff(trip, img)}`);
    tf.dispose([rgb, hsv, back, img, trip]);
  });

  it("a hue shift of 1/3 turns pure red into pure green, and 2/3 into blue", () => {
    const red = tf.tensor4d([1, 0, 0, 0.5, 0, 0], [1, 1, 2, 3]);
    const g = applyJitter(red, plain(1, 1 / 3));
    close(g.dataSync(), [0, 1, 0, 0, 0.5, 0], 1e-6, "green");
    const b = applyJitter(red, plain(1, -1 / 3));
    close(b.dataSync(), [0, 0, 1, 0, 0, 0.5], 1e-6, "blue");
    tf.dispose([red, g, b]);
  });

  it("hue shift h then -h returns the input", () => {
    // A hue rotation keeps S and V, so nothing clips: any colours work, the tolerance is float32 rounding.
    const img = testImages(7);
    for (const h of [0.05, -0.03, 0.25, 0.5]) {
      const there = applyJitter(img, plain(2, h));
      const back = applyJitter(there, plain(2, -h));
      assert.ok(maxAbsDiff(back, img) < 1e-5, `h = ${h}: ${maxAbsDiff(back, img)}`);
      assert.ok(maxAbsDiff(there, img) > 0.01, `h = ${h} changed nothing`);
      tf.dispose([there, back]);
    }
    img.dispose();
  });

  it("brightness then contrast on hand-computed pixels, clamped after each step as torchvision", () => {
    // Image 0, pixels (0.2, 0.4, 0.6) and grey 0.5; b = 1.1 -> (0.22, 0.44, 0.66), 0.55.
    // Greys 0.2989*0.22 + 0.587*0.44 + 0.114*0.66 = 0.399278 and 0.55*0.9999 = 0.549945; mean 0.4746115.
    // c = 0.9: 0.9 x + 0.1 * 0.4746115 -> 0.24546115, 0.44346115, 0.64146115 and 0.54246115.
    // Image 1, pixels (0.9, 0.1, 0.1) and 0.1; b = 1.2 -> (1.08 clamped to 1, 0.12, 0.12), 0.12.
    // Greys 0.2989 + 0.701*0.12 = 0.38302 and 0.119988; mean 0.251504. c = 1.1: 1.1 x - 0.0251504
    // -> 1 (clamped), 0.1068496 (without the first clamp it would be 0.105654).
    const img = tf.tensor4d([0.2, 0.4, 0.6, 0.5, 0.5, 0.5, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1], [2, 1, 2, 3]);
    const out = applyJitter(img, [{ brightness: 1.1, contrast: 0.9, hue: 0 }, { brightness: 1.2, contrast: 1.1, hue: 0 }]);
    const m = 0.54246115, q = 0.1068496;
    close(out.dataSync(), [0.24546115, 0.44346115, 0.64146115, m, m, m, 1, q, q, q, q, q], 1e-6, "pixels");
    tf.dispose([img, out]);
  });

  it("jitterCopies: row b k + c is copy c of image b, with the parameters drawn in row order", () => {
    const img = testImages(8), k = 3;
    const copies = jitterCopies(img, k, new Rng(9));
    assert.deepEqual(copies.shape, [2 * k, 4, 6, 3]);
    const params = drawJitterParams(new Rng(9), 2 * k);
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < k; c++) {
        const one = applyJitter(tf.slice(img, [b], [1]) as tf.Tensor4D, [params[b * k + c]]);
        const row = tf.slice(copies, [b * k + c], [1]);
        assert.ok(maxAbsDiff(row, one) < 1e-7, `b ${b}, c ${c}`);
        tf.dispose([one, row]);
      }
    }
    tf.dispose([img, copies]);
  });

  it("same seed, same copies; another seed, other copies", () => {
    const img = testImages(10);
    const a = jitterCopies(img, 4, new Rng("pseudo/0")), b = jitterCopies(img, 4, new Rng("pseudo/0"));
    const c = jitterCopies(img, 4, new Rng("pseudo/1"));
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
    assert.ok(maxAbsDiff(a, c) > 1e-3);
    tf.dispose([img, a, b, c]);
  });

  it("the fused per-pixel jitter equals the op-by-op tensor version (its reference)", () => {
    const x = testImages(17, 3, 8, 8);
    // Exaggerated ranges so that clipping and every hue sextant occur.
    const params = drawJitterParams(new Rng(3), 3, { brightness: [0.5, 1.6], contrast: [0.4, 1.7], hue: [-0.5, 0.5] });
    const fast = applyJitter(x, params), ref = applyJitterOps(x, params);
    assert.ok(maxAbsDiff(fast, ref) < 1e-5, `max diff ${maxAbsDiff(fast, ref)}`);
    tf.dispose([x, fast, ref]);
  });

  it("leaks no tensors", () => {
    const img = testImages(11);
    const params = drawJitterParams(new Rng(12), 2);
    assert.equal(tensorsLeaked(() => applyJitter(img, params)), 0);
    assert.equal(tensorsLeaked(() => applyJitter(img, plain(2))), 0, "hue step skipped");
    assert.equal(tensorsLeaked(() => colourJitter(img, new Rng(13))), 0);
    assert.equal(tensorsLeaked(() => jitterCopies(img, 8, new Rng(14))), 0);
    assert.equal(tensorsLeaked(() => rgbToHsv(img)), 0);
    assert.equal(tensorsLeaked(() => hsvToRgb(img)), 0);
    assert.equal(tensorsLeaked(() => assert.throws(() => applyJitter(img, params.slice(1)))), 0);
    img.dispose();
  });
});
