import { strict as assert } from "node:assert";
import { Rng } from "../../lib/core/rng";
import { H36M_17 } from "../../lib/body/joints";
import { axisAngleToMat3, mat3Mul } from "../../lib/body/kinematics";
import { YAW_BINS, binCentre, composeFrame, orientationTarget, rayYaw, rotY, rotateJoints, torsoFrame, wrapAngle } from "../../lib/body/orientation";
import { restJoints17 } from "../train/fixtures";

const close = (a: number, b: number, tol: number, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);
const J = (n: (typeof H36M_17)[number]) => H36M_17.indexOf(n);

describe("body/orientation", () => {
  it("the torso frame of the rest pose facing the camera is diag(1, -1, -1), and canonical = the template", () => {
    const cam = restJoints17([0, 0, 0, 0, 0]); // y down, facing -z
    const T = torsoFrame(cam)!;
    // Not exactly: the template's neck sits a little in front of its pelvis (about 1 degree).
    [1, 0, 0, 0, -1, 0, 0, 0, -1].forEach((v, i) => close(T[i], v, 0.03, `T[${i}]`));
    const t = orientationTarget(cam, rayYaw(0, 5))!;
    // Canonical: left hip at +x, neck at +y (the body model's template axes).
    assert.ok(t.canonical[J("l_hip")][0] > 0.05 && t.canonical[J("neck")][1] > 0.3);
    assert.equal(t.bin, YAW_BINS / 2, "facing the camera on the optical axis is relative yaw 0, the centre of bin 4");
    close(t.residual, 0, 1e-9);
    [1, 0, 0, 1, 0, 0].forEach((v, i) => close(t.tilt6d[i], v, 0.03, "upright: no tilt"));
  });

  it("split then compose gives back every pose exactly, for any rotation and any ray", () => {
    const r = new Rng("orientation/roundtrip");
    const rest = restJoints17([0.3, -0.5, 0, 0.2, 0]);
    for (let n = 0; n < 200; n++) {
      const R = axisAngleToMat3([r.normal(), r.normal(), r.normal()].map((v) => v * 1.5));
      const pose = rotateJoints(R, rest.map((p) => p.map((v) => v * r.uniform(0.8, 1.2))));
      const ray = rayYaw(r.uniform(-3, 3), r.uniform(1, 10));
      const t = orientationTarget(pose, ray)!;
      assert.ok(t.bin >= 0 && t.bin < YAW_BINS && t.residual >= -0.5 - 1e-9 && t.residual <= 0.5 + 1e-9, `bin ${t.bin} residual ${t.residual}`);
      const back = rotateJoints(composeFrame(t.bin, t.residual, t.tilt6d, ray), t.canonical);
      back.forEach((p, j) => p.forEach((v, d) => close(v, pose[j][d], 1e-9, `joint ${j}.${d}`)));
    }
  });

  it("relative yaw follows the ray: the same view of a person anywhere in the image has the same class and residual", () => {
    const rest = restJoints17([0, 0, 0, 0, 0]);
    for (const x of [-2, 0, 1.5]) {
      const ray = rayYaw(x, 5);
      // Turn the body so that it faces back along its ray, then 60 degrees further.
      const pose = rotateJoints(rotY(ray - Math.PI + Math.PI / 3), rest);
      const t = orientationTarget(pose, ray)!;
      close(wrapAngle(binCentre(t.bin) + (t.residual * 2 * Math.PI) / YAW_BINS), Math.PI / 3, 1e-9, `x ${x}`);
    }
  });

  it("tilt carries the rest: a lean forward is a tilt, not a yaw", () => {
    const flipX = Float64Array.of(1, 0, 0, 0, -1, 0, 0, 0, -1); // camera axes <-> the template's, facing the camera
    const rest = restJoints17([0, 0, 0, 0, 0]);
    const upright = orientationTarget(rest, rayYaw(0, 5))!;
    const lean = mat3Mul(flipX, axisAngleToMat3([0.4, 0, 0])); // 0.4 rad about the body's left axis
    const t = orientationTarget(rotateJoints(mat3Mul(lean, flipX), rest), rayYaw(0, 5))!;
    assert.equal(t.bin, YAW_BINS / 2);
    close(Math.atan2(t.tilt6d[5], t.tilt6d[3]) - Math.atan2(upright.tilt6d[5], upright.tilt6d[3]), 0.4, 1e-9, "Q is the lean");
    t.canonical.forEach((p, j) => p.forEach((v, d) => close(v, upright.canonical[j][d], 1e-9, "the torso-frame pose is unchanged")));
  });

  it("no frame without hips, pelvis and neck, or with coincident hips", () => {
    const rest = restJoints17([0, 0, 0, 0, 0]);
    assert.equal(torsoFrame(rest.map((p, j) => (j === J("neck") ? [NaN, NaN, NaN] : p))), null);
    assert.equal(orientationTarget(rest.map((p, j) => (j === J("l_hip") ? rest[J("r_hip")] : p)), 0), null);
    assert.ok(torsoFrame(rest.map((p, j) => (j === J("l_wrist") ? [NaN, NaN, NaN] : p))), "other joints may be missing");
  });
});
