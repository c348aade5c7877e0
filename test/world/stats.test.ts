import { strict as assert } from "node:assert";
import { resolveConfig } from "../../lib/config";
import { lookAt, intrinsicsFromFov, worldToCamera, type Vec3 } from "../../lib/world/camera";
import { H36M_17 } from "../../lib/body/joints";
import { domainStats, personStats, summariseDomainStats } from "../../lib/world/stats";
import type { PersonLabel } from "../../lib/data/records";

const cfg = resolveConfig({ quick: true });

/** A stick person standing at the origin, facing +Z with their left at +X (world y up), seen from `eye`. */
function person(eye: Vec3): { label: PersonLabel; camera: ReturnType<typeof lookAt> } {
  const camera = lookAt(eye, [0, 1, 0], intrinsicsFromFov(128, 128, 60));
  const world = H36M_17.map((n) => [n.startsWith("l_") ? 0.1 : n.startsWith("r_") ? -0.1 : 0, n === "pelvis" ? 0.95 : 1.2, 0]);
  const cam = worldToCamera(camera, world.flat());
  const joints3d = world.map((_, j) => [cam[3 * j], cam[3 * j + 1], cam[3 * j + 2]]);
  const label = { box: [10, 20, 30, 70], joints2d: [], visible: H36M_17.map((_, j) => (j < 4 ? 0 : 1)), joints3d, joints3dRel: [], shape: [], has2d: true, has3d: true, hasShape: false, source: "gt", provenance: "test", score: 1 } as PersonLabel;
  return { label, camera };
}

describe("world/stats", () => {
  it("personStats: yaw 0 facing the camera, +90 facing the image's right, 180 from behind; heights and fractions", () => {
    const yaw = (eye: Vec3) => personStats(person(eye).label, person(eye).camera).yawDeg;
    assert.ok(Math.abs(yaw([0, 1.5, 5])) < 1e-6);
    // From -X the camera's right is +Z, the way the person faces; it sees their right side.
    assert.ok(Math.abs(yaw([-5, 1.5, 0]) - 90) < 1e-6);
    assert.ok(Math.abs(yaw([5, 1.5, 0]) + 90) < 1e-6);
    assert.ok(Math.abs(Math.abs(yaw([0, 1.5, -5])) - 180) < 1e-6);
    const s = personStats(person([0, 2, 4]).label, person([0, 2, 4]).camera);
    assert.equal(s.heightPx, 50);
    assert.ok(Math.abs(s.pelvisHeight - 0.95) < 1e-9);
    assert.equal(s.visibleFrac, 13 / 17);
  });

  it("one row per labelled person; lab images hold exactly one person; the summary has one row per domain", () => {
    const n = 6;
    const st = domainStats(cfg, 0, n);
    const images = st.images.objects() as { domain: string; people: number }[];
    assert.equal(images.length, 4 * n);
    assert.equal(st.people.numRows(), images.reduce((a, r) => a + r.people, 0));
    assert.ok(images.filter((r) => r.domain === "lab").every((r) => r.people === 1));
    const sum = summariseDomainStats(st).objects() as { domain: string; images: number; people_per_image: number }[];
    assert.deepEqual(sum.map((r) => r.domain), ["pretrain", "lab", "street", "studio"]);
    assert.equal(sum[1].people_per_image, 1);
    assert.ok(sum.every((r) => r.images === n));
  });
});
