// Strip outputs, execution counts and run-time metadata from notebooks/*.ipynb in place, so committed
// notebooks are output-free and diffs show only code and prose.
//   node scripts/nb-clean.mjs            clean every notebook (or those whose names contain an argument)
//   node scripts/nb-clean.mjs --check    change nothing; exit 1 if any notebook is not clean (for CI)
// Written the way Jupyter writes (nbformat: sorted keys, 1-space indent, trailing newline), so opening
// and saving a clean notebook in Jupyter leaves it byte-identical.
import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "notebooks");
const check = process.argv.includes("--check");
const filters = process.argv.slice(2).filter((a) => !a.startsWith("--"));

// Cell metadata written by running or viewing, not by authoring.
const TRANSIENT_CELL_META = ["execution", "ExecuteTime", "scrolled", "collapsed", "papermill"];
const TRANSIENT_NB_META = ["widgets", "papermill"];

const sortKeys = (v) =>
  Array.isArray(v) ? v.map(sortKeys)
  : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]))
  : v;

function clean(nb) {
  for (const c of nb.cells ?? []) {
    for (const k of TRANSIENT_CELL_META) delete c.metadata?.[k];
    if (c.cell_type === "code") {
      c.outputs = [];
      c.execution_count = null;
    }
  }
  for (const k of TRANSIENT_NB_META) delete nb.metadata?.[k];
  return JSON.stringify(sortKeys(nb), null, 1) + "\n";
}

const names = readdirSync(dir).filter((f) => f.endsWith(".ipynb") && (!filters.length || filters.some((s) => f.includes(s)))).sort();
let dirty = 0;
for (const name of names) {
  const path = join(dir, name);
  const before = readFileSync(path, "utf8");
  const nb = JSON.parse(before);
  const withOutputs = (nb.cells ?? []).filter((c) => c.outputs?.length || c.execution_count != null).length;
  const after = clean(nb);
  if (after === before) continue;
  dirty++;
  const why = withOutputs ? `${withOutputs} cell(s) with outputs or execution counts` : "metadata or formatting";
  if (check) {
    console.error(`nb-clean: ${name} is not clean (${why}); run \`npm run nb:clean\``);
  } else {
    writeFileSync(path + ".tmp", after);
    renameSync(path + ".tmp", path);
    console.log(`nb-clean: cleaned ${name} (${why})`);
  }
}
console.log(`nb-clean: ${names.length} notebook(s), ${dirty} ${check ? "not clean" : "cleaned"}`);
if (check && dirty) process.exit(1);
