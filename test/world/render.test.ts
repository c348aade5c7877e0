import { strict as assert } from "node:assert";
import { BODY_25 } from "../../lib/body/joints";
import { Rng } from "../../lib/core/rng";
import { Camera, intrinsicsFromFov, orbitCamera } from "../../lib/world/camera";
import { defaultBackgroundStyle, postProcess, renderBackground, samplePost } from "../../lib/world/backgrounds";
import { Appearance, BodyToRender, Lighting, createRenderBuffers, renderPeople, toUint8 } from "../../lib/world/render";
import { OUTFITS, standingPose } from "./fixtures";

const W = 128, H = 128;
const J = (n: (typeof BODY_25)[number]) => BODY_25.indexOf(n);
// Camera on +z looking at the origin from 5 m, level: people at x = 0 stand on the image's vertical centre line.
const cam: Camera = orbitCamera({ height: 1.0, distance: 5, pitchDeg: 0, yawDeg: 0 }, intrinsicsFromFov(W, H, 50));
const grey = () => new Float32Array(W * H * 3).fill(0.5);
const person = (joints: Float64Array, appearance: Appearance = OUTFITS[0], girth = 1): BodyToRender => ({ joints, girth, appearance });
const noShadow: Lighting = { direction: [0.3, 1, 0.6], ambient: 0.45, intensity: 0.65, shadow: 0 };

describe("world/render", () => {
  it("2D joints are the exact pinhole projection of the 3D joints", () => {
    const joints = standingPose(0.4, -0.5, 30);
    const { people } = renderPeople(grey(), cam, [person(joints)]);
    const R = cam.R, t = cam.t;
    for (let j = 0; j < BODY_25.length; j++) {
      // Independent oracle: Xc = R X + t, u = fx x / z + cx, v = fy y / z + cy.
      const X = [0, 1, 2].map((e) => joints[3 * j + e]);
      const Xc = [0, 1, 2].map((r) => R[3 * r] * X[0] + R[3 * r + 1] * X[1] + R[3 * r + 2] * X[2] + t[r]);
      assert.ok(Math.abs(people[0].joints2d[2 * j] - (cam.fx * Xc[0]) / Xc[2] - cam.cx) < 1e-9);
      assert.ok(Math.abs(people[0].joints2d[2 * j + 1] - (cam.fy * Xc[1]) / Xc[2] - cam.cy) < 1e-9);
      assert.ok(Math.abs(people[0].jointsCam[3 * j + 2] - Xc[2]) < 1e-12);
    }
  });

  it("a person in front occludes one behind on the same ray", () => {
    const front = person(standingPose(0, 1.0), OUTFITS[0], 1.2), back = person(standingPose(0, -1.5), OUTFITS[1]);
    for (const order of [[front, back], [back, front]]) {
      const r = renderPeople(grey(), cam, order, noShadow);
      const f = r.people[order.indexOf(front)], b = r.people[order.indexOf(back)];
      for (const name of ["pelvis", "spine1", "spine2", "spine3", "neck"] as const) {
        assert.equal(f.visible[J(name)], 1, `front ${name} visible`);
        assert.equal(b.visible[J(name)], 0, `back ${name} hidden`);
      }
      // The z-buffer at the front pelvis holds the front body's surface: in front of its joint by < its radius.
      const u = Math.floor(f.joints2d[2 * J("pelvis")]), v = Math.floor(f.joints2d[2 * J("pelvis") + 1]);
      const z = r.depth[v * W + u], zj = f.jointsCam[3 * J("pelvis") + 2];
      assert.equal(r.owner[v * W + u], order.indexOf(front));
      assert.ok(z < zj && z > zj - 0.2, `depth ${z} vs joint ${zj}`);
      const alone = renderPeople(grey(), cam, [back], noShadow).people[0];
      assert.ok(b.visiblePixels < alone.visiblePixels / 3, `back person mostly hidden: ${b.visiblePixels} of ${alone.visiblePixels}`);
      let owned = 0;
      for (let k = 0; k < W * H; k++) owned += r.owner[k] >= 0 ? 1 : 0;
      assert.equal(owned, f.visiblePixels + b.visiblePixels);
    }
  });

  it("a joint outside the image is not visible (truncation); the box is clipped", () => {
    // Shift the person right until the left arm leaves the image (their left is +x, facing the camera).
    const joints = standingPose(1.9, 0);
    const p = renderPeople(grey(), cam, [person(joints)]).people[0];
    let outside = 0;
    for (let j = 0; j < BODY_25.length; j++) {
      const u = p.joints2d[2 * j], v = p.joints2d[2 * j + 1], inside = u >= 0 && u < W && v >= 0 && v < H;
      assert.equal(p.visible[j], inside ? 1 : 0, `${BODY_25[j]} at u=${u.toFixed(1)}`);
      outside += inside ? 0 : 1;
    }
    assert.ok(outside > 0 && outside < BODY_25.length, `some joints outside (${outside})`);
    assert.ok(p.visible[J("pelvis")] === 1 && p.visible[J("l_hand")] === 0);
    assert.equal(p.box?.[2], W, "amodal box clipped at the right edge");
    // Behind the camera: nothing drawn, nothing visible.
    const behind = renderPeople(grey(), cam, [person(standingPose(0, 8))]).people[0];
    assert.equal(behind.visiblePixels, 0);
    assert.equal(behind.box, null);
    assert.equal(behind.visible.reduce((s, v) => s + v, 0), 0);
  });

  it("changes pixels inside the person's box and none outside it", () => {
    const bg = grey(), r = renderPeople(bg, cam, [person(standingPose(-0.3, 0.2, -20))], noShadow), p = r.people[0];
    assert.ok(p.box && p.visibleBox);
    const [x0, y0, x1, y1] = p.box;
    let inside = 0;
    for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) {
      const k = 3 * (j * W + i), changed = Math.abs(r.image[k] - bg[k]) + Math.abs(r.image[k + 1] - bg[k + 1]) + Math.abs(r.image[k + 2] - bg[k + 2]) > 1e-6;
      if (!changed) continue;
      assert.ok(i + 1 > x0 - 1 && i < x1 + 1 && j + 1 > y0 - 1 && j < y1 + 1, `pixel (${i}, ${j}) changed outside box ${p.box}`);
      inside++;
    }
    assert.ok(inside >= p.visiblePixels && p.visiblePixels > 200, `${inside} changed, ${p.visiblePixels} owned`);
    // The visible box lies within the amodal one and the person fills a good part of it.
    const vb = p.visibleBox;
    assert.ok(vb[0] >= Math.floor(x0) && vb[1] >= Math.floor(y0) && vb[2] <= Math.ceil(x1) && vb[3] <= Math.ceil(y1));
    assert.ok(y1 - y0 > x1 - x0, "a standing person is taller than wide");
    // No people: the background comes back unchanged (and is not modified in place).
    const empty = renderPeople(bg, cam, []);
    assert.deepEqual(empty.image, bg);
    assert.notEqual(empty.image, bg);
  });

  it("anti-aliases edges: intermediate values between body and background", () => {
    // Flat white body (ambient 1, no directional light) on black: any value strictly between is edge coverage.
    const white: Appearance = { skin: [1, 1, 1], top: [1, 1, 1], bottom: [1, 1, 1], shoes: [1, 1, 1] };
    const r = renderPeople(new Float32Array(W * H * 3), cam, [person(standingPose(0, 0), white)], { direction: [0, 1, 0], ambient: 1, intensity: 0, shadow: 0 });
    let full = 0, partial = 0;
    for (let k = 0; k < W * H; k++) {
      const v = r.image[3 * k];
      if (v >= 1 - 1e-6) full++;
      else if (v > 0.05) partial++;
    }
    assert.ok(partial > 40 && partial < full, `partial ${partial}, full ${full}`);
    // Across the torso's left edge the row goes 0 -> partial -> 1, never jumping straight from 0 to 1.
    const p = r.people[0], v = Math.floor(p.joints2d[2 * J("spine2") + 1]), row = Array.from({ length: W }, (_, i) => r.image[3 * (v * W + i)]);
    const first = row.findIndex((x) => x > 0);
    assert.ok(first > 0 && row[first] < 1 && row[first - 1] === 0, `edge profile ${row.slice(first - 1, first + 3).map((x) => x.toFixed(2))}`);
  });

  it("is deterministic given the seed, and the buffers can be reused", () => {
    const make = (seed: number) => {
      const rng = new Rng(seed), c = orbitCamera({ height: 1.5, distance: 5, pitchDeg: 10, yawDeg: rng.uniform(-180, 180) }, intrinsicsFromFov(W, H, 55));
      const bg = renderBackground(c, defaultBackgroundStyle("street"), rng.fork("bg"));
      const people = [0, 1, 2].map((k) => person(standingPose(rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-180, 180)), OUTFITS[k]));
      const out = renderPeople(bg, c, people, undefined, { out: bg, buffers });
      postProcess(out.image, W, H, samplePost(rng.fork("post")), rng.fork("noise"));
      return Buffer.from(toUint8(out.image));
    };
    const buffers = createRenderBuffers(W, H);
    const a = make(7), b = make(8), a2 = make(7);
    assert.ok(a.equals(a2), "same seed, same bytes");
    assert.ok(!a.equals(b), "different seed, different image");
  });

  it("shades by the light: the lit side of the torso is brighter", () => {
    const flat: Appearance = { skin: [0.8, 0.8, 0.8], top: [0.8, 0.8, 0.8], bottom: [0.8, 0.8, 0.8] };
    const left: Lighting = { direction: [-1, 0, 0.3], ambient: 0.3, intensity: 0.7, shadow: 0 };
    const r = renderPeople(grey(), cam, [person(standingPose(0, 0), flat)], left), p = r.people[0];
    const v = Math.floor(p.joints2d[2 * J("spine2") + 1]), u = p.joints2d[2 * J("spine2")];
    const at = (du: number) => r.image[3 * (v * W + Math.floor(u + du))];
    assert.ok(at(-4) > at(4) + 0.05, `light from the camera's left: ${at(-4)} vs ${at(4)}`);
  });
});
