#!/usr/bin/env node
/**
 * Command line: argument parsing only; the work lives in lib/. `npm start -- [--quick] [--set k=v]`
 * runs the main job; `npm run cli -- <command> ...` runs one piece.
 */
import { resolveConfig } from "./config";
import { runMain, runDir, defaultRun } from "./pipeline";
import { exportPredictions, runTask, TASKS, type MethodId, type TaskName } from "./stages/experiment";
import { initBackend } from "./core/backend";
import { evalCommand } from "./eval/evalCommand";
import { runAblation } from "./ablate";
import { subsetStage } from "./data/subset";
import { pretrainStage, reevaluateCheckpoint } from "./stages/pretrain";
import { join } from "node:path";
import { paths } from "./core/paths";
import { writeDomainMontage } from "./report/montage";

const USAGE = `usage: npm run cli -- <command> [--quick] [--set key=value ...]
commands:
  start            the main job on the embedded default (also: npm start): every stage for every seed,
                   Table I, figures and results/<run>/index.html
  task <name> [--seed N] [--run NAME]
                   one task of the main job and what it depends on (cached): ${TASKS.join(", ")}
  ablate key=v1,v2 [key=v1,v2 ...] [--grid] [--name NAME]   (also: npm run ablate -- ...)
                   the study once per variant (one key at a time, or --grid), cached stages shared;
                   one tidy table + plot in results/<run>/ablations/<name>/
  eval --gt GT.json --pred PRED.json [--protocol crmh|strict] [--out DIR]
                   score anyone's predictions (format: docs/eval-format.md)
  export --method pretrained|baseline|pseudo|conf_pseudo [--seed N] [--out DIR]
                   a model's studio predictions + the ground truth in that format (default DIR results/<run>/export)
  subset [--seed N] draw the seeded labeled subset into results/subset/seed<N>/subset.json
  pretrain [--eval-only] [--no-ship]
                   train the regressor from scratch on the pretrain domain, evaluate, ship to data/checkpoints/pretrained
                   (--eval-only: re-evaluate the shipped checkpoint only, both 3D heads; --no-ship: keep the run
                   in results/pretrain/<hash>/ and leave the shipped checkpoint as it is, for ablations and draws)
  docs             regenerate the README's images (docs/domains.png)
options:
  --quick          small sizes and few steps, same code path (also WB_QUICK=1)
  --set a.b=value  override a config key (checked against the default's type); repeatable`;

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  const cfg = resolveConfig({ argv: rest });
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  switch (cmd) {
    case "start":
      await runMain(cfg, { run: flag("--run"), argv: rest.filter((a, i) => a !== "--run" && rest[i - 1] !== "--run") });
      return;
    case "task": {
      const task = rest[0] as TaskName;
      if (!TASKS.includes(task)) throw new Error(`task: unknown task "${rest[0]}" (one of ${TASKS.join(", ")})`);
      const seed = Number(flag("--seed") ?? cfg.seed);
      if (!Number.isInteger(seed)) throw new Error(`task: --seed must be an integer, got "${flag("--seed")}"`);
      await initBackend({ quiet: true });
      await runTask({ cfg, dir: runDir(flag("--run") ?? defaultRun(cfg)) }, task, seed);
      return;
    }
    case "ablate":
      await runAblation(rest);
      return;
    case "export": {
      const method = (flag("--method") ?? "conf_pseudo") as MethodId;
      if (!["pretrained", "baseline", "pseudo", "conf_pseudo"].includes(method)) throw new Error(`export: unknown --method "${method}"`);
      const dir = runDir(flag("--run") ?? defaultRun(cfg));
      await initBackend({ quiet: true });
      const out = await exportPredictions({ cfg, dir }, method, Number(flag("--seed") ?? cfg.seeds[0]), flag("--out") ?? join(dir, "export"));
      console.log(`wrote ${out.gt} and ${out.pred}; score them with: npm run cli -- eval --gt ${out.gt} --pred ${out.pred}`);
      return;
    }
    case "eval":
      await evalCommand(rest);
      return;
    case "subset": {
      const seed = Number(flag("--seed") ?? cfg.seed);
      const { result } = await subsetStage(cfg, seed, join(runDir("subset"), `seed${seed}`));
      console.log(`subset of ${result.indices.length} lab images (seed ${seed}); first: ${result.indices.slice(0, 8).join(", ")} ...`);
      return;
    }
    case "pretrain":
      if (rest.includes("--eval-only")) await reevaluateCheckpoint(cfg);
      else await pretrainStage(cfg, { ship: !rest.includes("--no-ship") });
      return;
    case "docs": {
      const out = join(paths.docs, "domains.png");
      const r = writeDomainMontage(resolveConfig({ quick: false, argv: rest }), 0, out);
      console.log(`wrote ${out} (${r.width}x${r.height}, ${(r.bytes / 1024).toFixed(0)} KB)`);
      return;
    }
    case undefined:
    case "help":
    case "--help":
      console.log(USAGE);
      return;
    default:
      throw new Error(`unknown command "${cmd}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((e: Error) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
