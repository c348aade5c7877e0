// Runs mocha over the compiled tests and ends with the line CI reads: `N passed, N failed`.
// A run that finds no tests prints `0 passed, 0 failed` and fails, so it cannot pass silently.
import Mocha from "mocha";
import { readdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.env.WB_QUICK ??= "1"; // tests use quick sizes; same code path
function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".test.js") ? [p] : [];
  });
}
const grep = process.argv.find((a, i) => process.argv[i - 1] === "--grep");
const mocha = new Mocha({ timeout: 120000, reporter: "spec", grep });
const files = walk(join(root, "dist", "test")).sort();
files.forEach((f) => mocha.addFile(f));
let passed = 0, failed = 0;
await mocha.loadFilesAsync();
const runner = mocha.run((failures) => {
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failures > 0 || passed === 0 ? 1 : 0;
});
runner.on("pass", () => passed++);
runner.on("fail", () => failed++);
