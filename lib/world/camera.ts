/**
 * Pinhole camera, OpenCV convention.
 *
 * Frames:
 * - world: metres, Y UP, ground plane y = 0.
 * - camera: metres, x right, y DOWN, z forward (into the scene); `Xcam = R Xworld + t`.
 * - image: pixels, u right, v down. Pixel (col i, row j) covers [i, i+1) x [j, j+1), so its centre is
 *   (i + 0.5, j + 0.5) and the image spans u in [0, width), v in [0, height). With cx = width / 2 the
 *   optical axis hits the exact centre of the image (a corner shared by the four middle pixels).
 *
 * Cameras are plain JSON data (samples carry them), so everything here is a free function over it.
 */

export type Vec3 = [number, number, number];

/** Intrinsics in pixels, plus the image size they belong to. */
export interface Intrinsics {
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}

/** A full camera: intrinsics plus world->camera extrinsics. JSON-serialisable. */
export interface Camera extends Intrinsics {
  /** [9] row-major world->camera rotation; its rows are the camera's x, y, z axes in world coordinates. */
  R: number[];
  /** [3] metres: the world origin in camera coordinates. */
  t: number[];
}

/** Intrinsics from a horizontal field of view; square pixels, principal point at the image centre. */
export function intrinsicsFromFov(width = 128, height = 128, fovXDeg = 60): Intrinsics {
  const f = width / 2 / Math.tan((fovXDeg * Math.PI) / 360);
  return { width, height, fx: f, fy: f, cx: width / 2, cy: height / 2 };
}

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  if (!(n > 0)) throw new Error("camera: zero-length vector");
  return [v[0] / n, v[1] / n, v[2] / n];
}
function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/**
 * A camera at `eye` looking at `target` (world metres), with `up` (world) appearing up in the image,
 * then rolled by `rollDeg` about its optical axis (positive turns the image content counter-clockwise).
 */
export function lookAt(eye: Vec3, target: Vec3, intr: Intrinsics = intrinsicsFromFov(), up: Vec3 = [0, 1, 0], rollDeg = 0): Camera {
  const z = normalize([target[0] - eye[0], target[1] - eye[1], target[2] - eye[2]]);
  // x = z × up points right when y is DOWN (right-handed: x × y = z with y = z × x).
  let x = normalize(cross(z, up));
  let y = cross(z, x);
  if (rollDeg !== 0) {
    const c = Math.cos((rollDeg * Math.PI) / 180), s = Math.sin((rollDeg * Math.PI) / 180);
    const xr: Vec3 = [c * x[0] + s * y[0], c * x[1] + s * y[1], c * x[2] + s * y[2]];
    y = [-s * x[0] + c * y[0], -s * x[1] + c * y[1], -s * x[2] + c * y[2]];
    x = xr;
  }
  const R = [...x, ...y, ...z];
  const t = [0, 1, 2].map((k) => -(R[3 * k] * eye[0] + R[3 * k + 1] * eye[1] + R[3 * k + 2] * eye[2]));
  return { ...intr, R, t };
}

/** Where a camera stands and how it is tilted, around a point on the ground. */
export interface OrbitParams {
  /** metres above the ground (y = 0) */
  height: number;
  /** metres, horizontal distance from `target` */
  distance: number;
  /** degrees, downward tilt of the optical axis below the horizon */
  pitchDeg: number;
  /** degrees, azimuth of the camera around `target`; 0 puts it on +z looking towards -z */
  yawDeg: number;
  rollDeg?: number;
  /** [x, z] world metres on the ground that the camera faces (default the origin) */
  target?: [number, number];
}

/**
 * The usual scene camera: stands `distance` m from `target` at azimuth `yaw`, `height` m above the
 * ground, faces the target horizontally and tilts down by `pitch`. (Height, distance and pitch are
 * independent: the optical axis need not pass through the target.) People facing +z face a yaw-0 camera.
 */
export function orbitCamera(p: OrbitParams, intr: Intrinsics = intrinsicsFromFov()): Camera {
  const yaw = (p.yawDeg * Math.PI) / 180, pitch = (p.pitchDeg * Math.PI) / 180;
  const [tx, tz] = p.target ?? [0, 0];
  const eye: Vec3 = [tx + p.distance * Math.sin(yaw), p.height, tz + p.distance * Math.cos(yaw)];
  const fwd: Vec3 = [-Math.sin(yaw) * Math.cos(pitch), -Math.sin(pitch), -Math.cos(yaw) * Math.cos(pitch)];
  return lookAt(eye, [eye[0] + fwd[0], eye[1] + fwd[1], eye[2] + fwd[2]], intr, [0, 1, 0], p.rollDeg ?? 0);
}

/** [N,3] world metres -> [N,3] camera metres (`out` may alias `X`). */
export function worldToCamera(cam: Camera, X: ArrayLike<number>, out = new Float64Array(X.length)): Float64Array {
  const R = cam.R, t = cam.t;
  for (let i = 0; i < X.length; i += 3) {
    const x = X[i], y = X[i + 1], z = X[i + 2];
    out[i] = R[0] * x + R[1] * y + R[2] * z + t[0];
    out[i + 1] = R[3] * x + R[4] * y + R[5] * z + t[1];
    out[i + 2] = R[6] * x + R[7] * y + R[8] * z + t[2];
  }
  return out;
}

/** [N,3] camera metres -> [N,3] world metres: `R^T (Xcam - t)` (`out` may alias `X`). */
export function cameraToWorld(cam: Camera, X: ArrayLike<number>, out = new Float64Array(X.length)): Float64Array {
  const R = cam.R, t = cam.t;
  for (let i = 0; i < X.length; i += 3) {
    const x = X[i] - t[0], y = X[i + 1] - t[1], z = X[i + 2] - t[2];
    out[i] = R[0] * x + R[3] * y + R[6] * z;
    out[i + 1] = R[1] * x + R[4] * y + R[7] * z;
    out[i + 2] = R[2] * x + R[5] * y + R[8] * z;
  }
  return out;
}

/** [N,3] camera metres -> [N,2] pixels (u, v). Points at z <= 0 give non-finite or mirrored values: check z. */
export function project(cam: Intrinsics, Xcam: ArrayLike<number>, out = new Float64Array((Xcam.length / 3) * 2)): Float64Array {
  for (let i = 0, o = 0; i < Xcam.length; i += 3, o += 2) {
    const z = Xcam[i + 2];
    out[o] = (cam.fx * Xcam[i]) / z + cam.cx;
    out[o + 1] = (cam.fy * Xcam[i + 1]) / z + cam.cy;
  }
  return out;
}

/** [N,2] pixels and [N] depths (camera z, metres) -> [N,3] camera metres; inverse of `project`. */
export function unproject(cam: Intrinsics, uv: ArrayLike<number>, depth: ArrayLike<number>, out = new Float64Array(depth.length * 3)): Float64Array {
  for (let n = 0; n < depth.length; n++) {
    const z = depth[n];
    out[3 * n] = ((uv[2 * n] - cam.cx) / cam.fx) * z;
    out[3 * n + 1] = ((uv[2 * n + 1] - cam.cy) / cam.fy) * z;
    out[3 * n + 2] = z;
  }
  return out;
}

/** The camera's centre in world metres: `-R^T t`. */
export function cameraCentre(cam: Camera): Vec3 {
  const c = cameraToWorld(cam, [0, 0, 0]);
  return [c[0], c[1], c[2]];
}

/** Unit world-space direction of the ray through pixel position (u, v). */
export function pixelRay(cam: Camera, u: number, v: number): Vec3 {
  const a = (u - cam.cx) / cam.fx, b = (v - cam.cy) / cam.fy, R = cam.R;
  return normalize([a * R[0] + b * R[3] + R[6], a * R[1] + b * R[4] + R[7], a * R[2] + b * R[5] + R[8]]);
}

/** True iff the pixel position lies inside the image ([0, width) x [0, height)). */
export function inImage(cam: Intrinsics, u: number, v: number): boolean {
  return u >= 0 && u < cam.width && v >= 0 && v < cam.height;
}
