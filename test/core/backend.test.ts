import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { getBackendInfo, initBackend } from "../../lib/core/backend";
import { nativeConv } from "../../lib/core/nativeConv";

/** Runs initBackend in a fresh process (the engine is per process): exit status and stderr. */
function initInChild(env: Record<string, string | undefined>): { status: number | null; stderr: string } {
  const backendJs = join(__dirname, "..", "..", "lib", "core", "backend.js");
  const script = `require(${JSON.stringify(backendJs)}).initBackend().catch((e) => { console.error("ERROR " + e.message); process.exit(3); })`;
  const childEnv = { ...process.env, ...env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete childEnv[k];
  const r = spawnSync(process.execPath, ["-e", script], { env: childEnv, encoding: "utf8", timeout: 60000 });
  return { status: r.status, stderr: r.stderr };
}

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

describe("core/backend", () => {
  it("defaults to wasm here (tfjs-node absent), with SIMD, one thread, both gradient kernels, and oneDNN's convs where built", async function () {
    if (process.env.WB_BACKEND || installed("@tensorflow/tfjs-node") || installed("@tensorflow/tfjs-node-gpu")) this.skip();
    const info = await initBackend({ quiet: true });
    assert.equal(info.name, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(info.tfjsVersion, tf.version.tfjs);
    assert.equal(info.simd, true);
    assert.equal(info.threads, 1);
    const native = nativeConv() ? ["Conv2D", "FusedConv2D"] : [];
    assert.deepEqual([...info.customKernels].sort(), ["Concat", "Conv2DBackpropFilter", "Conv2DBackpropInput", "Pack", "Slice", "SplitV", "Unpack", ...native].sort());
    assert.match(info.native ?? "", native.length ? /^oneDNN / : /^off: /);
  });

  it("is idempotent, and refuses to switch to another forced backend", async () => {
    const a = await initBackend({ quiet: true });
    const b = await initBackend({ quiet: true });
    assert.equal(a, b);
    assert.equal(getBackendInfo(), a);
    assert.equal(await initBackend({ backend: a.name, quiet: true }), a);
    const other = a.name === "cpu" ? "wasm" : "cpu";
    await assert.rejects(initBackend({ backend: other, quiet: true }), new RegExp(`'${other}' was asked for.*already runs '${a.name}'`));
  });

  it("rejects an unknown backend name", async () => {
    await assert.rejects(initBackend({ backend: "tpu" }), /unknown backend 'tpu'.*tensorflow-gpu, tensorflow, wasm, cpu/);
  });

  it("WB_BACKEND=tensorflow fails loudly when tfjs-node is not installed (no silent fallback)", function () {
    if (installed("@tensorflow/tfjs-node")) this.skip();
    const r = initInChild({ WB_BACKEND: "tensorflow" });
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /ERROR backend 'tensorflow' was forced .* cannot start: @tensorflow\/tfjs-node is not installed/);
  });

  it("logs the backend in use in one line, naming what it skipped", function () {
    if (installed("@tensorflow/tfjs-node") || installed("@tensorflow/tfjs-node-gpu")) this.skip();
    const r = initInChild({ WB_BACKEND: undefined });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("tfjs backend:"));
    assert.equal(lines.length, 1, r.stderr);
    const ours = "Conv2DBackpropFilter\\+Conv2DBackpropInput\\+Slice\\+SplitV\\+Unpack\\+Concat\\+Pack";
    const kernels = nativeConv() ? `native convs oneDNN [\\d.]+, custom kernels ${ours}\\+Conv2D\\+FusedConv2D` : `native convs off: .+?, custom kernels ${ours}`;
    assert.match(lines[0], new RegExp(`^tfjs backend: wasm, SIMD on, 1 thread\\(s\\), ${kernels} \\(tfjs 4\\.\\d+\\.\\d+\\); skipped tensorflow-gpu \\(@tensorflow/tfjs-node-gpu is not installed\\), tensorflow`));
  });
});
