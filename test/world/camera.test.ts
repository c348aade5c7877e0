import { strict as assert } from "node:assert";
import { Camera, cameraCentre, cameraToWorld, inImage, intrinsicsFromFov, lookAt, orbitCamera, pixelRay, project, unproject, worldToCamera } from "../../lib/world/camera";

const close = (a: number, b: number, tol = 1e-9, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

describe("world/camera", () => {
  const intr = intrinsicsFromFov(128, 96, 60);

  it("matches a hand-computed projection", () => {
    // Camera at z = 5 looking at the origin along -z: camera x = world x, camera y = -world y, depth = 5 - z.
    const cam = lookAt([0, 0, 5], [0, 0, 0], { width: 128, height: 128, fx: 100, fy: 100, cx: 64, cy: 64 });
    const Xc = worldToCamera(cam, [1, 0.5, 0]);
    [1, -0.5, 5].forEach((v, k) => close(Xc[k], v, 1e-12, `Xcam[${k}]`));
    const uv = project(cam, Xc);
    close(uv[0], 84, 1e-9, "u"); // 100 * 1 / 5 + 64
    close(uv[1], 54, 1e-9, "v"); // 100 * -0.5 / 5 + 64
  });

  it("lookAt puts the target at the image centre, at its distance", () => {
    const eye: [number, number, number] = [2, 1.7, 4], target: [number, number, number] = [-0.5, 0.9, 0.3];
    const cam = lookAt(eye, target, intr);
    const Xc = worldToCamera(cam, target), uv = project(cam, Xc);
    close(uv[0], 64, 1e-9, "u");
    close(uv[1], 48, 1e-9, "v");
    close(Xc[2], Math.hypot(2.5, 0.8, 3.7), 1e-9, "depth");
    cameraCentre(cam).forEach((v, k) => close(v, eye[k], 1e-9, `centre[${k}]`));
  });

  it("has an orthonormal right-handed rotation, y down and x right", () => {
    const cam = orbitCamera({ height: 1.6, distance: 5, pitchDeg: 12, yawDeg: 37, rollDeg: 5 }, intr), R = cam.R;
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
      const d = R[3 * a] * R[3 * b] + R[3 * a + 1] * R[3 * b + 1] + R[3 * a + 2] * R[3 * b + 2];
      close(d, a === b ? 1 : 0, 1e-12, `R row ${a}.${b}`);
    }
    const det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
    close(det, 1, 1e-12, "det");
    // Unrolled camera: a point above the target appears higher (smaller v); one to the camera's right, larger u.
    const flat = orbitCamera({ height: 1.6, distance: 5, pitchDeg: 0, yawDeg: 0 }, intr);
    const uv = project(flat, worldToCamera(flat, [0, 1.6, 0, 0, 2.6, 0, 1, 1.6, 0]));
    assert.ok(uv[3] < uv[1], "up is up");
    assert.ok(uv[4] > uv[0], "right is right");
  });

  it("orbitCamera stands at (d sin yaw, h, d cos yaw) and tilts down by pitch", () => {
    const cam = orbitCamera({ height: 2, distance: 6, pitchDeg: 20, yawDeg: 30, target: [1, -1] }, intr);
    const c = cameraCentre(cam), yaw = Math.PI / 6;
    close(c[0], 1 + 6 * Math.sin(yaw), 1e-9, "x");
    close(c[1], 2, 1e-9, "y");
    close(c[2], -1 + 6 * Math.cos(yaw), 1e-9, "z");
    close(cam.R[7], -Math.sin(Math.PI / 9), 1e-12, "optical axis y"); // third row = optical axis in world
  });

  it("round-trips world <-> camera <-> pixels", () => {
    const cam = orbitCamera({ height: 1.4, distance: 4, pitchDeg: 8, yawDeg: -70 }, intr);
    const X = [0.3, 1.2, -0.4, -1, 0.1, 0.8, 2, 1.9, 0.2];
    const Xc = worldToCamera(cam, X), back = cameraToWorld(cam, Xc);
    X.forEach((v, k) => close(back[k], v, 1e-12, `world[${k}]`));
    const uv = project(cam, Xc), depth = [Xc[2], Xc[5], Xc[8]], Xc2 = unproject(cam, uv, depth);
    Xc.forEach((v, k) => close(Xc2[k], v, 1e-12, `cam[${k}]`));
    // The pixel ray through a projected point passes through it.
    const c = cameraCentre(cam), d = pixelRay(cam, uv[0], uv[1]), s = Math.hypot(X[0] - c[0], X[1] - c[1], X[2] - c[2]);
    [0, 1, 2].forEach((k) => close(c[k] + s * d[k], X[k], 1e-9, `ray[${k}]`));
  });

  it("is plain JSON data", () => {
    const cam = orbitCamera({ height: 1.4, distance: 4, pitchDeg: 8, yawDeg: 10 }, intr);
    const copy = JSON.parse(JSON.stringify(cam)) as Camera;
    assert.deepEqual(copy, cam);
    assert.deepEqual(project(copy, worldToCamera(copy, [0.1, 1, 0])), project(cam, worldToCamera(cam, [0.1, 1, 0])));
  });

  it("inImage uses [0, width) x [0, height)", () => {
    assert.ok(inImage(intr, 0, 0));
    assert.ok(inImage(intr, 127.999, 95.999));
    assert.ok(!inImage(intr, 128, 10));
    assert.ok(!inImage(intr, 10, -0.001));
  });
});
