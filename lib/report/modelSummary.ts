/** A model's layers as tidy rows (name, type, output shape, parameters) and as a plotly figure. */
import type * as tf from "@tensorflow/tfjs";
import type { PlotlyFigure } from "./display";

export interface LayerRow extends Record<string, unknown> {
  layer: string;
  type: string;
  output: string;
  params: number;
}

export function layerRows(model: tf.LayersModel): LayerRow[] {
  return model.layers.map((l) => ({
    layer: l.name,
    type: l.getClassName(),
    output: JSON.stringify(l.outputShape).replace(/null/g, "B"),
    params: l.countParams(),
  }));
}

/** Parameters per layer, in order, coloured by layer type: where the model's capacity sits. */
export function layerFigure(model: tf.LayersModel, title = "regressor: parameters per layer"): PlotlyFigure {
  const rows = layerRows(model).filter((r) => r.params > 0);
  return {
    data: [{ type: "bar", x: rows.map((r) => r.layer), y: rows.map((r) => r.params), text: rows.map((r) => r.output), hovertemplate: "%{x}<br>%{text}<br>%{y} params<extra></extra>" }],
    layout: { title: { text: title }, xaxis: { title: { text: "layer (hover: output shape)" }, tickangle: -45 }, yaxis: { title: { text: "parameters" } }, margin: { t: 40, b: 120 } },
  };
}
