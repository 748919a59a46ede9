/**
 * Each folder of services/ is used through its `index.ts`, which names what the
 * folder offers (issue 15 §3: "each folder's `index.ts` names its exports (no
 * `export *`)"). A file that reaches into another folder's internal file couples to
 * what that folder may rename or split; the index is the one place that says what
 * is meant to be used.
 *
 * Checked: every relative import (static, `export … from`, `import type`, dynamic)
 * in services/, clients/ and scripts/ whose target is in services/. Within a folder,
 * files import each other directly; the files directly in services/ (errors.ts,
 * config.ts, clock.ts, …) are shared by all and imported directly. Tests are not
 * checked: they test a folder's internals on purpose.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Imports of an internal file that stay, as "importer -> target" (paths from the
 * repository root), each with why. An entry that no longer matches an import fails
 * the test, so the list does not outlive its reasons.
 */
const allowed: Record<string, string> = {
  "services/config.ts -> services/http/console/host-check.ts":
    "config validation needs only the console's host list check; the console's index " +
    "would load the gRPC client and the console into everything that reads the config",
  "services/log/record-entry.ts -> services/wire/varint.ts":
    "services/log is being changed for issue 16 (cluster) by others; ../wire/index.js " +
    "names the same functions, so this becomes a one-line change when log is free",
};

/** Every .ts/.mts/.mjs file under `dir`, relative to the repository, without node_modules. */
function sources(dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sources(path);
    return /\.(ts|mts|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The file a relative specifier names: `./x.js` is `x.ts` in this repository. */
function resolveSpecifier(importer: string, specifier: string): string {
  const target = relative(root, resolve(root, dirname(importer), specifier));
  const asTs = target.replace(/\.js$/, ".ts");
  return existsSync(join(root, asTs)) ? asTs : target;
}

/** Relative imports of `file`, as resolved repository paths. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), "utf8"), true, true);
  return importedFiles.map((f) => f.fileName).filter((s) => s.startsWith(".")).map((s) => resolveSpecifier(file, s));
}

const posix = (path: string) => path.split(sep).join("/");

/**
 * The modules `file` loads when it runs: `import type` and `export type` are erased,
 * so they are not edges (`import { type X }` is kept, as verbatimModuleSyntax keeps it).
 */
function runtimeImportsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), "utf8"), ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    const loads =
      (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) ||
      (ts.isExportDeclaration(statement) && !statement.isTypeOnly);
    const specifier = loads ? (statement as ts.ImportDeclaration | ts.ExportDeclaration).moduleSpecifier : undefined;
    if (specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith(".")) specifiers.push(specifier.text);
  }
  return specifiers.map((s) => resolveSpecifier(file, s)).filter((target) => existsSync(join(root, target)));
}

/** The import cycles among the modules `entry` loads, each as the path that closes it. */
function cyclesFrom(entry: string): string[] {
  const cycles: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string) => {
    const at = path.indexOf(file);
    if (at >= 0) return void cycles.push([...path.slice(at), file].map(posix).join(" -> "));
    if (done.has(file)) return;
    path.push(file);
    for (const target of runtimeImportsOf(file)) visit(target);
    path.pop();
    done.add(file);
  };
  visit(entry);
  return cycles;
}

/** `services/cluster/etcd/x.ts` -> "cluster"; undefined outside services/. */
function subsystem(file: string): string | undefined {
  const parts = posix(file).split("/");
  return parts[0] === "services" && parts.length > 2 ? parts[1] : undefined;
}

/** Why `importer` may not import `target`, or undefined when it may. */
function violation(importer: string, target: string): string | undefined {
  if (!target.startsWith(`services${sep}`)) return undefined;
  const targetDir = dirname(target);
  if (targetDir === dirname(importer) || targetDir === "services") return undefined;
  // A subsystem's nested folders (services/cluster/controller/...) and the subsystem's
  // own files import each other directly: going through the subsystem's index from
  // inside it would make import cycles. The boundary is the top folder of services/.
  if (subsystem(importer) !== undefined && subsystem(importer) === subsystem(target)) return undefined;
  if (/^index\.(ts|mts)$/.test(target.slice(targetDir.length + 1))) return undefined;
  const index = posix(join(targetDir, "index.ts"));
  return existsSync(join(root, index))
    ? `import it from ${index} (name it there if it is missing)`
    : `${posix(targetDir)} has no index.ts: add one that names what other folders use`;
}

describe("module boundaries", () => {
  const files = ["services", "clients", "scripts"].flatMap(sources);
  const crossings = files.flatMap((importer) =>
    importsOf(importer).flatMap((target) => {
      const why = violation(importer, target);
      return why === undefined ? [] : [{ key: `${posix(importer)} -> ${posix(target)}`, why }];
    }),
  );

  it("reads the sources it checks", () => {
    expect(files).toContain(join("services", "server.ts"));
    // server.ts imports rpc/index.js in a multi-line import: the scan must see those too.
    expect(importsOf(join("services", "server.ts"))).toContain(join("services", "rpc", "index.ts"));
  });

  it("imports another folder of services/ only through its index.ts", () => {
    const found = crossings.filter((c) => !(c.key in allowed)).map((c) => `${c.key}: ${c.why}`);
    expect(found, "or, if it must stay, add it to `allowed` in this test with the reason").toEqual([]);
  });

  it("lists no exception that no file needs any more", () => {
    const used = new Set(crossings.map((c) => c.key));
    expect(Object.keys(allowed).filter((key) => !used.has(key))).toEqual([]);
  });

  it("loads the broker and the CLI without an import cycle", () => {
    // A cycle makes one module of it run before what it imports is initialised: a
    // class or constant read at load time is then undefined, or in its temporal dead zone.
    expect(cyclesFrom(join("services", "main.ts"))).toEqual([]);
  });

  it("names every export of a folder's index.ts (no `export *`)", () => {
    const indexes = sources("services").filter((f) => /(^|[\\/])index\.ts$/.test(f));
    const star = indexes.filter((f) => /^\s*export\s+(type\s+)?\*/m.test(readFileSync(join(root, f), "utf8")));
    expect(star).toEqual([]);
  });
});
