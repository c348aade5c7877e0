import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { markdownToHtml, writeIndexPage } from "../../lib/report/page";

describe("report/page", () => {
  it("writeIndexPage writes one static page with the tables, figure links, configs and provenance", () => {
    const dir = mkdtempSync(join(tmpdir(), "wb-page-"));
    try {
      const path = writeIndexPage(dir, {
        title: "run <x>",
        dataLabel: "embedded synthetic world",
        tables: [{ title: "Table I", html: "<table><tr><td>131.2</td></tr></table>" }],
        figures: [{ title: "bars", htmlFile: "figures/bars.html", pngFile: "figures/bars.png" }, { title: "3d", htmlFile: "figures/view 3d.html" }],
        sections: [{ title: "notes", markdownOrHtml: "**bold** text\n\n| a | b |\n|---|---|\n| 1 | 2 |" }],
        configs: [{ name: "config.json", json: { lr: 1e-5, note: "<b>" } }],
        provenance: { commit: "abc123", backend: "wasm", seeds: [1, 2], wallSeconds: 3725, startedAt: "2024-01-01T00:00:00Z", command: "npm run cli -- study" },
      });
      assert.equal(path, join(dir, "index.html"));
      assert.deepEqual(readdirSync(dir), ["index.html"]);
      const html = readFileSync(path, "utf8");
      assert.ok(html.includes("<td>131.2</td>"));
      assert.ok(html.includes('<a href="figures/bars.html"><img src="figures/bars.png"'));
      assert.ok(html.includes('<iframe src="figures/view%203d.html"'));
      assert.ok(html.includes("<details><summary>config.json</summary>"));
      assert.ok(html.includes("&lt;b&gt;") && html.includes("run &lt;x&gt;"));
      assert.ok(html.includes("abc123") && html.includes("1 h 2 min 5 s"));
      assert.ok(html.includes("<strong>bold</strong>") && html.includes("<th>a</th>"));
      assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("markdownToHtml: tables, headings, lists", () => {
    assert.equal(markdownToHtml("| x |\n|---|\n| `1` |"), "<table><thead><tr><th>x</th></tr></thead><tbody>\n<tr><td><code>1</code></td></tr>\n</tbody></table>");
    assert.equal(markdownToHtml("# T\n- a\n- b"), "<h3>T</h3>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>");
  });
});
