/**
 * The JSON files of the `eval` command (docs/eval-format.md): ground truth and predictions as plain
 * 17-joint 3D poses, so anyone's predictions can be scored, and ours exported and re-scored the same way.
 *
 *   GT:   {"frames": [{"sequence", "frame", "people": [{"joints3d": [17][3] m, "visible"?: [17] 0|1}]}]}
 *   PRED: {"frames": [{"sequence", "frame", "people": [{"joints3d": [17][3] m, "score"?: number}]}]}
 *
 * Joints follow H36M_17 (lib/body/joints.ts), root = joint 0; any coordinate frame, since the protocols
 * subtract the root. Frames are keyed by (sequence, frame). Validation is exhaustive and fails on the
 * first problem with a message naming the file, the frame (index, sequence/frame) and the field: a
 * silently dropped person or frame would change the score without anyone noticing.
 */
import { atomicWriteJson, readJson } from "../core/io";
import { NUM_EVAL_JOINTS } from "../body/joints";
import { STUDIO_CAMERAS } from "../data/datasets";
import type { PersonLabel } from "../data/records";
import type { EvalFrame, GtPerson, PredPerson } from "./protocols";

/** On-disk ground truth. `visible` defaults to all 1. */
export interface EvalGtJson {
  frames: { sequence: string; frame: number; people: { joints3d: number[][]; visible?: number[] }[] }[];
}
/** On-disk predictions. `score` is carried along but no protocol uses it. */
export interface EvalPredJson {
  frames: { sequence: string; frame: number; people: { joints3d: number[][]; score?: number }[] }[];
}

export interface EvalGtFrame {
  sequence: string;
  frame: number;
  /** `visible` filled in */
  people: GtPerson[];
}
export interface EvalPredFrame {
  sequence: string;
  frame: number;
  people: PredPerson[];
}
/** A validated GT file; `path` (as the user gave it) is kept for later error messages. */
export interface EvalGtFile {
  path: string;
  frames: EvalGtFrame[];
}
export interface EvalPredFile {
  path: string;
  frames: EvalPredFrame[];
}

const J = NUM_EVAL_JOINTS;
const key = (sequence: string, frame: number) => `${sequence}\u0000${frame}`;

/**
 * Short rendering of an offending value for error messages (long ones are cut). Numbers are written
 * by hand because JSON.stringify turns NaN and Infinity into "null", which would hide the problem.
 */
function show(v: unknown): string {
  const text = (x: unknown): string =>
    x === undefined ? "nothing" : typeof x === "number" ? String(x) : Array.isArray(x) ? `[${x.map(text).join(",")}]` : (JSON.stringify(x) ?? String(x));
  const s = text(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * Checks for one file. Messages read `path: frames[i] (sequence/frame): field: problem`; the frame's
 * own sequence and number join its index once they are known to be valid, so a message points at the
 * frame the user would look for as well as at its place in the array.
 */
class Checker {
  constructor(readonly path: string) {}
  fail(where: string, msg: string): never {
    throw new Error(`${this.path}: ${where}: ${msg}`);
  }
  frames(json: unknown): unknown[] {
    if (!isObject(json)) this.fail("top level", `expected an object with "frames", got ${show(json)}`);
    if (!Array.isArray(json.frames)) this.fail("frames", `expected an array, got ${show(json.frames)}`);
    return json.frames;
  }
  /** Checks the frame header and returns its label "frames[i] (seq/frame)" plus the fields. */
  header(f: unknown, i: number): { where: string; sequence: string; frame: number; people: unknown[] } {
    const at = `frames[${i}]`;
    if (!isObject(f)) this.fail(at, `expected an object, got ${show(f)}`);
    if (typeof f.sequence !== "string" || f.sequence === "") this.fail(at, `sequence: expected a non-empty string, got ${show(f.sequence)}`);
    if (!Number.isInteger(f.frame)) this.fail(`${at} (${f.sequence})`, `frame: expected an integer, got ${show(f.frame)}`);
    const where = `${at} (${f.sequence}/${f.frame})`;
    if (!Array.isArray(f.people)) this.fail(where, `people: expected an array, got ${show(f.people)}`);
    return { where, sequence: f.sequence, frame: f.frame as number, people: f.people };
  }
  person(p: unknown, where: string, k: number): Record<string, unknown> {
    if (!isObject(p)) this.fail(where, `people[${k}]: expected an object, got ${show(p)}`);
    return p;
  }
  /** [17][3] finite numbers */
  joints(v: unknown, where: string, field: string): number[][] {
    if (!Array.isArray(v)) this.fail(where, `${field}: expected an array of ${J} [x, y, z], got ${show(v)}`);
    if (v.length !== J) this.fail(where, `${field}: expected ${J} joints (H36M_17 order), got ${v.length}`);
    v.forEach((q, j) => {
      if (!Array.isArray(q) || q.length !== 3 || !q.every(isNumber)) this.fail(where, `${field}[${j}]: expected 3 numbers, got ${show(q)}`);
    });
    return v as number[][];
  }
  /** Rejects a second frame with the same key, naming the first. */
  unique(seen: Map<string, number>, sequence: string, frame: number, i: number, where: string): void {
    const prev = seen.get(key(sequence, frame));
    if (prev !== undefined) this.fail(where, `duplicate frame: (${sequence}, ${frame}) is also frames[${prev}]`);
    seen.set(key(sequence, frame), i);
  }
}

/**
 * The frame loop both formats share: frames, headers, unique (sequence, frame), and each person's
 * joints; `person` adds the format's own fields (GT: visibility, PRED: score). The callbacks annotate
 * their parameters: TypeScript narrows after `c.fail` (never returns) only through declared types.
 */
function validateFrames<P>(json: unknown, path: string, person: (c: Checker, o: Record<string, unknown>, joints3d: number[][], where: string, k: number) => P): { path: string; frames: { sequence: string; frame: number; people: P[] }[] } {
  // Annotated so TypeScript narrows after c.fail (a never-returning call narrows only through declared types).
  const c: Checker = new Checker(path);
  const seen = new Map<string, number>();
  const frames = c.frames(json).map((f, i) => {
    const h = c.header(f, i);
    c.unique(seen, h.sequence, h.frame, i, h.where);
    const people = h.people.map((p, k) => {
      const o = c.person(p, h.where, k);
      return person(c, o, c.joints(o.joints3d, h.where, `people[${k}].joints3d`), h.where, k);
    });
    return { sequence: h.sequence, frame: h.frame, people };
  });
  return { path, frames };
}

/** Validate parsed GT JSON; `path` only labels error messages. */
export function validateGt(json: unknown, path: string): EvalGtFile {
  return validateFrames(json, path, (c: Checker, o: Record<string, unknown>, joints3d: number[][], where: string, k: number): GtPerson => {
    if (o.visible === undefined) return { joints3d, visible: new Array(J).fill(1) };
    const v = o.visible;
    // 0/1 only: the protocols multiply errors by it, so a confidence in (0, 1) would silently become a weight.
    if (!Array.isArray(v) || v.length !== J) c.fail(where, `people[${k}].visible: expected ${J} values of 0 or 1, got ${show(v)}`);
    v.forEach((x, j) => {
      if (x !== 0 && x !== 1) c.fail(where, `people[${k}].visible[${j}]: expected 0 or 1, got ${show(x)}`);
    });
    return { joints3d, visible: v as number[] };
  });
}

/** Validate parsed prediction JSON; `path` only labels error messages. */
export function validatePred(json: unknown, path: string): EvalPredFile {
  return validateFrames(json, path, (c: Checker, o: Record<string, unknown>, joints3d: number[][], where: string, k: number): PredPerson => {
    if (o.score === undefined) return { joints3d };
    if (!isNumber(o.score)) c.fail(where, `people[${k}].score: expected a number, got ${show(o.score)}`);
    return { joints3d, score: o.score };
  });
}

/** Read and validate a GT file; a missing file or bad JSON also gets an error naming `path`. */
export function readGtFile(path: string): EvalGtFile {
  return validateGt(readJson(path), path);
}
/** Read and validate a predictions file. */
export function readPredFile(path: string): EvalPredFile {
  return validatePred(readJson(path), path);
}

/**
 * One EvalFrame per GT frame, in GT order, with the PRED frame of the same (sequence, frame) or none
 * (a frame without predictions: crmh skips it, strict charges its people). A PRED frame absent from GT
 * is an error: it is a misnumbered frame far more often than a deliberate extra.
 */
export function toEvalFrames(gt: EvalGtFile, pred: EvalPredFile): EvalFrame[] {
  const gtKeys = new Set(gt.frames.map((f) => key(f.sequence, f.frame)));
  const byKey = new Map<string, EvalPredFrame>();
  pred.frames.forEach((f, i) => {
    if (!gtKeys.has(key(f.sequence, f.frame))) {
      throw new Error(`${pred.path}: frames[${i}] (${f.sequence}/${f.frame}): unknown frame: no frame (${f.sequence}, ${f.frame}) in ${gt.path}`);
    }
    byKey.set(key(f.sequence, f.frame), f);
  });
  return gt.frames.map((f) => ({ sequence: f.sequence, frame: f.frame, gt: f.people, pred: byKey.get(key(f.sequence, f.frame))?.people ?? [] }));
}

// ---------------------------------------------------------------- export of our own predictions

/** The studio frame records of lib/stages/evaluate.ts (FramePrediction), structurally. */
export interface StudioFrameRecord {
  sequence: string;
  frame: number;
  camera: string;
  gt: readonly PersonLabel[];
  pred: readonly PersonLabel[];
}

/**
 * frame * 10 + camera index: the two views of one instant are separate evaluation frames, numbered as
 * lib/stages/evaluate.ts numbers them, so exported files re-score to the same figures.
 */
function evalFrameNumber(f: StudioFrameRecord): number {
  const c = STUDIO_CAMERAS.findIndex((k) => k.name === f.camera);
  if (c < 0) throw new Error(`studio export: ${f.sequence}/${f.frame}: unknown camera "${f.camera}" (expected one of ${STUDIO_CAMERAS.map((k) => k.name).join(", ")})`);
  return f.frame * 10 + c;
}

/** GT file contents from studio records: camera-frame joints3d (metres) and visibility of every person. */
export function studioToGtJson(frames: readonly StudioFrameRecord[]): EvalGtJson {
  return { frames: frames.map((f) => ({ sequence: f.sequence, frame: evalFrameNumber(f), people: f.gt.map((p) => ({ joints3d: p.joints3d, visible: p.visible })) })) };
}

/** PRED file contents from studio records; frames without detections are written with no people. */
export function studioToPredJson(frames: readonly StudioFrameRecord[]): EvalPredJson {
  return { frames: frames.map((f) => ({ sequence: f.sequence, frame: evalFrameNumber(f), people: f.pred.map((p) => ({ joints3d: p.joints3d, score: p.score })) })) };
}

/** Write both files of studio records (each atomically), ready for `npm run cli -- eval`. */
export function writeEvalJson(frames: readonly StudioFrameRecord[], out: { gt: string; pred: string }): void {
  const gt = studioToGtJson(frames), pred = studioToPredJson(frames);
  atomicWriteJson(out.gt, gt);
  atomicWriteJson(out.pred, pred);
}
