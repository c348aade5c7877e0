/**
 * Hand-made samples for the model and training tests (independent of lib/world): a flat background
 * with each person drawn as a coloured rectangle around the 2D projection of a standing body. The
 * labels are exact: 3D joints of the 5-beta body in its rest pose, turned to face the camera, placed
 * at a pelvis position; 2D joints their projection; the box their 2D extent.
 */
import * as tf from "@tensorflow/tfjs";
import { BODY_TO_H36M } from "../../lib/body/joints";
import { restPose } from "../../lib/body/shape";
import { initBackend } from "../../lib/core/backend";
import { Rng } from "../../lib/core/rng";
import type { LabelSource, PersonLabel, Sample, SampleSource } from "../../lib/data/records";
import type { Camera } from "../../lib/world/camera";

/**
 * The project's backend (wasm here). Other test files may have switched the engine to 'cpu'
 * (tf.setBackend), and initBackend only starts a backend once per process, so switch back.
 */
export async function useBackend(): Promise<void> {
  const info = await initBackend({ quiet: true });
  if (tf.getBackend() !== info.tfBackend) await tf.setBackend(info.tfBackend);
}

/** A pinhole camera at the origin looking down +z, principal point at the image centre. */
export function fakeCamera(size: number, fovDeg = 60): Camera {
  const f = size / 2 / Math.tan((fovDeg * Math.PI) / 360);
  return { width: size, height: size, fx: f, fy: f, cx: size / 2, cy: size / 2, R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, 0] };
}

/** [17][3] metres, pelvis-relative, camera axes (y down), rest pose facing the camera. */
export function restJoints17(betas: number[]): number[][] {
  const p = restPose({ betas });
  // Body: y up, facing +z. Camera: y down; facing the camera = facing -z: rotate 180 degrees about x.
  return BODY_TO_H36M.map((j) => [p[j * 3] - p[0], -(p[j * 3 + 1] - p[1]), -(p[j * 3 + 2] - p[2])]);
}

/** A labeled person whose pelvis is at `pelvis` (camera metres). */
export function fakePerson(cam: Camera, pelvis: [number, number, number], betas: number[], source: LabelSource = "gt"): PersonLabel {
  const rel = restJoints17(betas);
  const joints3d = rel.map((q) => [q[0] + pelvis[0], q[1] + pelvis[1], q[2] + pelvis[2]]);
  const joints2d = joints3d.map((q) => [(cam.fx * q[0]) / q[2] + cam.cx, (cam.fy * q[1]) / q[2] + cam.cy]);
  const xs = joints2d.map((q) => q[0]), ys = joints2d.map((q) => q[1]);
  const pad = 0.08 * (Math.max(...ys) - Math.min(...ys));
  const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  return {
    box: [clip(Math.min(...xs) - pad, cam.width), clip(Math.min(...ys) - pad, cam.height), clip(Math.max(...xs) + pad, cam.width), clip(Math.max(...ys) + pad, cam.height)],
    joints2d,
    visible: joints2d.map((q) => (q[0] >= 0 && q[0] < cam.width && q[1] >= 0 && q[1] < cam.height ? 1 : 0)),
    joints3d,
    joints3dRel: rel,
    shape: betas.slice(),
    has2d: true,
    has3d: true,
    hasShape: true,
    source,
    provenance: "fixture",
    score: 1,
  };
}

/** Fill the person's box with its colour, and a darker band at the height of its hips, for some texture. */
function drawPerson(img: Float32Array, cam: Camera, p: PersonLabel, colour: number[]): void {
  const [x0, y0, x1, y1] = p.box.map(Math.round);
  const hipY = p.joints2d[1][1];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const k = Math.abs(y - hipY) < 1.5 ? 0.5 : 1;
      for (let c = 0; c < 3; c++) img[(y * cam.width + x) * 3 + c] = colour[c] * k;
    }
  }
}

export interface FakeSampleOptions {
  size?: number;
  /** People per image, inclusive range. */
  people?: [number, number];
  source?: LabelSource;
  index?: number;
}

/** A random sample: people 3-7 m away, side by side, drawn far to near. */
export function fakeSample(rng: Rng, opts: FakeSampleOptions = {}): Sample {
  const size = opts.size ?? 32;
  const cam = fakeCamera(size);
  const [lo, hi] = opts.people ?? [1, 2];
  const n = rng.int(lo, hi);
  const bg = [rng.uniform(0.1, 0.4), rng.uniform(0.1, 0.4), rng.uniform(0.1, 0.4)];
  const image = new Float32Array(size * size * 3);
  for (let i = 0; i < image.length; i++) image[i] = bg[i % 3] + rng.uniform(-0.03, 0.03);
  const people: PersonLabel[] = [];
  for (let k = 0; k < n; k++) {
    const z = rng.uniform(3, 7);
    const halfWidth = (z * cam.cx) / cam.fx; // metres visible left/right of the axis at depth z
    const x = ((k + 0.5) / n - 0.5) * 1.4 * halfWidth + rng.uniform(-0.2, 0.2);
    const betas = Array.from({ length: 5 }, () => rng.uniform(-1, 1));
    people.push(fakePerson(cam, [x, rng.uniform(-0.3, 0.3), z], betas, opts.source ?? "gt"));
  }
  people.sort((a, b) => b.joints3d[0][2] - a.joints3d[0][2]);
  for (const p of people) drawPerson(image, cam, p, [rng.uniform(0.5, 1), rng.uniform(0.5, 1), rng.uniform(0.5, 1)]);
  return { domain: "pretrain", index: opts.index ?? 0, image, width: size, height: size, camera: cam, people };
}

/** A deterministic dataset of fake samples (index i is always the same sample). */
export function fakeSource(name: string, size: number, opts: FakeSampleOptions = {}): SampleSource & { gets: number } {
  const root = new Rng(`fixture/${name}`);
  const src = {
    name,
    size,
    gets: 0,
    get(index: number): Sample {
      if (!(index >= 0 && index < size)) throw new Error(`${name}: index ${index} out of range`);
      src.gets++;
      return fakeSample(root.fork(index), { ...opts, index });
    },
  };
  return src;
}

/** Asserts that `fn` leaves tf.memory().numTensors unchanged (after disposing what it returns). */
export function tensorsLeaked(fn: () => tf.TensorContainer): number {
  const before = tf.memory().numTensors;
  tf.dispose(fn());
  return tf.memory().numTensors - before;
}
