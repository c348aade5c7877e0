/**
 * Partner rows (regressor.ts `ModelConfig.partner`): who is paired with whom, the targets, the three
 * loss terms against hand-computed values, decoding a partner (scored, de-duplicated, mirrored).
 */
import { strict as assert } from "node:assert";
import * as tf from "@tensorflow/tfjs";
import { flipPerson, type PersonLabel, type Sample } from "../../lib/data/records";
import { Rng } from "../../lib/core/rng";
import { decodeMaps, predict, unflipMaps } from "../../lib/model/decode";
import { HEAT_PRIOR_BIAS, MAP, MAP_CHANNELS, PARTNER, PARTNER_CHANNELS, TINY_MODEL, buildRegressor, modelGeometry } from "../../lib/model/regressor";
import { DEFAULT_LOSS, computeLosses } from "../../lib/train/losses";
import { buildBatch, disposeBatch, partnerPairs } from "../../lib/train/targets";
import { fakeCamera, fakePerson, useBackend } from "../train/fixtures";

const C = MAP_CHANNELS + PARTNER_CHANNELS;
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.log1p(Math.exp(x));
const person = (box: number[], visible: number): { box: number[]; visible: number[] } => ({ box, visible: Array.from({ length: 17 }, (_, j) => (j < visible ? 1 : 0)) });
const centre = (p: { box: number[] }) => ({ cx: (p.box[0] + p.box[2]) / 2, cy: (p.box[1] + p.box[3]) / 2 });

/** Two people of a 64 px image, the second 0.2 m behind and 0.1 m right of the first, its lower joints hidden. */
function pairSample(): { sample: Sample; front: PersonLabel; back: PersonLabel } {
  const cam = fakeCamera(64);
  const front = fakePerson(cam, [0, 0.1, 4], [0, 0, 0, 0, 0]);
  const back = fakePerson(cam, [0.1, 0.05, 4.2], [0.5, 0, 0, 0, 0]);
  back.visible = back.visible.map((v, j) => (j < 8 ? 0 : v));
  return { sample: { domain: "lab", index: 0, image: new Float32Array(64 * 64 * 3), width: 64, height: 64, camera: cam, people: [back, front] }, front, back };
}

describe("model/partner rows", () => {
  before(useBackend);

  it("partnerPairs: within maxPx, the more visible one in front, nearest pairs first, one partner each", () => {
    const ps = [person([0, 0, 10, 30], 17), person([4, 2, 14, 32], 10), person([40, 0, 50, 30], 17), person([6, 0, 16, 30], 12), person([43, 0, 53, 30], 17)];
    // 0-1: 4 px, 0-3: 6 px, 1-3: 2 px (3 in front of 1: more visible), 2-4: 3 px (equal visibility and area: the first listed in front).
    // Nearest first: 3 takes 1, 2 takes 4; 0's nearest (1) is taken, so 0 takes 3 (who is in turn in front of 1).
    assert.deepEqual(partnerPairs(ps, ps.map(centre), 12), [3, -1, 4, 1, -1]);
    assert.deepEqual(partnerPairs(ps, ps.map(centre), 3), [-1, -1, -1, 1, -1]);
    assert.deepEqual(partnerPairs(ps, ps.map(centre), 2), [-1, -1, -1, -1, -1], "the distance bound is strict");
    // Equal visibility: the larger box is in front.
    const big = [person([0, 0, 10, 30], 17), person([1, 0, 11, 40], 17)];
    assert.deepEqual(partnerPairs(big, big.map(centre), 12), [-1, 0]);
  });

  it("buildBatch writes the partner's box and camera-axes 3D at every row of the front person, and nothing elsewhere", () => {
    const { sample, front, back } = pairSample();
    const geom = { inputSize: 32, grid: 4, stride: 8 };
    const batch = buildBatch([sample], geom, DEFAULT_LOSS);
    const P = batch.personMask.shape[0], R = 4; // nearest4: 4 rows per person; slot m * R + r
    const on = batch.personMask.dataSync(), present = batch.partnerPresent.dataSync(), cell = batch.cell.dataSync();
    const pbox = batch.partnerBox.dataSync(), p3 = batch.partner3d.dataSync(), m3 = batch.partnerMask3d.dataSync();
    const s = 32 / 64, st = 8;
    const bcx = ((back.box[0] + back.box[2]) / 2) * s, bcy = ((back.box[1] + back.box[3]) / 2) * s;
    let rows = 0;
    for (let k = 0; k < P; k++) {
      const m = Math.floor(k / R), isFront = sample.people[m] === front;
      assert.equal(present[k], isFront && on[k] ? 1 : 0, `slot ${k}`);
      if (!present[k]) {
        assert.deepEqual(Array.from(pbox.slice(k * 4, k * 4 + 4)), [0, 0, 0, 0]);
        continue;
      }
      rows++;
      const jx = cell[k] % 4, jy = Math.floor(cell[k] / 4);
      const want = [bcx / st - jx, bcy / st - jy, ((back.box[2] - back.box[0]) * s) / 32, ((back.box[3] - back.box[1]) * s) / 32];
      want.forEach((v, i) => assert.ok(Math.abs(pbox[k * 4 + i] - v) < 1e-5, `slot ${k} box[${i}]: ${pbox[k * 4 + i]} vs ${v}`));
      back.joints3dRel.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(p3[(k * 17 + j) * 3 + d] - v) < 1e-6)));
      assert.ok(Array.from(m3.slice(k * 17, k * 17 + 17)).every((v) => v === 1));
    }
    assert.ok(rows >= 1);
    disposeBatch(batch);
  });

  describe("losses", () => {
    const model = () => buildRegressor({ ...TINY_MODEL, partner: true }, 3);

    it("the partner terms against hand-computed values; masked off without a partner or its 3D; 0 for a model without partner rows", () => {
      const net = model();
      const geom = modelGeometry(net);
      assert.equal(geom.channels, C);
      const { sample, back } = pairSample();
      const maps = tf.tidy(() => (net.predict(tf.randomUniform([1, 32, 32, 3], 0, 1, "float32", 4)) as tf.Tensor).add(tf.randomNormal([1, 4, 4, C], 0, 0.5, "float32", 5)));
      const terms = (ss: Sample[], m: tf.Tensor = maps) => {
        const batch = buildBatch(ss, geom, DEFAULT_LOSS);
        const L = computeLosses(m, batch, DEFAULT_LOSS);
        const out = { partner: L.terms.partner.dataSync()[0], partnerBox: L.terms.partnerBox.dataSync()[0], partner3d: L.terms.partner3d.dataSync()[0] };
        const info = { on: batch.personMask.dataSync(), y: batch.partnerPresent.dataSync(), cell: batch.cell.dataSync(), box: batch.partnerBox.dataSync(), j3: batch.partner3d.dataSync() };
        tf.dispose([L.total, ...Object.values(L.terms)]);
        disposeBatch(batch);
        return { out, info };
      };
      const { out, info } = terms([sample]);
      // By hand from the map rows at each slot's cell.
      const md = maps.dataSync();
      const row = (k: number) => md.slice(info.cell[k] * C, (info.cell[k] + 1) * C);
      let bce = 0, nOn = 0, l1 = 0, nBox = 0, l3 = 0, n3 = 0;
      info.on.forEach((o, k) => {
        if (!o) return;
        const r = row(k), x = r[PARTNER.score[0]], y = info.y[k];
        bce += y * softplus(-x) + (1 - y) * softplus(x);
        nOn++;
        if (!y) return;
        for (let i = 0; i < 4; i++) l1 += Math.abs(r[PARTNER.boxOffset[0] + i] - info.box[k * 4 + i]);
        nBox += 4;
        for (let i = 0; i < 51; i++) l3 += Math.abs(r[PARTNER.joints3d[0] + i] - info.j3[k * 51 + i]);
        n3 += 51;
      });
      assert.ok(nBox > 0 && nOn > nBox / 4, "some slots with and some without a partner");
      assert.ok(Math.abs(out.partner - bce / nOn) < 1e-5, `partner ${out.partner} vs ${bce / nOn}`);
      assert.ok(Math.abs(out.partnerBox - l1 / nBox) < 1e-5, `partnerBox ${out.partnerBox} vs ${l1 / nBox}`);
      assert.ok(Math.abs(out.partner3d - l3 / n3) < 1e-5, `partner3d ${out.partner3d} vs ${l3 / n3}`);
      // No partner (the back person moved away): box and 3D off, the score term still trains "no partner".
      const apart = { ...sample, people: [{ ...back, box: [52, 2, 64, 30] as [number, number, number, number] }, sample.people[1]] };
      const off = terms([apart]).out;
      assert.equal(off.partnerBox, 0);
      assert.equal(off.partner3d, 0);
      assert.ok(off.partner > 0);
      // The partner without 3D (has3d false): only the 3D term off.
      const no3d = terms([{ ...sample, people: [{ ...back, has3d: false }, sample.people[1]] }]).out;
      assert.equal(no3d.partner3d, 0);
      assert.ok(Math.abs(no3d.partnerBox - out.partnerBox) < 1e-6);
      // A 265-channel model's maps: the terms are exactly 0.
      const plain = tf.tidy(() => maps.slice([0, 0, 0, 0], [1, 4, 4, MAP_CHANNELS]));
      assert.deepEqual(terms([sample], plain).out, { partner: 0, partnerBox: 0, partner3d: 0 });
      // The score head starts at a 0.1 prior, like the heatmap.
      const bias = net.getLayer("params").getWeights()[1].dataSync();
      assert.ok(Math.abs(bias[PARTNER.score[0] - MAP.heat[1]] - HEAT_PRIOR_BIAS) < 1e-6);
      tf.dispose([maps, plain]);
      net.dispose();
    });
  });

  describe("decoding", () => {
    const G = 4, geom = { inputSize: 32, grid: G, stride: 8, channels: C };
    const blank = () => {
      const m = new Float32Array(G * G * C);
      for (let c = 0; c < G * G; c++) {
        m.fill(-10, c * C + MAP.heat[0], c * C + MAP.heat[0] + MAP.heat[1]);
        m[c * C + PARTNER.score[0]] = -10;
        m[c * C + MAP.depth[0]] = 1.6;
        for (let r = 0; r < 24; r++) m.set([1, 0, 0, 1, 0, 0], c * C + MAP.rot6d[0] + 6 * r);
        m.set([1, 0, 0, 1, 0, 0], c * C + MAP.tilt6d[0]);
      }
      return m;
    };

    it("a row's partner becomes a person scored P(front) x P(partner), with its box and 3D; duplicates of found people are dropped", () => {
      const cam = fakeCamera(32);
      const m = blank(), cell = 5, at = cell * C;
      m[at + MAP.heat[0]] = 4;
      m.set([0.5, 0.5, 0.25, 0.5], at + MAP.boxOffset[0]); // front: centre (12, 12) px, 8 x 16
      m[at + PARTNER.score[0]] = 3;
      m.set([0.9, 0.3, 0.3, 0.6], at + PARTNER.boxOffset[0]); // partner: centre (15.2, 10.4), 9.6 x 19.2
      const rel = Array.from({ length: 51 }, (_, i) => (i % 3) * 0.01 + i * 0.001);
      m.set(rel, at + PARTNER.joints3d[0]);
      const decode = (mm: Float32Array, threshold = 0.5) => {
        const t = tf.tensor4d(mm, [1, G, G, C]);
        const [people] = decodeMaps(t, [cam], geom, { flipTest: false, scoreThreshold: threshold, boxCentre: "regressed" });
        t.dispose();
        return people;
      };
      const people = decode(m);
      assert.equal(people.length, 2);
      const [front, partner] = people;
      assert.ok(Math.abs(front.score - sig(4)) < 1e-6);
      assert.ok(Math.abs(partner.score - sig(4) * sig(3)) < 1e-6);
      [15.2 - 4.8, 10.4 - 9.6, 15.2 + 4.8, 10.4 + 9.6].forEach((v, i) => assert.ok(Math.abs(partner.box[i] - v) < 1e-4, `box[${i}] ${partner.box[i]} vs ${v}`));
      partner.joints3dRel.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - rel[3 * j + d]) < 1e-6)));
      assert.equal(partner.has2d, false);
      const rootZ = (p: PersonLabel) => p.joints3d[0][2] - p.joints3dRel[0][2];
      assert.ok(Math.abs(rootZ(partner) - rootZ(front)) < 1e-9, "placed at the front person's depth");
      assert.match(partner.provenance, /partner$/);
      // Below the threshold: P(front) x P(partner) = 0.98 x 0.27.
      m[at + PARTNER.score[0]] = -1;
      assert.equal(decode(m).length, 1);
      assert.equal(decode(m, 0.2).length, 2);
      m[at + PARTNER.score[0]] = 3;
      // The partner's person also found by its own peak (same box): one person, not two.
      const own = 6 * C; // cell (2, 1): centre offset back to (15.2, 10.4)
      m[own + MAP.heat[0]] = 2;
      m.set([15.2 / 8 - 2, 10.4 / 8 - 1, 0.3, 0.6], own + MAP.boxOffset[0]);
      const found = decode(m);
      assert.equal(found.length, 2);
      assert.ok(found.every((p) => !p.provenance.endsWith("partner")));
    });

    it("unflipMaps maps the partner channels: the mirror maps decode to the mirror images of the partners", () => {
      const rng = new Rng("partner-unflip");
      const m = Float32Array.from({ length: G * G * C }, () => rng.uniform(-1, 1));
      for (let c = 0; c < G * G; c++) {
        for (let k = 0; k < MAP.heat[1]; k++) m[c * C + MAP.heat[0] + k] = -6;
        m[c * C + MAP.depth[0]] = 1.6;
        m[c * C + MAP.boxSize[0]] = m[c * C + MAP.boxSize[0] + 1] = 0.2;
        m[c * C + PARTNER.boxSize[0]] = m[c * C + PARTNER.boxSize[0] + 1] = 0.25;
        m[c * C + PARTNER.score[0]] = 4;
      }
      m[5 * C + MAP.heat[0] + 1] = 4;
      m[14 * C + MAP.heat[0] + 2] = 3;
      const maps = tf.tensor4d(m, [1, G, G, C]);
      const cam = { ...fakeCamera(64), cx: 29 }, mirrorCam = { ...cam, cx: cam.width - cam.cx };
      const back = unflipMaps(maps);
      const [people] = decodeMaps(maps, [cam], geom, { flipTest: false });
      const [mirrored] = decodeMaps(back, [mirrorCam], geom, { flipTest: false });
      assert.equal(people.filter((p) => p.provenance.endsWith("partner")).length, 2);
      assert.equal(mirrored.length, people.length);
      people.forEach((p, n) => {
        const want = flipPerson(p, cam.width), got = mirrored[n];
        assert.equal(got.provenance, p.provenance);
        want.box.forEach((v, i) => assert.ok(Math.abs(v - got.box[i]) < 1e-3, `person ${n} box[${i}]`));
        want.joints3d.forEach((q, j) => q.forEach((v, d) => assert.ok(Math.abs(v - got.joints3d[j][d]) < 1e-4, `person ${n} joints3d[${j}][${d}]`)));
      });
      tf.dispose([maps, back]);
    });

    it("predict runs a partner model with the flip test and leaks nothing", () => {
      const net = buildRegressor({ ...TINY_MODEL, partner: true }, 8);
      assert.deepEqual(net.outputs[0].shape, [null, 4, 4, C]);
      const cam = fakeCamera(32), image = Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => (i % 11) / 11);
      const before = tf.memory().numTensors;
      const [people] = predict(net, [image], [cam], { scoreThreshold: 0, maxPeople: 4 });
      assert.equal(tf.memory().numTensors, before);
      assert.ok(people.length >= 1 && people.length <= 4);
      net.dispose();
    });
  });
});
