// The public surface of the workbench: re-exports only. Notebooks do `import * as lib from ".."`.
// Each module appends its own line here.
export * from "./core/rng";
export * from "./core/paths";
export * from "./body/joints";
