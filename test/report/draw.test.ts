import { strict as assert } from "node:assert";
import { H36M_SIDE } from "../../lib/body/joints";
import { type Canvas, SIDE_COLOURS, drawLine, drawSkeleton, drawText, montage, upscale } from "../../lib/report/draw";

const blank = (w: number, h: number): Canvas<Uint8Array> => ({ data: new Uint8Array(w * h * 3), width: w, height: h });
const px = (c: Canvas, x: number, y: number) => [...c.data.subarray((y * c.width + x) * 3, (y * c.width + x) * 3 + 3)];
/** Pixels that differ from black, as "x,y" strings. */
const inked = (c: Canvas) => {
  const out: string[] = [];
  for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) if (px(c, x, y).some((v) => v !== 0)) out.push(`${x},${y}`);
  return out;
};

describe("report/draw", () => {
  it("a horizontal line inks exactly the pixels it passes through", () => {
    const c = blank(10, 10);
    drawLine(c, 2.5, 5.5, 7.5, 5.5, [10, 20, 30]);
    assert.deepEqual(inked(c), ["2,5", "3,5", "4,5", "5,5", "6,5", "7,5"]);
    assert.deepEqual(px(c, 4, 5), [10, 20, 30]);
  });

  it("a skeleton bone is drawn in its side's colour between its joints; an invisible end dashes it", () => {
    // Every joint at (3.5, 8.5) except the left knee (joint 2) at (13.5, 8.5): only bones 1-2 and 2-3 have length.
    const joints = Array.from({ length: 17 }, (_, j) => (j === 2 ? [13.5, 8.5] : [3.5, 8.5]));
    assert.equal(H36M_SIDE[2], "L");
    const c = blank(20, 16);
    drawSkeleton(c, joints, undefined, { outline: false, jointRadius: 0 });
    const expected = Array.from({ length: 11 }, (_, i) => `${3 + i},8`);
    assert.deepEqual(inked(c), expected);
    for (let x = 4; x <= 13; x++) assert.deepEqual(px(c, x, 8), [...SIDE_COLOURS.L], `pixel ${x},8`);
    const d = blank(20, 16);
    drawSkeleton(d, joints, joints.map((_, j) => (j === 2 ? 0 : 1)), { outline: false, jointRadius: 0 });
    const n = inked(d).length;
    assert.ok(n > 2 && n < expected.length, `dashed bone inks some but not all pixels (${n})`);
  });

  it("float canvases get colours in [0, 1]", () => {
    const c: Canvas = { data: new Float32Array(4 * 4 * 3), width: 4, height: 4 };
    drawLine(c, 0.5, 0.5, 0.5, 0.5, [255, 51, 0]);
    assert.deepEqual([...c.data.subarray(0, 3)].map((v) => +v.toFixed(6)), [1, 0.2, 0]);
  });

  it("upscale repeats every pixel k x k times and keeps the array type", () => {
    const w = 3, h = 2, k = 3;
    const img = Uint8Array.from({ length: w * h * 3 }, (_, i) => i * 7);
    const up = upscale(img, w, h, k);
    assert.ok(up instanceof Uint8Array);
    assert.equal(up.length, w * k * h * k * 3);
    for (let y = 0; y < h * k; y++)
      for (let x = 0; x < w * k; x++)
        for (let ch = 0; ch < 3; ch++) assert.equal(up[(y * w * k + x) * 3 + ch], img[(Math.floor(y / k) * w + Math.floor(x / k)) * 3 + ch]);
    const f = upscale(Float32Array.from(img, (v) => v / 255), w, h, 2);
    assert.ok(f instanceof Float32Array);
    // Output row 1, column 5 comes from input row 0, column 2.
    assert.equal(f[(1 * 6 + 5) * 3 + 2], Math.fround(img[(0 * 3 + 2) * 3 + 2] / 255));
    assert.throws(() => upscale(img, w, h, 1.5), /positive integer/);
  });

  it("montage: size from cols and gap; captions ink the tile's corner", () => {
    const tiles = [0, 1, 2].map(() => blank(40, 30));
    const m = montage(tiles, { cols: 2, gap: 2 });
    assert.equal(m.width, 2 * (40 + 2) + 2);
    assert.equal(m.height, 2 * (30 + 2) + 2);
    const withText = montage(tiles, { cols: 2, gap: 2, labels: ["I"] });
    assert.notDeepEqual(withText.data, m.data);
  });

  it("the font draws the glyph it names ('I' is 9 cells)", () => {
    const c = blank(8, 8);
    drawText(c, 1, 1, "I", [255, 255, 255]);
    assert.deepEqual(inked(c).sort(), ["1,1", "2,1", "3,1", "2,2", "2,3", "2,4", "1,5", "2,5", "3,5"].sort());
  });
});
