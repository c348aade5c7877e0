import { strict as assert } from "node:assert";
import { rotY, rotateJoints } from "../../lib/body/orientation";
import type { Sample, SampleSource } from "../../lib/data/records";
import { paMpjpe } from "../../lib/eval/metrics";
import { meanPose, meanTorsoPose } from "../../lib/stages/evaluate";
import { fakeCamera, fakePerson } from "../train/fixtures";

describe("stages/evaluate: the mean-pose references", () => {
  // One person per sample, the rest pose turned 0, 90, 180 and 270 degrees about the vertical.
  const cam = fakeCamera(64);
  const samples: Sample[] = [0, 1, 2, 3].map((k) => {
    const p = fakePerson(cam, [0, 0, 5], [0, 0, 0, 0, 0]);
    const rel = rotateJoints(rotY((k * Math.PI) / 2), p.joints3dRel);
    const person = { ...p, joints3dRel: rel, joints3d: rel.map((q) => [q[0], q[1], q[2] + 5]) };
    return { domain: "pretrain", index: k, image: new Float32Array(64 * 64 * 3), width: 64, height: 64, camera: cam, people: [person] };
  });
  const source: SampleSource = { name: "turned", size: 4, get: (i) => samples[i] };

  it("the torso-frame mean is a real pose whatever the yaws; the camera-frame mean is flattened by them", () => {
    const torso = meanTorsoPose(source, 4), cam3 = meanPose(source, 4);
    for (const s of samples) {
      const gt = s.people[0].joints3dRel;
      assert.ok(paMpjpe(torso, gt) < 1e-6, "PA aligns the torso-frame mean onto every turned copy");
      assert.ok(paMpjpe(cam3, gt) > 0.02, `the camera-frame mean is no body: PA ${paMpjpe(cam3, gt)}`);
    }
    // The four yaws cancel in the camera frame: hips and shoulders collapse onto the body's axis.
    assert.ok(Math.abs(cam3[1][0]) < 1e-9 && Math.abs(cam3[1][2]) < 1e-9);
  });

  it("says which source had no labeled people", () => {
    const empty: SampleSource = { name: "empty", size: 1, get: () => ({ ...samples[0], people: [] }) };
    assert.throws(() => meanTorsoPose(empty, 1), /meanTorsoPose: .*empty/);
  });
});
