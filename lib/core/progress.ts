/**
 * Progress for long loops. On a terminal: a cli-progress bar with ETA. In a notebook (tslab kernel):
 * one compact text line rewritten in place with "\r" (Jupyter's stream output honours it). Elsewhere
 * (CI logs, pipes): a plain line at every 10% so logs stay readable.
 */
import { SingleBar } from "cli-progress";

export interface Progress {
  /** Advance by `n` (default 1); `info` is a short status such as "loss=0.42". */
  tick(n?: number, info?: string): void;
  done(info?: string): void;
}

type Mode = "tty" | "notebook" | "log" | "silent";

function detectMode(): Mode {
  if (/^(1|true)$/i.test(process.env.WB_SILENT ?? "")) return "silent";
  if (process.argv.some((a) => /tslab/.test(a))) return "notebook";
  return process.stdout.isTTY ? "tty" : "log";
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  return s >= 3600 ? `${(s / 3600).toFixed(1)}h` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(0)}s`;
}

export function progress(label: string, total: number, opts: { mode?: Mode } = {}): Progress {
  const mode = opts.mode ?? detectMode();
  const t0 = Date.now();
  let count = 0;
  let last = 0;
  let lastDecile = -1;
  let bar: SingleBar | undefined;
  if (mode === "tty") {
    bar = new SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total} | ETA {eta_formatted} | {info}`, hideCursor: true, etaBuffer: 50 });
    bar.start(total, 0, { info: "" });
  }
  const line = (info: string) => {
    const el = (Date.now() - t0) / 1000;
    const eta = count > 0 ? (el / count) * (total - count) : NaN;
    return `${label} ${count}/${total} ${total ? ((100 * count) / total).toFixed(0) : 100}% ${fmtSeconds(el)} elapsed, ETA ${fmtSeconds(eta)}${info ? " | " + info : ""}`;
  };
  return {
    tick(n = 1, info = "") {
      count = Math.min(total, count + n);
      if (mode === "tty") bar!.update(count, { info });
      else if (mode === "notebook") {
        const now = Date.now();
        if (now - last > 500 || count === total) {
          process.stdout.write("\r" + line(info));
          last = now;
        }
      } else if (mode === "log") {
        const dec = Math.floor((10 * count) / Math.max(1, total));
        if (dec !== lastDecile) {
          lastDecile = dec;
          console.log(line(info));
        }
      }
    },
    done(info = "") {
      count = total;
      if (mode === "tty") {
        bar!.update(total, { info });
        bar!.stop();
      } else if (mode === "notebook") process.stdout.write("\r" + line(info) + "\n");
      else if (mode === "log") console.log(line(info));
    },
  };
}
