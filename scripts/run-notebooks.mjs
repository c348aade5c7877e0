// Execute notebooks/*.ipynb headless, in name order (they are numbered in dependency order), with the
// project-local tslab kernel in .jupyter/kernels/tslab. Executed copies and their HTML exports go to
// results/notebooks/<name>.ipynb and .html. Stops at the first failing notebook, exit code 1.
//   node scripts/run-notebooks.mjs [--quick] [name-filter ...]     e.g. `npm run notebooks -- 00_setup`
// --quick (or WB_QUICK=1 in the environment) gives the kernels WB_QUICK=1: smaller sizes, same code path.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nbDir = join(root, "notebooks");
const outDir = join(root, "results", "notebooks");
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith("--"));

const env = {
  ...process.env,
  JUPYTER_PATH: join(root, ".jupyter"), // finds the kernelspec; no `tslab install` needed
  // The kernelspec starts `node` from PATH: make it this same Node.
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
};
if (args.includes("--quick")) env.WB_QUICK = "1";

const jupyter = (argv, cwd) => spawnSync("jupyter", argv, { cwd, env, encoding: "utf8", maxBuffer: 1 << 28 });

const probe = jupyter(["nbconvert", "--version"], root);
if (probe.error || probe.status !== 0) {
  console.error(
    "run-notebooks: `jupyter nbconvert` is not available. Install it with either\n" +
      "  pip install nbclient nbconvert jupyter_client\n" +
      "  apt-get install -y --no-install-recommends jupyter-nbconvert python3-nbclient jupyter-client jupyter-core   (Debian/Ubuntu)",
  );
  process.exit(1);
}

const names = readdirSync(nbDir)
  .filter((f) => f.endsWith(".ipynb") && !f.startsWith(".") && (!filters.length || filters.some((s) => f.includes(s))))
  .sort();
if (!names.length) {
  console.error(`run-notebooks: no notebooks in notebooks/ match ${filters.join(", ") || "*"}`);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
console.log(`run-notebooks: ${names.length} notebook(s)${env.WB_QUICK === "1" ? ", quick mode" : ""}; nbconvert ${probe.stdout.trim()}`);

const total = performance.now();
for (const name of names) {
  const t0 = performance.now();
  const run = jupyter(
    ["nbconvert", "--to", "notebook", "--execute", name,
      `--config=${join(root, ".jupyter", "nbconvert_tslab.py")}`, // puts tslab's error text into the failure message
      "--ExecutePreprocessor.kernel_name=tslab",
      "--ExecutePreprocessor.timeout=1800", // per cell: training cells run for minutes
      `--output-dir=${outDir}`, `--output=${name}`],
    nbDir, // nbconvert also starts the kernel in the notebook's folder, so `import ... from ".."` is the package
  );
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (run.status !== 0) {
    // The Python traceback before nbclient's CellExecutionError is nbconvert's own call stack: skip it.
    const err = run.error?.message ?? run.stderr;
    const i = err.indexOf("CellExecutionError:");
    console.error(`\nrun-notebooks: FAILED ${name} after ${secs} s\n${i >= 0 ? err.slice(i) : err}`);
    process.exit(1);
  }
  const html = jupyter(["nbconvert", "--to", "html", join(outDir, name)], outDir);
  if (html.status !== 0) {
    console.error(`run-notebooks: HTML export of ${name} failed\n${html.error?.message ?? html.stderr}`);
    process.exit(1);
  }
  const base = name.replace(/\.ipynb$/, "");
  console.log(`  ${name}: ok in ${secs} s -> results/notebooks/${base}.ipynb, ${base}.html`);
}
console.log(`run-notebooks: all ${names.length} passed in ${((performance.now() - total) / 1000).toFixed(1)} s`);
