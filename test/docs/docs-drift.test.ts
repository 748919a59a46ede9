/**
 * The reference pages must keep up with the code: every broker config key is
 * in docs/configuration.md (key, flag and environment variable), and every
 * stable error reason the broker can send is in docs/errors.md. Both ways: a
 * documented key or reason that the code no longer has fails too.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configKeys, defaultConfig, envName, flagName } from "../../services/config.js";
import { brokerNodeFlags } from "../../scripts/bench/util.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");

/** `word` as a whole token: not the start of a longer flag or name. */
const mentions = (text: string, word: string) =>
  new RegExp(`(?<![\\w-])${word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w-])`).test(text);

/** The first cell of each table row, as the backquoted names in it. */
function firstColumnNames(markdown: string): string[] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .flatMap((line) => [...line.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

describe("docs/configuration.md", () => {
  const doc = read("docs/configuration.md");
  const keys = [...new Set([...configKeys, ...Object.keys(defaultConfig)])].sort();

  it("documents every config key with its flag and environment variable", () => {
    const missing = keys.flatMap((key) =>
      [`\`${key}\``, `--${flagName(key)}`, envName(key)]
        .filter((form) => !(form.startsWith("`") ? doc.includes(form) : mentions(doc, form)))
        .map((form) => `config key "${key}": ${form} is not in docs/configuration.md`),
    );
    expect(missing, `add a table row: | \`key\` | \`--flag\` | \`TRIBUTARY_…\` | default | meaning |\n${missing.join("\n")}`).toEqual([]);
  });

  it("documents no key the broker does not have", () => {
    const table = doc.slice(0, doc.indexOf("Per-topic settings"));
    const stale = firstColumnNames(table).filter((name) => !keys.includes(name as never));
    expect(stale, "rows in docs/configuration.md for keys services/config.ts does not define").toEqual([]);
  });
});

/** Every .ts file under services/, relative to the repo. */
function sources(dir = join(root, "services")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [relative(root, path)] : [];
  });
}

/**
 * The stable reasons the broker sends in `tributary-reason`, read from the
 * source: the reason argument of an error's constructor (`new XxxError("R", …)`,
 * `new TributaryError("kind", "R", …)`, `super("kind", "R", …)`), of a local
 * helper taking a reason (`failed("R", …)`), the members of a reason union
 * (`reason: "A" | "B"`), and what status.ts sets itself. Left out: the CLI's
 * own usage errors (never sent) and the web console's HTTP API (docs/console.md).
 */
function brokerReasons(): Map<string, string> {
  const found = new Map<string, string>();
  const skipped = (path: string) => path.startsWith("services/cli/") || path === "services/main.ts" || path.startsWith("services/http/");
  const reason = `"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)"`;
  for (const path of sources().filter((p) => !skipped(p))) {
    const text = readFileSync(join(root, path), "utf8");
    const helpers = new Set(
      [...text.matchAll(/(?:const|function)\s+(\w+)\s*=?\s*\(\s*reason\s*:\s*string/g)].map((m) => m[1]!),
    );
    for (const m of text.matchAll(new RegExp(`\\b(\\w+)\\(\\s*(?:"[a-z_]+",\\s*)?${reason}`, "g"))) {
      const callee = m[1]!;
      if (callee === "super" || callee.endsWith("Error") || helpers.has(callee)) found.set(m[2]!, path);
    }
    for (const m of text.matchAll(/reason\s*:\s*((?:"[A-Z0-9_]+"\s*\|\s*)*"[A-Z0-9_]+")/g)) {
      for (const name of m[1]!.matchAll(/"([A-Z0-9_]+)"/g)) found.set(name[1]!, path);
    }
    for (const m of text.matchAll(new RegExp(`reasonMetadataKey,\\s*${reason}`, "g"))) found.set(m[1]!, path);
  }
  return found;
}

describe("docs/errors.md", () => {
  const doc = read("docs/errors.md");
  const reasons = brokerReasons();

  it("finds the reasons in the source (the scan itself works)", () => {
    for (const known of ["UNKNOWN_TOPIC", "STALE_GENERATION", "NOT_AUTHORIZED", "INVALID_TOKEN", "MISSING_CREDENTIALS", "QUOTA_EXCEEDED", "INTERNAL"]) {
      expect(reasons.has(known), `the scan missed ${known}`).toBe(true);
    }
    expect(reasons.has("USAGE"), "CLI usage errors are not broker reasons").toBe(false);
  });

  it("documents every error reason the broker can send", () => {
    const missing = [...reasons]
      .filter(([name]) => !doc.includes(`\`${name}\``))
      .map(([name, path]) => `reason ${name} (thrown in ${path}) is not in docs/errors.md`);
    expect(missing, `add a table row: | \`REASON\` | CODE | when | what to do |\n${missing.join("\n")}`).toEqual([]);
  });

  it("documents no reason the broker does not send", () => {
    const stale = firstColumnNames(doc).filter((name) => !reasons.has(name));
    expect(stale, "rows in docs/errors.md for reasons no source file throws").toEqual([]);
  });
});

describe("the broker's node flags", () => {
  // V8 takes --initial-old-space-size only on node's command line, so it is written in
  // three places: the `tributary` shebang and package.json's start and serve scripts.
  const shebang = read("services/tributary.mjs").split("\n", 1)[0]!;
  const flags = brokerNodeFlags.join(" "); // what the benchmark gives its broker
  const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;

  it("are on the tributary command's first line", () => {
    expect(shebang.startsWith("#!/usr/bin/env -S node ")).toBe(true);
    expect(flags).toMatch(/^--initial-old-space-size=\d+$/);
  });

  it("are the same in package.json's start and serve scripts", () => {
    for (const name of ["start", "serve"]) expect(scripts[name], `package.json scripts.${name}`).toContain(`node ${flags} services/tributary.mjs serve`);
  });

  it("are explained in docs/configuration.md", () => {
    expect(read("docs/configuration.md")).toContain(flags);
  });
});
