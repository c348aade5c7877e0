// The public surface of the workbench: re-exports only. Notebooks do `import * as lib from ".."`.
// Each module appends its own line here.
export * from "./core/rng";
export * from "./core/paths";
export * from "./body/joints";
export * from "./core/config";
export * from "./core/io";
export * from "./core/checkpoint";
export * from "./core/progress";
export * from "./report/display";
export * from "./core/backend";
export * from "./body/shape";
export * from "./body/kinematics";
export * from "./world/mocap";
export * from "./world/camera";
export * from "./world/render";
export * from "./world/backgrounds";
export * from "./world/png";
export * from "./core/stage";
export * from "./data/records";
export * from "./world/domains";
export * from "./world/scene";
export * from "./data/datasets";
export * from "./data/subset";
export * from "./pipeline";
export * from "./eval/metrics";
export * from "./eval/protocols";
