/**
 * The main job: the whole study on the embedded default, as cached tasks (lib/stages/experiment.ts)
 * run `cfg.processes` at a time in child processes (the wasm backend computes on one thread, so one
 * process per core doubles the throughput of this 2-core machine), then the report (lib/report/
 * studyReport.ts) from their files. A rerun skips every finished stage; an interrupted run resumes
 * at the first missing one. The CLI's `start` and the notebooks call the same functions.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { configHash } from "./core/config";
import type { Config } from "./config";
import { atomicWriteJson, codeVersion } from "./core/io";
import { paths } from "./core/paths";
import { initBackend } from "./core/backend";
import { runTask, taskList, type SeedArtifacts, type TaskContext, type TaskName } from "./stages/experiment";
import { writeStudyReport, type StudyReport } from "./report/studyReport";

/** The data every table and figure must be labelled with. */
export const DATA_LABEL = "embedded synthetic world (mocap-driven; NOT MPI-INF-3DHP / Cityscapes / CMU Panoptic)";

/** `results/<run>` for a run name (the main job uses "main", quick mode "main-quick"). */
export function runDir(name: string): string {
  return join(paths.results, name);
}

/** The default run name of a config. */
export const defaultRun = (cfg: Config) => (cfg.quick ? "main-quick" : "main");

interface PlannedTask {
  task: TaskName;
  seed: number;
  after: string[];
}

/**
 * Run `tasks` in child processes (`node dist/lib/cli.js task <task> --seed <k> --run <run> <argv>`),
 * at most `processes` at a time, each once its dependencies have finished. The first failure stops
 * the scheduling of new tasks; running ones finish (their stages are atomic, so nothing is lost).
 */
export async function runTasksInChildren(tasks: readonly PlannedTask[], o: { processes: number; run: string; argv: readonly string[]; log: (s: string) => void }): Promise<{ task: string; seconds: number }[]> {
  const cli = join(__dirname, "cli.js");
  const id = (t: PlannedTask) => `${t.task}:${t.seed}`;
  const done = new Set<string>(), started = new Set<string>(), timings: { task: string; seconds: number }[] = [];
  let failure: Error | null = null, running = 0;
  return new Promise((resolve, reject) => {
    const launch = () => {
      if (failure) {
        if (running === 0) reject(failure);
        return;
      }
      if (done.size === tasks.length) return resolve(timings);
      for (const t of tasks) {
        if (running >= o.processes) break;
        if (started.has(id(t)) || !t.after.every((a) => done.has(a))) continue;
        started.add(id(t));
        running++;
        const t0 = Date.now();
        const child = spawn(process.execPath, [cli, "task", t.task, "--seed", String(t.seed), "--run", o.run, ...o.argv], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
        const prefix = `[${id(t)}] `;
        let tail = "";
        const relay = (buf: Buffer) => {
          const text = buf.toString();
          tail = (tail + text).slice(-4000);
          for (const line of text.split(/\r|\n/)) if (line.trim()) o.log(prefix + line);
        };
        child.stdout.on("data", relay);
        child.stderr.on("data", relay);
        child.on("close", (code) => {
          running--;
          if (code === 0) {
            done.add(id(t));
            timings.push({ task: id(t), seconds: (Date.now() - t0) / 1000 });
          } else failure ??= new Error(`task ${id(t)} failed (exit ${code}); its last output:\n${tail}`);
          launch();
        });
      }
    };
    launch();
  });
}

/** Collect every task's artifacts in this process (all cached once the tasks have run). */
export async function collectArtifacts(c: TaskContext, seeds: readonly number[]): Promise<Map<number, SeedArtifacts>> {
  const out = new Map<number, SeedArtifacts>();
  const pre = await runTask(c, "pretrained", seeds[0]);
  for (const s of seeds) {
    const a: SeedArtifacts = { finetunes: {}, evaluations: { pretrained: pre.evaluations.pretrained } };
    for (const t of ["baseline", "pseudo", "ft_pseudo", "ft_conf"] as const) await runTask(c, t, s, a);
    out.set(s, a);
  }
  return out;
}

export interface MainOptions {
  run?: string;
  /** The CLI arguments that made `cfg` (--quick, --set ...), passed on to the child processes. */
  argv?: readonly string[];
  /** Run the tasks in this process instead of child processes (notebooks; slower on a multi-core machine). */
  inProcess?: boolean;
  log?: (s: string) => void;
}

/** The whole study: every task for every seed, then Table I, the figures and results/<run>/index.html. */
export async function runMain(cfg: Config, opts: MainOptions = {}): Promise<StudyReport> {
  const log = opts.log ?? console.log;
  const t0 = Date.now(), startedAt = new Date().toISOString();
  const run = opts.run ?? defaultRun(cfg);
  const dir = runDir(run);
  const backend = await initBackend({ quiet: true });
  log(`data: ${DATA_LABEL}`);
  log(`run: ${dir} (config ${configHash(cfg)}, ${cfg.quick ? "quick" : "full"} mode, seeds ${cfg.seeds.join(",")}, backend ${backend.name})`);
  atomicWriteJson(join(dir, "config.json"), cfg);
  const tasks = taskList(cfg.seeds);
  const c: TaskContext = { cfg, dir, quiet: true, log: () => {} };
  let timings: { task: string; seconds: number }[] = [];
  if (opts.inProcess) {
    for (const t of tasks) {
      const t1 = Date.now();
      await runTask({ cfg, dir, log }, t.task, t.seed);
      timings.push({ task: `${t.task}:${t.seed}`, seconds: (Date.now() - t1) / 1000 });
    }
  } else {
    log(`running ${tasks.length} tasks, ${cfg.processes} at a time in child processes`);
    timings = await runTasksInChildren(tasks, { processes: Math.max(1, cfg.processes), run, argv: opts.argv ?? (cfg.quick ? ["--quick"] : []), log });
  }
  const artifacts = await collectArtifacts(c, cfg.seeds);
  const report = await writeStudyReport(dir, cfg, artifacts, {
    run, dataLabel: DATA_LABEL, backend: backend.name, commit: codeVersion(), startedAt, timings,
    wallSeconds: (Date.now() - t0) / 1000, command: `npm start --${cfg.quick ? " --quick" : ""}${(opts.argv ?? []).filter((a) => a !== "--quick").map((a) => ` ${a}`).join("")}`,
  });
  log(report.table1Text);
  log(`report: ${join(dir, "index.html")} (${((Date.now() - t0) / 60000).toFixed(1)} min)`);
  return report;
}
