// Rebuild dist/ when any TypeScript source is newer than the last build (tsc -b style, without its
// project-reference ceremony). Keeps `npm test` / `npm start` one command on a fresh clone.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stamp = join(root, "dist", ".tsbuildinfo");
function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith(".ts")) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
const src = Math.max(...["lib", "test", "bench"].map((d) => newest(join(root, d))), statSync(join(root, "tsconfig.json")).mtimeMs);
if (!existsSync(stamp) || statSync(stamp).mtimeMs < src) {
  // node_modules/.bin/tsc is tslab's bundled TypeScript 5.0: call the pinned 5.9 explicitly.
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], { stdio: "inherit" });
}
// The optional oneDNN addon (rebuilt only when native/dnnlconv.cc changed; skips itself without g++/libdnnl-dev).
execFileSync(process.execPath, [join(root, "scripts/build-native.mjs")], { stdio: "inherit" });
