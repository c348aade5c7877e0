import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../lib/config";
import { runTasksInChildren } from "../../lib/pipeline";
import { finetuneStage } from "../../lib/stages/finetune";
import { fakeSource } from "../train/fixtures";

describe("stages: finetune and the child-process scheduler", () => {
  it("a finetune's variant and its pseudo set must agree (before any work is done)", async () => {
    const cfg = resolveConfig({ quick: true });
    const dir = mkdtempSync(join(tmpdir(), "wb-ft-"));
    const src = fakeSource("ft/a", 4);
    await assert.rejects(finetuneStage(cfg, 0, dir, "baseline", src, { source: src, key: "x" }), /finetune baseline: takes no pseudo set/);
    await assert.rejects(finetuneStage(cfg, 0, dir, "conf_pseudo", src, null), /finetune conf_pseudo: needs a pseudo set/);
  });

  it("a failing child task stops the run with its exit code and its own error message", async () => {
    const lines: string[] = [];
    const run = runTasksInChildren([{ task: "baseline", seed: 0, after: [] }, { task: "pseudo", seed: 0, after: ["baseline:0"] }], {
      processes: 2, run: "never-written", argv: ["--quick", "--set", "no.such.key=1"], log: (s) => lines.push(s),
    });
    await assert.rejects(run, (e: Error) => /task baseline:0 failed \(exit 1\)/.test(e.message) && /no\.such\.key/.test(e.message));
    assert.ok(!lines.some((l) => l.startsWith("[pseudo:0]")), "a task whose dependency failed never starts");
  });
});
