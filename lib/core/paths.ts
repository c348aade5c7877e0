/**
 * Paths resolved from the repository root, never from the working directory: notebooks run with
 * notebooks/ as their working directory, the CLI from wherever the user is.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "lib"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`paths: no repository root (package.json + lib/) above ${start}`);
    dir = up;
  }
}

/** The repository root (the folder holding package.json and lib/). `WB_ROOT` overrides it. */
export const ROOT: string = process.env.WB_ROOT ? resolve(process.env.WB_ROOT) : findRoot(__dirname);

export const paths = {
  root: ROOT,
  data: join(ROOT, "data"),
  mocap: join(ROOT, "data", "mocap"),
  checkpoints: join(ROOT, "data", "checkpoints"),
  /** `WB_RESULTS` redirects all outputs (tests use a temporary folder). */
  results: process.env.WB_RESULTS ? resolve(process.env.WB_RESULTS) : join(ROOT, "results"),
  docs: join(ROOT, "docs"),
  fromRoot: (...parts: string[]) => join(ROOT, ...parts),
};
