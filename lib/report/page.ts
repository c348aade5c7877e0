/**
 * The results folder's front page: one static index.html (plain HTML and CSS, nothing fetched from the
 * network) with the data label on top, tables, figures, free-text sections, the resolved configs and
 * the provenance of the run. Figures appear as their PNG linking to the interactive HTML page when a
 * PNG exists (an index with a dozen inline plotly pages is slow to open), else as an iframe of it.
 */
import { resolve, join } from "node:path";
import { atomicWrite } from "../core/io";

export interface IndexPageOptions {
  title: string;
  /** what the numbers are made of, e.g. TABLE1_DATA_SOURCE; shown under the title */
  dataLabel: string;
  /** HTML fragments, e.g. table1Html(result) or tableHtml(frame) */
  tables: { title: string; html: string }[];
  /** paths relative to the page's folder */
  figures: { title: string; htmlFile: string; pngFile?: string }[];
  /** Markdown (tables, headings, lists, paragraphs, `code`, **bold**, [links](url)) or HTML (starts with "<") */
  sections?: { title: string; markdownOrHtml: string }[];
  configs: { name: string; json: unknown }[];
  provenance: { commit: string; backend: string; seeds: readonly number[]; wallSeconds: number; startedAt: string; command: string };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
/** A relative path as an attribute value: each segment URL-encoded (spaces, #, ?), slashes kept. */
const href = (p: string) => esc(p.split("/").map(encodeURIComponent).join("/"));

function inline(s: string): string {
  return esc(s)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, text, url) => `<a href="${url}">${text}</a>`);
}

/**
 * The small Markdown subset our own generated text uses (table1.md, reportComparisonMarkdown, notes):
 * enough to render it, not a general Markdown parser.
 */
export function markdownToHtml(md: string): string {
  const out: string[] = [];
  const lines = md.replace(/\r\n/g, "\n").split("\n");
  const cells = (l: string) => l.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
  for (let i = 0; i < lines.length; ) {
    const l = lines[i];
    if (!l.trim()) {
      i++;
    } else if (l.trim().startsWith("|") && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? "")) {
      const head = cells(l);
      i += 2;
      const body: string[][] = [];
      while (i < lines.length && lines[i].trim().startsWith("|")) body.push(cells(lines[i++]));
      out.push(`<table><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join("")}</tr></thead><tbody>`);
      for (const r of body) out.push(`<tr>${r.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`);
      out.push("</tbody></table>");
    } else if (/^#{1,6}\s/.test(l)) {
      const level = Math.min(6, l.match(/^#+/)![0].length + 2); // the page owns h1/h2
      out.push(`<h${level}>${inline(l.replace(/^#+\s*/, ""))}</h${level}>`);
      i++;
    } else if (/^\s*[-*]\s/.test(l)) {
      out.push("<ul>");
      while (i < lines.length && /^\s*[-*]\s/.test(lines[i])) out.push(`<li>${inline(lines[i++].replace(/^\s*[-*]\s/, ""))}</li>`);
      out.push("</ul>");
    } else {
      const para: string[] = [];
      while (i < lines.length && lines[i].trim() && !lines[i].trim().startsWith("|") && !/^#{1,6}\s/.test(lines[i]) && !/^\s*[-*]\s/.test(lines[i])) para.push(lines[i++]);
      if (!para.length) para.push(lines[i++]); // a lone "|" line that is not a table
      out.push(`<p>${inline(para.join(" "))}</p>`);
    }
  }
  return out.join("\n");
}

const CSS = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
.data{background:#fff4d6;border:1px solid #e8c66a;padding:.5em .8em;border-radius:4px}
table{border-collapse:collapse;margin:.6em 0;font-size:14px} th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left} thead th{background:#f3f3f3}
figure{margin:1em 0} figure img{max-width:100%;border:1px solid #eee} iframe{width:100%;height:470px;border:1px solid #eee}
figcaption{font-size:13px;color:#555} .caption{font-size:13px;color:#444}
pre{background:#f7f7f7;padding:.6em;overflow:auto;font-size:12px} details{margin:.4em 0} summary{cursor:pointer}
code{background:#f3f3f3;padding:0 3px} .scroll{overflow-x:auto} .scroll td{white-space:nowrap}
`;

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "n/a";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.round(s % 60);
  return `${s.toFixed(1)} s (${h ? `${h} h ` : ""}${m} min ${sec} s)`;
}

/** The page as a string (writeIndexPage writes it). */
export function indexPageHtml(o: IndexPageOptions): string {
  const parts: string[] = [];
  parts.push(`<h1>${esc(o.title)}</h1>`, `<p class="data"><strong>Data:</strong> ${esc(o.dataLabel)}</p>`);
  const nav = [o.tables.length && "tables", o.figures.length && "figures", o.sections?.length && "notes", o.configs.length && "configs", "provenance"].filter(Boolean) as string[];
  parts.push(`<p>${nav.map((n) => `<a href="#${n}">${n}</a>`).join(" · ")}</p>`);
  if (o.tables.length) {
    parts.push(`<h2 id="tables">Tables</h2>`);
    // Cells like "131.2 ± 0.8 [129.9, 132.6]" read badly when wrapped: keep them on one line and scroll.
    for (const t of o.tables) parts.push(`<h3>${esc(t.title)}</h3>`, `<div class="scroll">${t.html}</div>`);
  }
  if (o.figures.length) {
    parts.push(`<h2 id="figures">Figures</h2>`);
    for (const f of o.figures) {
      const body = f.pngFile
        ? `<a href="${href(f.htmlFile)}"><img src="${href(f.pngFile)}" alt="${esc(f.title)}"></a>`
        : `<iframe src="${href(f.htmlFile)}" title="${esc(f.title)}" loading="lazy"></iframe>`;
      parts.push(`<figure>${body}<figcaption>${esc(f.title)} — <a href="${href(f.htmlFile)}">interactive figure</a></figcaption></figure>`);
    }
  }
  if (o.sections?.length) {
    parts.push(`<h2 id="notes">Notes</h2>`);
    for (const s of o.sections) parts.push(`<h3>${esc(s.title)}</h3>`, s.markdownOrHtml.trimStart().startsWith("<") ? s.markdownOrHtml : markdownToHtml(s.markdownOrHtml));
  }
  if (o.configs.length) {
    parts.push(`<h2 id="configs">Configs</h2>`);
    for (const c of o.configs) parts.push(`<details><summary>${esc(c.name)}</summary><pre>${esc(JSON.stringify(c.json, null, 2) ?? "undefined")}</pre></details>`);
  }
  const p = o.provenance;
  const prov: [string, string][] = [
    ["data", o.dataLabel],
    ["command", p.command],
    ["code version", p.commit],
    ["backend", p.backend],
    ["seeds", p.seeds.join(", ")],
    ["started at", p.startedAt],
    ["wall time", fmtSeconds(p.wallSeconds)],
  ];
  parts.push(`<h2 id="provenance">Provenance</h2>`, `<table class="provenance"><tbody>${prov.map(([k, v]) => `<tr><th>${esc(k)}</th><td style="text-align:left"><code>${esc(v)}</code></td></tr>`).join("")}</tbody></table>`);
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(o.title)}</title>\n<style>${CSS}</style></head>\n<body>\n${parts.join("\n")}\n</body></html>\n`;
}

/** Write `dir/index.html` atomically; returns its absolute path. Figure and PNG paths stay relative to `dir`. */
export function writeIndexPage(dir: string, opts: IndexPageOptions): string {
  const path = resolve(join(dir, "index.html"));
  atomicWrite(path, indexPageHtml(opts));
  return path;
}
