// Builds the optional oneDNN conv addon (native/dnnlconv.cc -> native/build/dnnlconv.node) when its
// source is newer than the build. Optional: without g++ or Debian's libdnnl-dev it prints why and
// exits 0, and the workbench runs the wasm kernels (lib/core/nativeConv.ts). Plain g++, no node-gyp:
// node-gyp would fetch Node's headers from nodejs.org, which these machines cannot reach, while the
// headers ship with Node itself (include/node next to bin/node).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "native", "dnnlconv.cc");
const out = join(root, "native", "build", "dnnlconv.node");
const force = process.argv.includes("--force");

function skip(why) {
  console.error(`build-native: skipped, the wasm conv kernels will run (${why})`);
  process.exit(0);
}

if (process.env.WB_NATIVE === "0") skip("WB_NATIVE=0");
if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) process.exit(0);
const headers = join(dirname(process.execPath), "..", "include", "node");
if (!existsSync(join(headers, "node_api.h"))) skip(`no Node headers at ${headers}`);
try {
  execFileSync("g++", ["--version"], { stdio: "ignore" });
} catch {
  skip("no g++; apt-get install g++");
}
const probe = ["/usr/include/dnnl.hpp", "/usr/local/include/dnnl.hpp"].some(existsSync);
if (!probe) skip("no oneDNN headers; apt-get install --no-install-recommends libdnnl-dev");
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.tmp`;
try {
  execFileSync("g++", ["-O2", "-shared", "-fPIC", "-std=c++17", "-fopenmp", `-I${headers}`, src, "-ldnnl", "-o", tmp], { stdio: "inherit" });
} catch (e) {
  rmSync(out, { force: true }); // an addon older than its source must not load in its place
  skip(`g++ failed (the addon needs oneDNN 2.x): ${e.message.split("\n")[0]}`);
}
renameSync(tmp, out); // atomic: a half-written addon is never loaded
console.error(`build-native: built ${out}`);
