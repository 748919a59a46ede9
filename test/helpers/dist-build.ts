import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * The compiled broker in dist/ (tsconfig.build.json), which test/helpers/broker-process.ts
 * runs. `npm test` builds it first (its `npm install` runs the `prepare` script, which is
 * `npm run build`); a bare `npx vitest run test/cluster/...` after editing services/ would
 * find it stale, so the cluster project's global setup (test/cluster/global-setup.ts)
 * calls `buildDistIfStale()` once per run: a stat of each source, the build (~15 s) only
 * when one is newer than its output.
 */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const distDir = join(repoRoot, "dist");
export const compiledMain = join(distDir, "services/main.js");

/** The trees tsconfig.build.json compiles, less what it excludes. */
const sourceDirs = ["clients/ts", "services", "gen/ts"];
const excluded = [join(repoRoot, "services/http/console/ui")];
const configs = ["tsconfig.json", "tsconfig.build.json"].map((name) => join(repoRoot, name));

/** Source files whose compiled output is missing or older than them (repo-relative). */
export function staleDistFiles(): string[] {
  const stale: string[] = [];
  const mainTimeMs = existsSync(compiledMain) ? statSync(compiledMain).mtimeMs : 0;
  for (const config of configs) if (statSync(config).mtimeMs > mainTimeMs) stale.push(relative(repoRoot, config));
  for (const dir of sourceDirs) walk(join(repoRoot, dir), stale);
  return stale;
}

function walk(dir: string, stale: string[]): void {
  if (excluded.includes(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      walk(path, stale);
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      const rel = relative(repoRoot, path);
      const out = join(distDir, rel.replace(/\.ts$/, ".js"));
      if (!existsSync(out) || statSync(out).mtimeMs < statSync(path).mtimeMs) stale.push(rel);
    }
  }
}

/** Runs `tsc -p tsconfig.build.json` when dist/ is stale; resolves which files made it so. */
export async function buildDistIfStale(): Promise<string[]> {
  const stale = staleDistFiles();
  if (stale.length === 0) return stale;
  const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
  try {
    await promisify(execFile)(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: repoRoot, timeout: 300_000 });
  } catch (err) {
    const { stdout } = err as { stdout?: string };
    throw new Error(`npm run build failed (dist/ is stale: ${stale.slice(0, 3).join(", ")}...):\n${stdout ?? ""}`, { cause: err });
  }
  return stale;
}
