/**
 * The study's report, from the files the tasks wrote: the tidy per-person rows (`rows.csv`, the
 * truth every table rolls up), Table I per protocol with seed spread and bootstrap intervals, the
 * figures (HTML + PNG), and one static page `index.html` with the configs and the provenance.
 */
import { join } from "node:path";
import * as aq from "arquero";
import type { Config } from "../config";
import { Rng } from "../core/rng";
import { atomicWrite, atomicWriteJson } from "../core/io";
import { studioDataset, STUDIO_SEQUENCES, STUDIO_CAMERAS } from "../data/datasets";
import { PROTOCOLS } from "../eval/protocols";
import type { SeedArtifacts, ResultRow } from "../stages/experiment";
import { filterRows } from "../semi/filterStage";
import { readLossCsv } from "../train/loop";
import { encodePng } from "../world/png";
import { renderPng, savePlotHtml, type PlotlyFigure } from "./display";
import { skeleton3dFigure, SYNTHETIC_SOURCE } from "./figures";
import { methodsPanel } from "./montage";
import { METHODS, writeTable1, reportComparisonMarkdown } from "./table1";
import { filterFigures, sequenceBarsFigure, trainingCurvesFigure } from "./resultFigures";
import { writeIndexPage } from "./page";

export interface StudyReport {
  run: string;
  data: string;
  quick: boolean;
  seeds: number[];
  /** Table I (crmh, then strict) as printed at the end of the main job. */
  table1Text: string;
  pseudo: { seed: number; imagesSeen: number; imagesWithPeople: number; people: number; kept: number; seconds: number }[];
  timings: { task: string; seconds: number }[];
  wallSeconds: number;
}

export interface ReportContext {
  run: string;
  dataLabel: string;
  backend: string;
  commit: string;
  startedAt: string;
  timings: { task: string; seconds: number }[];
  wallSeconds: number;
  command: string;
}

/** Every evaluation's person rows, the pretrained checkpoint's repeated under each seed (it is one model). */
export function resultRows(artifacts: ReadonlyMap<number, SeedArtifacts>): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const [seed, a] of artifacts) {
    for (const m of METHODS) {
      const ev = a.evaluations[m.id as keyof SeedArtifacts["evaluations"]];
      if (ev) for (const r of ev.rows) rows.push({ ...r, seed });
    }
  }
  return rows;
}

/** Save a figure as HTML and (where chromium is installed) PNG; returns the paths relative to `dir`. */
function saveFigure(dir: string, name: string, fig: PlotlyFigure, size = { width: 900, height: 460 }): { htmlFile: string; pngFile?: string } {
  const html = join("figures", `${name}.html`), png = join("figures", `${name}.png`);
  savePlotHtml(fig, join(dir, html), { title: name, height: size.height });
  const ok = renderPng(join(dir, html), join(dir, png), size);
  return { htmlFile: html, pngFile: ok ? png : undefined };
}

/** Write rows.csv, Table I, the figures and index.html into `dir`. */
export async function writeStudyReport(dir: string, cfg: Config, artifacts: ReadonlyMap<number, SeedArtifacts>, ctx: ReportContext): Promise<StudyReport> {
  const rows = resultRows(artifacts);
  atomicWrite(join(dir, "rows.csv"), aq.from(rows).toCSV());
  const figures: { title: string; htmlFile: string; pngFile?: string }[] = [];
  const tables: { title: string; html: string }[] = [];
  const texts: string[] = [];
  for (const protocol of PROTOCOLS) {
    const t = writeTable1(dir, rows, protocol, new Rng(`table1/${protocol}`), { seeds: cfg.seeds });
    tables.push({ title: `Table I, MPJPE (mm), ${protocol} protocol`, html: t.html });
    texts.push(t.markdown);
    figures.push({ title: `MPJPE per sequence (${protocol})`, ...saveFigure(dir, `bars_${protocol}`, sequenceBarsFigure(t.result)) });
  }
  const runs = [...artifacts.entries()].flatMap(([seed, a]) =>
    Object.entries(a.finetunes).map(([variant, r]) => ({ label: `${variant} seed ${seed}`, rows: readLossCsv(r!.train.csvPath) })));
  figures.push({ title: "training curves of every finetune", ...saveFigure(dir, "training_curves", trainingCurvesFigure(runs)) });

  const first = artifacts.get(cfg.seeds[0])!;
  if (first.pseudo) {
    const stats = filterRows(first.pseudo.records, cfg.filter).map((r) => ({ std: r.std, matches: r.matches, kept: r.confident, predCount: r.predCount, trueCount: r.trueCount }));
    const ff = filterFigures(stats, { stdMax: cfg.filter.stdMax, minMatches: cfg.filter.minMatches, K: cfg.filter.K });
    for (const [name, fig] of Object.entries(ff)) figures.push({ title: `confident filter, seed ${cfg.seeds[0]}: ${name}`, ...saveFigure(dir, `filter_${name}`, fig as PlotlyFigure) });
  }
  figures.push(...qualitativeFigures(dir, cfg, first));

  const pseudo = [...artifacts.entries()].filter(([, a]) => a.pseudo && a.filter).map(([seed, a]) => ({
    seed, imagesSeen: a.pseudo!.summary.imagesSeen, imagesWithPeople: a.pseudo!.summary.imagesWithPeople, people: a.pseudo!.summary.people,
    kept: a.filter!.summary.kept, seconds: a.pseudo!.summary.seconds,
  }));
  const pseudoMd = ["| seed | street images | pseudo-labelled | people | kept by the filter | pass seconds |", "|---:|---:|---:|---:|---:|---:|",
    ...pseudo.map((p) => `| ${p.seed} | ${p.imagesSeen} | ${p.imagesWithPeople} | ${p.people} | ${p.kept} | ${p.seconds.toFixed(0)} |`)].join("\n");
  writeIndexPage(dir, {
    title: `Semi-supervised multi-person 3D: ${ctx.run}`,
    dataLabel: ctx.dataLabel,
    tables,
    figures,
    sections: [
      { title: "The report's Table I (real CMU Panoptic data) beside ours", markdownOrHtml: reportComparisonMarkdown() },
      { title: "Pseudo labels and the confident filter (report: 480 kept of 4824)", markdownOrHtml: pseudoMd },
    ],
    configs: [{ name: "config.json", json: cfg }],
    provenance: { commit: ctx.commit, backend: ctx.backend, seeds: cfg.seeds, wallSeconds: ctx.wallSeconds, startedAt: ctx.startedAt, command: ctx.command },
  });
  const report: StudyReport = {
    run: ctx.run, data: ctx.dataLabel, quick: cfg.quick, seeds: cfg.seeds, table1Text: texts.join("\n\n"), pseudo, timings: ctx.timings, wallSeconds: ctx.wallSeconds,
  };
  atomicWriteJson(join(dir, "report.json"), report);
  return report;
}

/** Fig. 4-style panels (truth and every method on the same frames) and a 3D view of one frame. */
function qualitativeFigures(dir: string, cfg: Config, a: SeedArtifacts): { title: string; htmlFile: string; pngFile?: string }[] {
  const studio = studioDataset(cfg, cfg.seed);
  const evs = METHODS.map((m) => ({ label: m.label, ev: a.evaluations[m.id as keyof SeedArtifacts["evaluations"]] })).filter((x) => x.ev);
  if (!evs.length) return [];
  const half = Math.floor(studio.frames / 2);
  const panelRows = STUDIO_SEQUENCES.map((seq, si) => {
    const index = (si * studio.frames + half) * STUDIO_CAMERAS.length;
    const sample = studio.get(index);
    const pick = (ex: { sequence: string; frame: number; camera: string; pred: unknown[] }[]) => ex.find((e) => e.sequence === seq.name && e.frame === half && e.camera === "cam_a");
    return { sample, caption: `${seq.name} f${half}`, methods: evs.map((x) => ({ label: x.label, people: (pick(x.ev!.examples)?.pred ?? []) as never[] })) };
  });
  const panel = methodsPanel(panelRows, { scale: 2 });
  const png = join("figures", "qualitative.png");
  atomicWrite(join(dir, png), encodePng(panel.data, panel.width, panel.height));
  const out: { title: string; htmlFile: string; pngFile?: string }[] = [{ title: "predictions on studio test frames, every method (Fig. 4 style)", htmlFile: png, pngFile: png }];
  const last = evs[evs.length - 1];
  const ex = last.ev!.examples.find((e) => e.frame === half);
  if (ex) {
    const people = [...ex.gt.map((p, k) => ({ joints3d: p.joints3d, label: `truth ${k}` })), ...ex.pred.map((p, k) => ({ joints3d: p.joints3d, label: `${last.label} ${k}` }))];
    const fig = skeleton3dFigure(people, `${ex.sequence} frame ${ex.frame}, camera a: truth and ${last.label}`, { source: SYNTHETIC_SOURCE });
    const html = join("figures", "view3d.html");
    savePlotHtml(fig, join(dir, html), { title: "3D view", height: 600 });
    out.push({ title: "interactive 3D view of one frame (truth and predictions, camera coordinates)", htmlFile: html });
  }
  return out;
}
