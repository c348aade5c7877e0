/**
 * Atomic file I/O. Every artifact is written to a temporary sibling and renamed into place, so a crash
 * or Ctrl-C mid-write leaves either the old file or the new one, never half of one.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { execFileSync } from "node:child_process";
import { ROOT } from "./paths";

let tmpCounter = 0;
function tmpName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${tmpCounter++}.tmp`);
}

/** Write `data` to `path` atomically (temp file, fsync, rename). Creates parent folders. */
export function atomicWrite(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpName(path);
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function atomicWriteJson(path: string, value: unknown): void {
  atomicWrite(path, JSON.stringify(value, null, 2) + "\n");
}

/** Read and parse a JSON file; errors name the file (and the position for syntax errors). */
export function readJson<T = unknown>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/**
 * Replace folder `dir` with a folder filled by `fill(tmpDir)`, atomically from a reader's view: the
 * new folder is complete before it is renamed into place; the old one is removed only afterwards.
 */
export function atomicWriteDir(dir: string, fill: (tmpDir: string) => void): void {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${tmpCounter++}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = `${dir}.old-${process.pid}-${tmpCounter++}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

let cachedVersion: string | undefined;
/** The code version artifacts record: git commit (+ "-dirty"), or the package version outside git. */
export function codeVersion(): string {
  if (cachedVersion) return cachedVersion;
  try {
    const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
    cachedVersion = dirty ? `${head}-dirty` : head;
  } catch {
    cachedVersion = `v${(readJson<{ version: string }>(join(ROOT, "package.json"))).version}`;
  }
  return cachedVersion;
}
