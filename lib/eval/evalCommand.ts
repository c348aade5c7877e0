/**
 * `npm run cli -- eval --gt GT.json --pred PRED.json [--protocol crmh|strict] [--out DIR]`: scores
 * anyone's 3D poses (file format: lib/eval/predictionsIo.ts, docs/eval-format.md) under the protocols
 * of lib/eval/protocols.ts, per sequence and overall. Argument parsing and printing only; the scoring
 * is evaluateFrame + summarise, the same functions that score our own model.
 */
import { join, resolve } from "node:path";
import { atomicWrite, atomicWriteJson, codeVersion } from "../core/io";
import { evaluateFrame, summarise, MISS_PENALTY, PROTOCOLS, type Protocol, type SequenceSummary } from "./protocols";
import { readGtFile, readPredFile, toEvalFrames } from "./predictionsIo";

export const EVAL_USAGE = `usage: npm run cli -- eval --gt GT.json --pred PRED.json [--protocol crmh|strict] [--out DIR]
  --gt FILE        ground truth: {"frames": [{"sequence", "frame", "people": [{"joints3d": [17][3] m, "visible"?}]}]}
  --pred FILE      predictions:  {"frames": [{"sequence", "frame", "people": [{"joints3d": [17][3] m, "score"?}]}]}
  --protocol NAME  crmh (CRMH's code, Table I) or strict (one-to-one, 150 mm per missed person); default both
  --out DIR        also write DIR/metrics.csv and DIR/metrics.json
format: docs/eval-format.md`;

/** metrics.csv columns, in order (the SequenceSummary fields). */
export const METRICS_COLUMNS = ["sequence", "protocol", "mpjpe_mm", "pa_mpjpe_mm", "frames", "people", "skipped_frames"] as const;

export interface EvalArgs {
  gt: string;
  pred: string;
  protocols: Protocol[];
  out?: string;
}

/** One line per protocol above its table, so a reader of the printout knows what the numbers reward. */
const PROTOCOL_NOTES: Record<Protocol, string> = {
  crmh: "nearest prediction per GT person (duplicates allowed), missed people not charged, frames without predictions skipped",
  strict: `one-to-one matching, ${1000 * MISS_PENALTY} mm per missed person, no frame skipped`,
};

const usageError = (msg: string) => new Error(`eval: ${msg}\n${EVAL_USAGE}`);

/**
 * Parse `--name value` / `--name=value`. Relative paths are taken from where the user typed the
 * command: `npm run` moves the working directory to the package root and keeps the original in INIT_CWD.
 */
export function parseEvalArgs(argv: readonly string[], cwd = process.env.INIT_CWD ?? process.cwd()): EvalArgs {
  const known = new Set(["--gt", "--pred", "--protocol", "--out"]);
  const got = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const eq = argv[i].indexOf("=");
    const name = argv[i].startsWith("--") && eq > 0 ? argv[i].slice(0, eq) : argv[i];
    if (!known.has(name)) throw usageError(`unknown argument "${argv[i]}"`);
    const value = eq > 0 && argv[i].startsWith("--") ? argv[i].slice(eq + 1) : argv[++i];
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) throw usageError(`${name} needs a value`);
    if (got.has(name)) throw usageError(`${name} given twice`);
    got.set(name, value);
  }
  const gt = got.get("--gt"), pred = got.get("--pred"), protocol = got.get("--protocol"), out = got.get("--out");
  if (!gt) throw usageError("missing --gt");
  if (!pred) throw usageError("missing --pred");
  if (protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(protocol)) throw usageError(`unknown protocol "${protocol}" (expected ${PROTOCOLS.join(" or ")})`);
  return { gt: resolve(cwd, gt), pred: resolve(cwd, pred), protocols: protocol ? [protocol as Protocol] : [...PROTOCOLS], out: out === undefined ? undefined : resolve(cwd, out) };
}

const mm = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");

/** Aligned text table of one protocol's rows: first column left-aligned, numbers right-aligned. */
export function formatTable(rows: readonly SequenceSummary[]): string {
  const head = ["sequence", "MPJPE mm", "PA-MPJPE mm", "frames", "people", "skipped"];
  const body = rows.map((r) => [r.sequence, mm(r.mpjpe_mm, 1), mm(r.pa_mpjpe_mm, 1), String(r.frames), String(r.people), String(r.skipped_frames)]);
  const width = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => (c === 0 ? s.padEnd(width[c]) : s.padStart(width[c]))).join("  ");
  return [head, ...body].map(line).join("\n");
}

/** metrics.csv text; mm to 0.001 (a micrometre: well below any pose error), NaN where nothing was scored. */
export function metricsCsv(rows: readonly SequenceSummary[]): string {
  // Sequence names come from the user's file: quote the rare one that would break the CSV.
  const text = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const cell = (r: SequenceSummary, c: (typeof METRICS_COLUMNS)[number]) => (c === "mpjpe_mm" || c === "pa_mpjpe_mm" ? r[c].toFixed(3) : text(String(r[c])));
  return [METRICS_COLUMNS.join(","), ...rows.map((r) => METRICS_COLUMNS.map((c) => cell(r, c)).join(","))].join("\n") + "\n";
}

/**
 * Run the command: validate both files completely, score, print, and (with --out) write metrics.csv and
 * metrics.json. Everything that can fail runs before the first write, and each file is renamed into
 * place whole, so an error leaves --out as it was.
 */
export async function evalCommand(argv: string[], log: (line: string) => void = console.log): Promise<{ rows: SequenceSummary[] }> {
  const args = parseEvalArgs(argv);
  const gt = readGtFile(args.gt), pred = readPredFile(args.pred);
  const frames = toEvalFrames(gt, pred);
  log(`gt:   ${args.gt} (${gt.frames.length} frames)`);
  log(`pred: ${args.pred} (${pred.frames.length} frames)`);
  const rows: SequenceSummary[] = [];
  for (const protocol of args.protocols) {
    const personRows = frames.flatMap((f) => evaluateFrame(f, protocol));
    const summary = summarise(personRows, protocol);
    rows.push(...summary);
    log("");
    log(`${protocol}: ${PROTOCOL_NOTES[protocol]}`);
    log(formatTable(summary));
  }
  if (args.out) {
    const csv = metricsCsv(rows);
    // NaN (a sequence whose every frame was skipped) becomes null in JSON.
    const json = { gt: args.gt, pred: args.pred, miss_penalty_mm: 1000 * MISS_PENALTY, code: codeVersion(), rows };
    const csvPath = join(args.out, "metrics.csv"), jsonPath = join(args.out, "metrics.json");
    atomicWrite(csvPath, csv);
    atomicWriteJson(jsonPath, json);
    log("");
    log(`wrote ${csvPath} and ${jsonPath}`);
  }
  return { rows };
}
