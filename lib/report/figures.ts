/**
 * Plotly figure specs as plain JSON ({data, layout}), shown with showPlot / savePlotHtml (./display).
 * Every title carries the source of its data (`source`, default SYNTHETIC_SOURCE): the embedded
 * world's domains only stand in for the paper's datasets, and a figure read out of context must say so.
 * Inputs are tidy rows (e.g. an arquero table's `.objects()`) or plain joint arrays.
 */
import { H36M_17, H36M_EDGES, H36M_SIDE } from "../body/joints";
import type { PlotlyFigure } from "./display";
import { SIDE_COLOURS } from "./draw";

export const SYNTHETIC_SOURCE = "embedded synthetic world (synthetic stand-ins, not CMU Panoptic / MPI-INF-3DHP / Cityscapes data)";

/** A plotly title: `title` with its data source underneath in small type. */
export function sourcedTitle(title: string, source = SYNTHETIC_SOURCE): { text: string; font: { size: number } } {
  if (!source.trim()) throw new Error(`figure "${title}": every figure must name its data source`);
  return { text: `${title}<br><sub>${source}</sub>`, font: { size: 15 } };
}

// plotly's default qualitative palette ("D3"): person k gets colour k.
const PERSON_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const rgb = (c: readonly number[]) => `rgb(${c[0]},${c[1]},${c[2]})`;

/**
 * 3D skeletons in camera coordinates. `joints3d`: [17][3] metres, OpenCV camera axes (x right, y down,
 * z forward), drawn as x right, depth z into the page, -y up, so up is up and the default view looks
 * from behind the camera. Bones are coloured by side (left blue, right red, centre yellow, as in the
 * 2D overlays); joints by person. Equal aspect on all three axes.
 */
export function skeleton3dFigure(people: readonly { joints3d: readonly (readonly number[])[]; label?: string }[], title: string, opts: { source?: string } = {}): PlotlyFigure {
  const data: object[] = [];
  people.forEach((p, k) => {
    const name = p.label ?? `person ${k}`, group = `p${k}`;
    for (const side of ["C", "L", "R"] as const) {
      const x: (number | null)[] = [], y: (number | null)[] = [], z: (number | null)[] = [];
      // One polyline per side, bones separated by nulls. A bone is on its child's side (H36M_EDGES = [child, parent]).
      for (const [a, b] of H36M_EDGES) {
        if (H36M_SIDE[a] !== side) continue;
        for (const j of [a, b]) {
          x.push(p.joints3d[j][0]);
          y.push(p.joints3d[j][2]);
          z.push(-p.joints3d[j][1]);
        }
        x.push(null), y.push(null), z.push(null);
      }
      data.push({ type: "scatter3d", mode: "lines", x, y, z, name, legendgroup: group, showlegend: false, hoverinfo: "skip", line: { color: rgb(SIDE_COLOURS[side]), width: 6 } });
    }
    data.push({
      type: "scatter3d", mode: "markers", name, legendgroup: group,
      x: p.joints3d.map((q) => q[0]), y: p.joints3d.map((q) => q[2]), z: p.joints3d.map((q) => -q[1]),
      text: H36M_17.map((j) => `${name}: ${j}`), hoverinfo: "text",
      marker: { size: 3.5, color: PERSON_COLOURS[k % PERSON_COLOURS.length] },
    });
  });
  const axis = (t: string) => ({ title: { text: t }, zeroline: false });
  return {
    data,
    layout: {
      title: sourcedTitle(title, opts.source),
      margin: { l: 0, r: 0, t: 60, b: 0 },
      legend: { itemsizing: "constant" },
      scene: {
        aspectmode: "data",
        xaxis: axis("x (m, image right)"), yaxis: axis("depth z (m, from camera)"), zaxis: axis("up = -y (m)"),
        camera: { eye: { x: 0, y: -2.0, z: 0.7 }, up: { x: 0, y: 0, z: 1 } },
      },
    },
  };
}

type Row = Record<string, unknown>;
const groupsOf = (rows: readonly Row[], key?: string) => (key ? [...new Set(rows.map((r) => String(r[key])))] : [""]);

/** Overlaid histograms of `rows[x]`, one per value of `rows[group]`, normalised to a probability each (sizes differ). */
export function histogramFigure(rows: readonly Row[], o: { x: string; group?: string; title: string; xTitle?: string; nbins?: number; source?: string }): PlotlyFigure {
  const data = groupsOf(rows, o.group).map((g) => ({
    type: "histogram", name: g || o.x, opacity: 0.6, histnorm: "probability", nbinsx: o.nbins ?? 40,
    x: rows.filter((r) => !o.group || String(r[o.group]) === g).map((r) => r[o.x]),
  }));
  return {
    data,
    layout: { title: sourcedTitle(o.title, o.source), barmode: "overlay", xaxis: { title: { text: o.xTitle ?? o.x } }, yaxis: { title: { text: "share of rows" } }, margin: { t: 70 } },
  };
}

/**
 * Box or violin plots of `rows[y]` per category `rows[x]` (e.g. domain), optionally split into side-by-side
 * groups by `rows[group]`.
 */
export function distributionFigure(rows: readonly Row[], o: { x: string; y: string; group?: string; kind?: "box" | "violin"; title: string; xTitle?: string; yTitle?: string; source?: string }): PlotlyFigure {
  const kind = o.kind ?? "box";
  const data = groupsOf(rows, o.group).map((g) => {
    const sel = rows.filter((r) => !o.group || String(r[o.group]) === g);
    const t = { type: kind, name: g || o.y, x: sel.map((r) => r[o.x]), y: sel.map((r) => r[o.y]) };
    return kind === "violin" ? { ...t, box: { visible: true }, meanline: { visible: true }, points: false, spanmode: "hard" } : { ...t, boxpoints: false };
  });
  return {
    data,
    layout: {
      title: sourcedTitle(o.title, o.source),
      [kind === "box" ? "boxmode" : "violinmode"]: "group",
      showlegend: !!o.group,
      xaxis: { title: { text: o.xTitle ?? o.x } },
      yaxis: { title: { text: o.yTitle ?? o.y } },
      margin: { t: 70 },
    },
  };
}
