/**
 * Showing figures and tables: inline in a tslab notebook, as standalone HTML pages, as PNG.
 *
 * plotly.js-dist-min is browser-only (it needs `self`), so figures are plain `{data, layout}` specs
 * rendered by the page. Its bundle is 4.8 MB: a notebook gets it inline ONCE, in the output of its
 * first figure, and every later figure calls the `window.Plotly` that script defined. plotly.js 4
 * always assigns `window.Plotly` (no AMD branch), so require.js in classic Jupyter cannot hide it,
 * and nbconvert's HTML export keeps all outputs in one document, so exported figures render too.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { atomicWrite } from "../core/io";
import { ROOT } from "../core/paths";
import { encodePng } from "../world/png";

/** A plotly figure spec: traces and layout exactly as plotly.js takes them. */
export interface PlotlyFigure {
  data: object[];
  layout?: object;
  config?: object;
}

export interface PlotHtmlOptions {
  /** Inline the plotly.js bundle in this fragment. plotlyHtml: default false; showPlot: default true only for a notebook's first figure. */
  includeBundle?: boolean;
  /** DOM id of the figure's div; random by default so that outputs in one document never collide. */
  id?: string;
  /** Height of the figure's div in px (default 420); the width follows the container. */
  height?: number;
}

let bundleCache: string | null = null;
function plotlyBundle(): string {
  // require.resolve finds the file without executing it (executing it in Node throws `self is not defined`).
  bundleCache ??= readFileSync(require.resolve("plotly.js-dist-min"), "utf8");
  return bundleCache;
}

/** JSON that is safe inside a <script> element (no `</script>`, no JS-only line terminators). */
function scriptJson(v: unknown): string {
  return JSON.stringify(v ?? null).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** An HTML fragment that draws `fig`: a div, a script calling Plotly.newPlot, and optionally the bundle. */
export function plotlyHtml(fig: PlotlyFigure, opts: PlotHtmlOptions = {}): string {
  const id = opts.id ?? `wb-plot-${randomBytes(6).toString("hex")}`;
  const config = { responsive: true, displaylogo: false, ...(fig.config ?? {}) };
  const bundle = opts.includeBundle ? `<script type="text/javascript">${plotlyBundle()}</script>\n` : "";
  // Without the bundle (an output cleared, or a page reloaded untrusted) say so instead of failing silently.
  const draw =
    `(function(){var el=document.getElementById(${scriptJson(id)});` +
    `if(!window.Plotly){el.textContent="plotly.js is not loaded on this page: re-run the notebook from the top (or pass includeBundle).";return;}` +
    `window.Plotly.newPlot(el,${scriptJson(fig.data)},${scriptJson(fig.layout ?? {})},${scriptJson(config)});})();`;
  return `${bundle}<div id="${id}" style="width:100%;height:${opts.height ?? 420}px"></div>\n<script type="text/javascript">${draw}</script>`;
}

type TslabDisplay = { html(s: string): void; markdown(s: string): void };
/**
 * tslab's `display`, or null outside a tslab kernel. It must be the kernel's own module instance (its
 * `display` writes through state the kernel set), so it is taken from the kernel's loaded files rather
 * than resolved afresh, and never loaded at all outside tslab (it pulls in a TypeScript compiler).
 */
function tslabDisplay(): TslabDisplay | null {
  const jupyterJs = Object.keys(require.cache).find((k) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(k));
  return jupyterJs ? (require(join(dirname(jupyterJs), "public.js")).display as TslabDisplay) : null;
}

// Per kernel process, i.e. per notebook run: whether this page already holds the plotly bundle.
let bundleShown = false;

/** Draw `fig` inline in a tslab notebook (the first figure carries the bundle); elsewhere print a note. */
export function showPlot(fig: PlotlyFigure, opts: PlotHtmlOptions = {}): void {
  const display = tslabDisplay();
  if (!display) {
    console.log("showPlot: not running in a tslab kernel; use savePlotHtml(fig, path) to view the figure.");
    return;
  }
  const includeBundle = opts.includeBundle ?? !bundleShown;
  display.html(plotlyHtml(fig, { ...opts, includeBundle }));
  bundleShown ||= includeBundle;
}

/** Write `fig` as a self-contained HTML page (bundle inlined), atomically. Returns the absolute path. */
export function savePlotHtml(fig: PlotlyFigure, path: string, opts: { title?: string; height?: number } = {}): string {
  const abs = resolve(path);
  // No mode bar: these pages are for reading and for renderPng, and it would show in every PNG.
  const page = { ...fig, config: { displayModeBar: false, ...(fig.config ?? {}) } };
  const title = (opts.title ?? "figure").replace(/[<&]/g, (c) => (c === "<" ? "&lt;" : "&amp;"));
  const html =
    `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body style="margin:0">\n` +
    `${plotlyHtml(page, { includeBundle: true, id: "figure", height: opts.height })}\n</body></html>\n`;
  atomicWrite(abs, html);
  return abs;
}

function findChromium(): string | null {
  if (process.env.WB_CHROMIUM) return process.env.WB_CHROMIUM;
  const names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    for (const n of names) {
      const p = join(dir, n);
      if (dir && existsSync(p) && statSync(p).isFile()) return p;
    }
  }
  return null;
}

/**
 * Screenshot an HTML page (e.g. from savePlotHtml) to PNG with headless chromium. Returns false, with a
 * note, when no chromium is installed (Debian: `apt-get install --no-install-recommends chromium`).
 */
export function renderPng(htmlPath: string, pngPath: string, size: { width: number; height: number } = { width: 900, height: 440 }): boolean {
  const chromium = findChromium();
  if (!chromium) {
    console.log(`renderPng: no chromium on PATH (set WB_CHROMIUM to its path); ${pngPath} not written.`);
    return false;
  }
  const out = resolve(pngPath);
  const tmp = `${out}.${process.pid}.tmp.png`; // chromium writes here; the rename makes it atomic
  mkdirSync(dirname(out), { recursive: true });
  // dbus and GPU warnings on stderr are harmless; virtual-time-budget lets the plot's script finish first.
  execFileSync(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--hide-scrollbars",
    `--window-size=${size.width},${size.height}`, "--virtual-time-budget=5000", `--screenshot=${tmp}`,
    `file://${resolve(htmlPath)}`], { stdio: "ignore", timeout: 120_000 });
  if (!existsSync(tmp)) throw new Error(`renderPng: chromium wrote no screenshot of ${htmlPath}`);
  renameSync(tmp, out);
  return true;
}

/** Anything showTable accepts: HTML, a danfo DataFrame, an arquero table, or an array of row objects. */
export type TableLike =
  | string
  | { columns: string[]; values: unknown[]; shape: number[] } // danfo DataFrame or Series
  | { columnNames(): string[]; objects(o?: { limit?: number }): object[]; numRows(): number } // arquero
  | Record<string, unknown>[];

function cell(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (v instanceof Date) return v.toISOString();
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Columns and the first `limit` rows of a table, whatever library made it. */
function tableRows(t: Exclude<TableLike, string>, limit: number): { columns: string[]; rows: unknown[][]; total: number } {
  if (Array.isArray(t)) {
    const columns = [...new Set(t.flatMap((r) => Object.keys(r)))];
    return { columns, rows: t.slice(0, limit).map((r) => columns.map((c) => r[c])), total: t.length };
  }
  if ("columnNames" in t) {
    const columns = t.columnNames();
    const rows = t.objects({ limit }).map((o) => columns.map((c) => (o as Record<string, unknown>)[c]));
    return { columns, rows, total: t.numRows() };
  }
  // A danfo Series has the same fields but flat values (and its name as the one column).
  const rows = t.values.slice(0, limit).map((v) => (Array.isArray(v) ? v : [v]));
  return { columns: t.columns, rows, total: t.shape[0] };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/**
 * An HTML table of `t` (numbers to 4 significant digits). danfo and arquero go through one renderer
 * (rather than arquero's own toHTML) so that both look and truncate alike.
 */
export function tableHtml(t: TableLike, opts: { limit?: number } = {}): string {
  if (typeof t === "string") return t;
  const { columns, rows, total } = tableRows(t, opts.limit ?? 50);
  const head = `<tr>${columns.map((c) => `<th>${esc(c)}</th>`).join("")}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((v) => `<td>${esc(cell(v))}</td>`).join("")}</tr>`).join("\n");
  const note = rows.length < total ? `<caption style="caption-side:bottom">first ${rows.length} of ${total} rows</caption>` : "";
  return `<table>${note}\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/** Show a table inline in a tslab notebook; elsewhere print it with console.table. */
export function showTable(t: TableLike, opts: { limit?: number } = {}): void {
  const display = tslabDisplay();
  if (display) return display.html(tableHtml(t, opts));
  if (typeof t === "string") return console.log(t);
  const { columns, rows } = tableRows(t, opts.limit ?? 50);
  console.table(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))));
}

/** Installed versions of packages, read from their package.json under the repository's node_modules. */
export function packageVersions(names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((n) => {
      const p = join(ROOT, "node_modules", n, "package.json");
      return [n, existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")).version as string) : "not installed"];
    }),
  );
}

/**
 * Show an RGB canvas (float [0,1] or byte pixels) inline as a PNG; `zoom` enlarges it in the browser
 * (pixelated) without adding bytes to the notebook. Outside tslab, prints a note.
 */
export function showImage(c: { data: Float32Array | Uint8Array | Uint8ClampedArray; width: number; height: number }, zoom = 1): void {
  const display = tslabDisplay();
  if (!display) {
    console.log(`showImage: ${c.width}x${c.height} image (not in a tslab kernel)`);
    return;
  }
  const bytes = c.data instanceof Float32Array ? Uint8Array.from(c.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)) : c.data;
  const b64 = encodePng(bytes, c.width, c.height).toString("base64");
  display.html(`<img style="image-rendering:pixelated;width:${c.width * zoom}px;max-width:100%" src="data:image/png;base64,${b64}">`);
}

/** Render Markdown inline in a tslab notebook; elsewhere print it. */
export function showMarkdown(text: string): void {
  const display = tslabDisplay();
  if (display) display.markdown(text);
  else console.log(text);
}
