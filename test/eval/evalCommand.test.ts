/**
 * The `eval` command on hand-made files (test/fixtures/eval). Every person in the fixtures is the base
 * pose B below, scaled about its root and placed somewhere: B's 16 non-root joints all lie 0.5 m from
 * the root, so a prediction k*B against a GT of m*B is off by |k - m| * 0.5 m at each non-root joint, and
 * Procrustes (which removes scale) aligns it exactly. That makes every figure a sum of fractions of 17.
 *
 *   A = B + (0, 0, 3)         C = 0.8 B + (1, 0, 4)
 *
 *   GT frame      people         PRED (root-relative)                  crmh (m)            strict (m)
 *   haggling/0    A              B (shifted 0.1 m), + an extra 2B      0                   0
 *   haggling/1    A, C           [C exactly, 1.1 B]                    0.8/17, 0           0.8/17, 0
 *   haggling/2    A              (no PRED frame)                       skipped             0.15
 *   mafia/0       A, joint 16    1.2 B, joint 16 moved 1 m             1.5/17              1.5/17
 *                 invisible
 *   mafia/1       A, C           [B]                                   0, 1.6/17 (dup)     0, 0.15 (missed)
 *
 * 1.1 B vs B: 16 joints x 0.05 m = 0.8 m, over 17 joints. 1.2 B vs B: 15 visible non-root joints x 0.1 m
 * (joint 16 invisible counts 0) = 1.5 m / 17. B vs 0.8 B: 16 x 0.1 m = 1.6 m / 17. PA-MPJPE is 0 for
 * every matched person and 0.15 m for a missed one.
 */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { evalCommand, parseEvalArgs } from "../../lib/eval/evalCommand";
import { readGtFile, readPredFile, studioToGtJson, studioToPredJson, toEvalFrames, validateGt, validatePred, writeEvalJson } from "../../lib/eval/predictionsIo";
import { evaluateFrame, summarise, PROTOCOLS, type SequenceSummary } from "../../lib/eval/protocols";
import { paths } from "../../lib/core/paths";
import { Rng } from "../../lib/core/rng";
import type { PersonLabel } from "../../lib/data/records";
import { scoreStudio, type FramePrediction } from "../../lib/stages/evaluate";

const fixture = (name: string) => paths.fromRoot("test", "fixtures", "eval", name);
const close = (a: number, b: number, tol = 1e-6, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg}: ${a} vs ${b}`);
const quiet = () => {
  const lines: string[] = [];
  return { lines, log: (l: string) => void lines.push(l) };
};
const row = (rows: SequenceSummary[], protocol: string, sequence: string) => rows.find((r) => r.protocol === protocol && r.sequence === sequence)!;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

// Hand-computed expectations in mm, from the table in the header comment.
const EXPECTED = {
  crmh: {
    // (0 + 0.8/17 + 0) / 3 people (haggling/2 skipped) = 0.8/51 m
    haggling: { mpjpe: 800 / 51, pa: 0, frames: 3, people: 3, skipped: 1 },
    // (1.5/17 + 0 + 1.6/17) / 3 = 3.1/51 m
    mafia: { mpjpe: 3100 / 51, pa: 0, frames: 2, people: 3, skipped: 0 },
    // (0.8 + 1.5 + 1.6)/17 / 6 = 0.65/17 m
    all: { mpjpe: 650 / 17, pa: 0, frames: 5, people: 6, skipped: 1 },
  },
  strict: {
    // (0 + 0.8/17 + 0 + 0.15) / 4; PA: 0.15 / 4
    haggling: { mpjpe: (800 / 17 + 150) / 4, pa: 150 / 4, frames: 3, people: 4, skipped: 1 },
    // (1.5/17 + 0 + 0.15) / 3; PA: 0.15 / 3
    mafia: { mpjpe: (1500 / 17 + 150) / 3, pa: 50, frames: 2, people: 3, skipped: 0 },
    // (2.3/17 + 0.3) / 7; PA: 0.3 / 7
    all: { mpjpe: (2300 / 17 + 300) / 7, pa: 300 / 7, frames: 5, people: 7, skipped: 1 },
  },
} as const;

describe("eval/evalCommand", () => {
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), "wb-eval-"))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("scores the fixture to the hand-computed MPJPE, PA-MPJPE and counts, both protocols by default", async () => {
    const q = quiet();
    const { rows } = await evalCommand(["--gt", fixture("gt.json"), "--pred", fixture("pred.json")], q.log);
    assert.equal(rows.length, 6);
    for (const protocol of PROTOCOLS) {
      for (const [sequence, e] of Object.entries(EXPECTED[protocol])) {
        const r = row(rows, protocol, sequence);
        const at = `${protocol}/${sequence}`;
        close(r.mpjpe_mm, e.mpjpe, 1e-6, `${at} mpjpe`);
        close(r.pa_mpjpe_mm, e.pa, 1e-6, `${at} pa`);
        assert.deepEqual([r.frames, r.people, r.skipped_frames], [e.frames, e.people, e.skipped], at);
      }
    }
    const text = q.lines.join("\n");
    assert.match(text, /^crmh: /m);
    assert.match(text, /^strict: /m);
    assert.match(text, /^haggling\s+15\.7\s+0\.0\s+3\s+3\s+1$/m, "aligned row: sequence, MPJPE, PA-MPJPE, frames, people, skipped");
    assert.match(text, /^all\s+62\.2\s+42\.9\s+5\s+7\s+1$/m);
  });

  it("--out writes metrics.csv (exact header and rows) and metrics.json with the same rows", async () => {
    const out = join(tmp, "out");
    const { rows } = await evalCommand(["--gt", fixture("gt.json"), "--pred", fixture("pred.json"), "--out", out], quiet().log);
    assert.equal(
      readFileSync(join(out, "metrics.csv"), "utf8"),
      [
        "sequence,protocol,mpjpe_mm,pa_mpjpe_mm,frames,people,skipped_frames",
        "haggling,crmh,15.686,0.000,3,3,1", // 800/51 = 15.6863
        "mafia,crmh,60.784,0.000,2,3,0", // 3100/51 = 60.7843
        "all,crmh,38.235,0.000,5,6,1", // 650/17 = 38.2353
        "haggling,strict,49.265,37.500,3,4,1", // (47.0588 + 150)/4 = 49.2647
        "mafia,strict,79.412,50.000,2,3,0", // (88.2353 + 150)/3 = 79.4118
        "all,strict,62.185,42.857,5,7,1", // (135.2941 + 300)/7 = 62.1849; 300/7 = 42.8571
      ].join("\n") + "\n",
    );
    const json = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    assert.deepEqual(json.rows, rows);
    assert.deepEqual(readdirSync(out).sort(), ["metrics.csv", "metrics.json"], "no temporary files left behind");
  });

  it("--protocol picks one; a GT frame without a PRED frame: crmh skips and counts it, strict charges 150 mm per person", async () => {
    const gt = clone(JSON.parse(readFileSync(fixture("gt.json"), "utf8")));
    // Two frames: f0 = [A] predicted exactly, f1 = [A, C] with no PRED frame at all.
    gt.frames = [{ ...gt.frames[0], sequence: "s", frame: 0 }, { ...gt.frames[1], sequence: "s", frame: 1 }];
    const pred = { frames: [{ sequence: "s", frame: 0, people: gt.frames[0].people }] };
    writeFileSync(join(tmp, "gt2.json"), JSON.stringify(gt));
    writeFileSync(join(tmp, "pred2.json"), JSON.stringify(pred));
    const args = ["--gt", join(tmp, "gt2.json"), "--pred", join(tmp, "pred2.json")];
    const crmh = (await evalCommand([...args, "--protocol", "crmh"], quiet().log)).rows;
    assert.deepEqual(crmh.map((r) => r.protocol), ["crmh", "crmh"], "one table: s and all");
    // crmh: only f0's person is scored (error 0); f1 is a frame, skipped, and its people are not counted.
    const c = row(crmh, "crmh", "s");
    close(c.mpjpe_mm, 0, 1e-9);
    close(c.pa_mpjpe_mm, 0, 1e-9);
    assert.deepEqual([c.frames, c.people, c.skipped_frames], [2, 1, 1]);
    const strict = (await evalCommand([...args, "--protocol=strict"], quiet().log)).rows;
    // strict: (0 + 150 + 150) / 3 people = 100 mm, MPJPE and PA alike.
    const s = row(strict, "strict", "s");
    close(s.mpjpe_mm, 100, 1e-9);
    close(s.pa_mpjpe_mm, 100, 1e-9);
    assert.deepEqual([s.frames, s.people, s.skipped_frames], [2, 3, 1]);
  });

  it("usage errors: missing --gt or --pred, unknown protocol or argument, a flag without a value", () => {
    const cases: [string[], RegExp][] = [
      [["--pred", "p.json"], /missing --gt/],
      [["--gt", "g.json"], /missing --pred/],
      [["--gt", "g.json", "--pred", "p.json", "--protocol", "bev"], /unknown protocol "bev" \(expected crmh or strict\)/],
      [["--gt", "g.json", "--pred", "p.json", "--metric", "x"], /unknown argument "--metric"/],
      [["--gt", "--pred", "p.json"], /--gt needs a value/],
      [["--gt", "g.json", "--gt", "h.json", "--pred", "p.json"], /--gt given twice/],
    ];
    for (const [argv, re] of cases) {
      assert.throws(() => parseEvalArgs(argv, "/x"), (e: Error) => re.test(e.message) && /usage: npm run cli -- eval --gt/.test(e.message), argv.join(" "));
    }
    // Relative paths resolve against the directory given (the user's, via INIT_CWD under npm run).
    assert.deepEqual(parseEvalArgs(["--gt", "g.json", "--pred", "/abs/p.json", "--out", "o"], "/home/u"), { gt: "/home/u/g.json", pred: "/abs/p.json", protocols: ["crmh", "strict"], out: "/home/u/o" });
  });

  it("malformed files: the error names the file, the frame (index, sequence/frame) and the field", async () => {
    const reject = async (gt: string, pred: string, ...parts: string[]) =>
      assert.rejects(evalCommand(["--gt", gt, "--pred", pred], quiet().log), (e: Error) => parts.every((p) => e.message.includes(p)) || assert.fail(`"${e.message}" lacks one of ${JSON.stringify(parts)}`));
    // The example, from a fixture file.
    await reject(fixture("gt.json"), fixture("pred-null-coordinate.json"), "pred-null-coordinate.json: frames[3] (haggling/12): people[1].joints3d[5]: expected 3 numbers, got [0.1,null,0.3]");
    await reject(fixture("gt-16-joints.json"), fixture("pred.json"), "gt-16-joints.json: frames[1] (mafia/7): people[0].joints3d: expected 17 joints (H36M_17 order), got 16");
    await reject(fixture("gt-truncated.json"), fixture("pred.json"), "gt-truncated.json: invalid JSON");
    await reject(join(tmp, "missing.json"), fixture("pred.json"), "missing.json: cannot read");
    // A PRED frame GT does not have (mafia/9), written as a file so the message's paths are real ones.
    const pred = clone(JSON.parse(readFileSync(fixture("pred.json"), "utf8")));
    pred.frames[1].frame = 9;
    writeFileSync(join(tmp, "pred-unknown.json"), JSON.stringify(pred));
    await reject(fixture("gt.json"), join(tmp, "pred-unknown.json"), "pred-unknown.json: frames[1] (mafia/9): unknown frame", "gt.json");
  });

  it("malformed frames, one kind each (validateGt / validatePred)", () => {
    const gt0 = JSON.parse(readFileSync(fixture("gt.json"), "utf8"));
    const pred0 = JSON.parse(readFileSync(fixture("pred.json"), "utf8"));
    type Edit = (j: { frames: Record<string, any>[] }) => void;
    const cases: [string, "gt" | "pred", Edit, string][] = [
      ["non-3-vector", "gt", (j) => (j.frames[2].people[0].joints3d[4] = [1, 2]), "frames[2] (haggling/2): people[0].joints3d[4]: expected 3 numbers, got [1,2]"],
      ["non-number", "pred", (j) => (j.frames[0].people[0].joints3d[7] = ["0.3", 0.4, 3]), 'frames[0] (mafia/1): people[0].joints3d[7]: expected 3 numbers, got ["0.3",0.4,3]'],
      // JSON has no NaN, but validatePred is also the check for objects built in code.
      ["NaN", "pred", (j) => (j.frames[2].people[1].joints3d[0] = [NaN, 0, 1]), "frames[2] (haggling/0): people[1].joints3d[0]: expected 3 numbers, got [NaN,0,1]"],
      ["wrong joint count (pred)", "pred", (j) => j.frames[3].people[0].joints3d.push([0, 0, 0]), "frames[3] (haggling/1): people[0].joints3d: expected 17 joints (H36M_17 order), got 18"],
      ["missing joints3d", "gt", (j) => delete j.frames[4].people[1].joints3d, "frames[4] (mafia/1): people[1].joints3d: expected an array of 17 [x, y, z], got nothing"],
      ["missing frame number", "gt", (j) => delete j.frames[3].frame, "frames[3] (mafia): frame: expected an integer, got nothing"],
      ["missing sequence", "pred", (j) => delete j.frames[2].sequence, "frames[2]: sequence: expected a non-empty string, got nothing"],
      ["missing people", "pred", (j) => delete j.frames[1].people, "frames[1] (mafia/0): people: expected an array, got nothing"],
      ["missing frames", "gt", (j) => delete (j as any).frames, "frames: expected an array, got nothing"],
      ["visibility not 0/1", "gt", (j) => (j.frames[3].people[0].visible[2] = 0.5), "frames[3] (mafia/0): people[0].visible[2]: expected 0 or 1, got 0.5"],
      ["score not a number", "pred", (j) => (j.frames[0].people[0].score = "high"), 'frames[0] (mafia/1): people[0].score: expected a number, got "high"'],
      ["duplicate frame", "gt", (j) => j.frames.push(clone(j.frames[1])), "frames[5] (haggling/1): duplicate frame: (haggling, 1) is also frames[1]"],
    ];
    for (const [kind, file, edit, message] of cases) {
      const j = clone(file === "gt" ? gt0 : pred0);
      edit(j);
      const path = `${file}.json`;
      assert.throws(() => (file === "gt" ? validateGt(j, path) : validatePred(j, path)), (e: Error) => e.message === `${path}: ${message}` || assert.fail(`${kind}: got "${e.message}"`), kind);
    }
  });

  it("nothing is written when the input is malformed", async () => {
    const out = join(tmp, "kept");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "metrics.csv"), "old\n");
    await assert.rejects(evalCommand(["--gt", fixture("gt.json"), "--pred", fixture("pred-null-coordinate.json"), "--out", out], quiet().log));
    assert.equal(readFileSync(join(out, "metrics.csv"), "utf8"), "old\n");
    assert.deepEqual(readdirSync(out), ["metrics.csv"]);
    await assert.rejects(evalCommand(["--gt", fixture("gt.json"), "--pred", fixture("pred.json"), "--protocol", "bev", "--out", join(tmp, "never")], quiet().log));
    assert.ok(!existsSync(join(tmp, "never")));
  });

  it("our own studio predictions, exported with studioTo*Json, re-score to scoreStudio's figures", () => {
    // Independent oracle: lib/stages/evaluate.ts scores the same records from memory.
    const rng = new Rng("eval-export");
    const pose = (root: number[]) => Array.from({ length: 17 }, (_, j) => (j === 0 ? root : root.map((v) => v + rng.normal(0, 0.3))));
    const label = (joints3d: number[][], score = 1): PersonLabel => ({
      box: [0, 0, 100, 200], joints2d: [], visible: joints3d.map(() => (rng.uniform(0, 1) < 0.9 ? 1 : 0)), joints3d, joints3dRel: joints3d.map((q) => q.map((v, k) => v - joints3d[0][k])),
      shape: [], has2d: true, has3d: true, hasShape: false, source: "gt", provenance: "test", score,
    });
    const jitter = (p: PersonLabel) => label(p.joints3d.map((q) => q.map((v) => v + rng.normal(0, 0.05))), rng.uniform(0.5, 1));
    const records: FramePrediction[] = [];
    for (const sequence of ["haggling", "mafia"]) {
      for (let frame = 0; frame < 3; frame++) {
        for (const camera of ["cam_a", "cam_b"]) {
          const gt = [label(pose([0, 0, 3])), label(pose([1, 0, 4])), label(pose([-1, 0, 5]))];
          // Some frames lose a person, one loses everyone (skipped under crmh).
          const pred = frame === 2 && camera === "cam_b" ? [] : gt.slice(0, 3 - frame).map(jitter);
          records.push({ sequence, frame, camera, gt, pred });
        }
      }
    }
    const dir = join(tmp, "export");
    writeEvalJson(records, { gt: join(dir, "gt.json"), pred: join(dir, "pred.json") });
    const frames = toEvalFrames(readGtFile(join(dir, "gt.json")), readPredFile(join(dir, "pred.json")));
    assert.equal(frames.length, 12, "2 sequences x 3 frames x 2 cameras, each its own frame");
    const rows = PROTOCOLS.flatMap((p) => summarise(frames.flatMap((f) => evaluateFrame(f, p)), p));
    const oracle = scoreStudio(records, "all").summary;
    assert.equal(rows.length, oracle.length);
    rows.forEach((r, i) => {
      const o = oracle[i];
      assert.deepEqual([r.sequence, r.protocol, r.frames, r.people, r.skipped_frames], [o.sequence, o.protocol, o.frames, o.people, o.skipped_frames]);
      close(r.mpjpe_mm, o.mpjpe_mm, 1e-9, `${r.protocol}/${r.sequence}`);
      close(r.pa_mpjpe_mm, o.pa_mpjpe_mm, 1e-9, `${r.protocol}/${r.sequence} PA`);
    });
    assert.deepEqual(studioToGtJson(records.slice(0, 2)).frames.map((f) => f.frame), [0, 1], "frame * 10 + camera index");
    assert.deepEqual(studioToPredJson(records.slice(10, 12)).frames.map((f) => [f.frame, f.people.length]), [[20, 1], [21, 0]]);
  });
});
