/**
 * Checkpoints of tfjs LayersModels on disk without tfjs-node: `model.json` (topology + weight manifest,
 * the tfjs format) and `weights.bin`, with the resolved config (`config.json`) and `meta.json` (step,
 * metrics, code version) beside them. The folder is swapped in atomically (see atomicWriteDir), so
 * an interrupted save leaves the previous checkpoint intact.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { atomicWriteDir, codeVersion, readJson } from "./io";

export interface CheckpointMeta {
  step: number;
  epoch?: number;
  metrics?: Record<string, number>;
  codeVersion: string;
  savedAt: string;
  /** Free-form provenance (producing command, parent checkpoint, ...). */
  [key: string]: unknown;
}

/** Serialise a model to its tfjs artifacts in memory (no I/O). */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  if (!captured) throw new Error("checkpoint: model.save produced no artifacts");
  return captured;
}

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const buf = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return new Uint8Array(buf);
}

/**
 * Save `model` to folder `dir` atomically. `config` is the resolved experiment config that produced it;
 * `extra` lands in meta.json. `files` are extra artifacts (name -> content) kept inside the folder.
 */
export async function saveCheckpoint(
  model: tf.LayersModel,
  dir: string,
  opts: { config?: unknown; step: number; epoch?: number; metrics?: Record<string, number>; extra?: Record<string, unknown>; files?: Record<string, string | Uint8Array> },
): Promise<CheckpointMeta> {
  const art = await modelArtifacts(model);
  const meta: CheckpointMeta = {
    step: opts.step,
    epoch: opts.epoch,
    metrics: opts.metrics,
    codeVersion: codeVersion(),
    savedAt: new Date().toISOString(),
    ...opts.extra,
  };
  atomicWriteDir(dir, (tmp) => {
    const modelJson = {
      format: "layers-model",
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      modelTopology: art.modelTopology,
      trainingConfig: art.trainingConfig,
      weightsManifest: [{ paths: ["weights.bin"], weights: art.weightSpecs ?? [] }],
      // What the maps mean beyond the topology (regressor.ts boxAnchorY); absent for the default recipe.
      ...(art.userDefinedMetadata ? { userDefinedMetadata: art.userDefinedMetadata } : {}),
    };
    writeFileSync(join(tmp, "model.json"), JSON.stringify(modelJson));
    writeFileSync(join(tmp, "weights.bin"), weightBytes(art.weightData));
    if (opts.config !== undefined) writeFileSync(join(tmp, "config.json"), JSON.stringify(opts.config, null, 2) + "\n");
    writeFileSync(join(tmp, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
    for (const [name, content] of Object.entries(opts.files ?? {})) writeFileSync(join(tmp, name), content);
  });
  return meta;
}

/** An IOHandler reading model.json + weights.bin from `dir` (what tf.loadLayersModel('file://') needs tfjs-node for). */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelPath = join(dir, "model.json");
      const mj = readJson<{ modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; userDefinedMetadata?: {} }>(modelPath);
      if (!mj.modelTopology) throw new Error(`${modelPath}: missing field "modelTopology"`);
      if (!Array.isArray(mj.weightsManifest)) throw new Error(`${modelPath}: missing field "weightsManifest"`);
      const weightSpecs = mj.weightsManifest.flatMap((g) => g.weights);
      const bins = mj.weightsManifest.flatMap((g) => g.paths).map((p) => {
        const file = join(dir, p);
        if (!existsSync(file)) throw new Error(`${modelPath}: weightsManifest names "${p}", which is missing`);
        const b = readFileSync(file);
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      });
      const weightData = tf.io.concatenateArrayBuffers(bins);
      const expected = weightSpecs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
      if (weightData.byteLength !== expected) {
        throw new Error(`${join(dir, "weights.bin")}: ${weightData.byteLength} bytes, but model.json's weightsManifest needs ${expected}`);
      }
      return { modelTopology: mj.modelTopology as object, weightSpecs, weightData, ...(mj.userDefinedMetadata ? { userDefinedMetadata: mj.userDefinedMetadata } : {}) };
    },
  };
}

/**
 * Load a checkpoint folder: the model plus its meta.json and config.json (if present). `check` validates
 * the loaded model (a model module's own fields, e.g. regressor.ts `modelGeometry` and its metadata);
 * this loader knows no model's fields, so it names the file when the check throws.
 */
export async function loadCheckpoint<C = unknown>(dir: string, opts: { check?: (model: tf.LayersModel) => unknown } = {}): Promise<{ model: tf.LayersModel; meta: CheckpointMeta; config?: C }> {
  if (!existsSync(join(dir, "model.json"))) throw new Error(`${dir}: not a checkpoint (no model.json)`);
  const model = await tf.loadLayersModel(fileLoadHandler(dir));
  try {
    opts.check?.(model);
  } catch (e) {
    model.dispose();
    throw new Error(`${join(dir, "model.json")}: ${(e as Error).message}`);
  }
  const meta = existsSync(join(dir, "meta.json")) ? readJson<CheckpointMeta>(join(dir, "meta.json")) : ({ step: 0, codeVersion: "unknown", savedAt: "" } as CheckpointMeta);
  const config = existsSync(join(dir, "config.json")) ? readJson<C>(join(dir, "config.json")) : undefined;
  return { model, meta, config };
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, "model.json")) && existsSync(join(dir, "weights.bin"));
}

/** A list of tensors as two checkpoint files, `<name>.json` (the specs) and `<name>.bin` (the values). */
export async function encodeTensors(ts: readonly tf.Tensor[], name: string): Promise<Record<string, string | Uint8Array>> {
  const { data, specs } = await tf.io.encodeWeights(ts.map((tensor, i) => ({ name: String(i), tensor })));
  return { [`${name}.json`]: JSON.stringify(specs) + "\n", [`${name}.bin`]: new Uint8Array(data) };
}

/** The tensors of `encodeTensors`' two files' contents, in their saved order (the caller disposes them). */
export function decodeTensors(json: string, bin: Uint8Array): tf.Tensor[] {
  const specs = JSON.parse(json) as tf.io.WeightsManifestEntry[];
  const map = decodeWeightBytes(bin, specs);
  return specs.map((s) => map[s.name]);
}

/** tf.io.decodeWeights over a file's bytes (a Node Buffer is a view into a larger pool: cut out its own range). */
export function decodeWeightBytes(bin: Uint8Array, specs: tf.io.WeightsManifestEntry[]): tf.NamedTensorMap {
  return tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer, specs);
}
