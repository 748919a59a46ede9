import { cp, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { distDir, repoRoot } from "./dist-build.js";

/**
 * Another build of the broker for upgrade tests (issue 17, "Rolling upgrades: test it with
 * two builds"): a copy of the compiled dist/ in `dir` with its own package.json (so its own
 * `version`, which the broker reads from the package root) and its own table of supported
 * features (services/cluster/features.ts, compiled), everything else the same code. No
 * switch in the production code: the copy is what a later release would be, as far as
 * other brokers can tell (its registration's version and features).
 *
 * dist/ must be fresh (the cluster project's global setup builds it). node_modules and the
 * descriptor set are linked or copied from this repository.
 */
export interface VariantBuildOptions {
  /** The package version it reports (DescribeCluster, its registration). */
  readonly version: string;
  /** Its supported features with their levels, replacing the compiled table. */
  readonly features: Readonly<Record<string, number>>;
}

/** Builds the variant under `dir` and returns the path of its main.js (for `startBrokerProcess`'s restarts). */
export async function createVariantBuild(dir: string, options: VariantBuildOptions): Promise<string> {
  await mkdir(join(dir, "gen"), { recursive: true });
  await cp(distDir, join(dir, "dist"), { recursive: true });
  await cp(join(repoRoot, "gen/descriptor.binpb"), join(dir, "gen/descriptor.binpb"));
  await symlink(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  const pkg = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as Record<string, unknown>;
  await writeFile(join(dir, "package.json"), JSON.stringify({ ...pkg, version: options.version }, null, 2));
  const featuresJs = join(dir, "dist/services/cluster/features.js");
  const source = await readFile(featuresJs, "utf8");
  const table = /export const supportedFeatures = Object\.freeze\(\{[\s\S]*?\}\);/;
  if (!table.test(source)) throw new Error(`${featuresJs}: the supportedFeatures table was not found; update test/helpers/variant-build.ts`);
  await writeFile(featuresJs, source.replace(table, `export const supportedFeatures = Object.freeze(${JSON.stringify(options.features)});`));
  return join(dir, "dist/services/main.js");
}
