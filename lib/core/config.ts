/**
 * The config machinery: typed dotted-key overrides (`--set a.b=value`, checked against the default's
 * type), the quick switch, and a stable hash. The experiment's one Config type and its defaults live
 * in lib/config.ts (they gather sections owned by other modules, which core/ may not import).
 */
import { createHash } from "node:crypto";

export type Overrides = Record<string, unknown>;

export function isQuick(argv: readonly string[] = process.argv): boolean {
  return argv.includes("--quick") || /^(1|true|yes)$/i.test(process.env.WB_QUICK ?? "");
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

/** Parse a `--set` string value against the type of the default it replaces. */
function coerce(key: string, raw: unknown, current: unknown): unknown {
  if (typeof raw !== "string") {
    if (Array.isArray(current) ? Array.isArray(raw) : typeof raw === typeof current) return raw;
    throw new Error(`config: ${key} must be ${Array.isArray(current) ? "an array" : `a ${typeof current}`}, got ${JSON.stringify(raw)}`);
  }
  if (typeof current === "number") {
    const v = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(v)) throw new Error(`config: ${key} must be a number, got "${raw}"`);
    return v;
  }
  if (typeof current === "boolean") {
    if (!/^(true|false|1|0)$/i.test(raw)) throw new Error(`config: ${key} must be true or false, got "${raw}"`);
    return /^(true|1)$/i.test(raw);
  }
  if (Array.isArray(current)) {
    const items = raw.split(/[;,]/).filter((s) => s !== "");
    const proto = current[0];
    return items.map((s, i) => (proto === undefined ? s : coerce(`${key}[${i}]`, s, proto)));
  }
  if (typeof current === "string") return raw;
  throw new Error(`config: ${key} is a section (${Object.keys(current as object).join(", ")}), set one of its keys`);
}

/** Return a copy of `base` with dotted-key overrides applied; unknown keys and wrong types throw. */
export function applyOverrides<T extends object>(base: T, overrides: Overrides): T {
  const out = clone(base);
  for (const [key, raw] of Object.entries(overrides)) {
    const parts = key.split(".");
    let node: Record<string, unknown> = out as Record<string, unknown>;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = node[parts[i]];
      if (next === null || typeof next !== "object" || Array.isArray(next)) throw new Error(`config: unknown key "${key}" (no section "${parts.slice(0, i + 1).join(".")}")`);
      node = next as Record<string, unknown>;
    }
    const leaf = parts[parts.length - 1];
    if (!(leaf in node)) throw new Error(`config: unknown key "${key}"; known here: ${Object.keys(node).join(", ")}`);
    node[leaf] = coerce(key, raw, node[leaf]);
  }
  return out;
}

/** Parse `--set a.b=value` pairs (repeatable) from argv. */
export function parseSetArgs(argv: readonly string[]): Overrides {
  const out: Overrides = {};
  argv.forEach((a, i) => {
    const s = a === "--set" ? argv[i + 1] : a.startsWith("--set=") ? a.slice(6) : undefined;
    if (s === undefined) return;
    const eq = s.indexOf("=");
    if (eq <= 0) throw new Error(`config: --set expects key=value, got "${s}"`);
    out[s.slice(0, eq)] = s.slice(eq + 1);
  });
  return out;
}

/** Defaults, then the quick overlay (if quick), then the user's overrides (`--set` in argv, then `overrides`). */
export function resolveWith<T extends { quick: boolean }>(defaults: T, quickOverlay: Overrides, opts: { quick?: boolean; overrides?: Overrides; argv?: readonly string[] } = {}): T {
  const argv = opts.argv ?? [];
  const quick = opts.quick ?? isQuick(argv.length ? argv : process.argv);
  let cfg = applyOverrides(defaults, { quick });
  if (quick) cfg = applyOverrides(cfg, quickOverlay);
  return applyOverrides(cfg, { ...parseSetArgs(argv), ...opts.overrides });
}

/** Canonical JSON: object keys sorted at every level, so equal configs serialise equally. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(",")}]`;
  if (x !== null && typeof x === "object") {
    return `{${Object.keys(x as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((x as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(x);
}

/** Stable 12-hex-digit hash of a config (or any section of one): key order never matters. */
export function configHash(x: unknown): string {
  return createHash("sha256").update(canonicalJson(x)).digest("hex").slice(0, 12);
}
