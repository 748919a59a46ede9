import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The directory of Tributary's package.json, found by walking up from this file.
 *
 * The broker runs from two places: its TypeScript under services/ (tsx, `npm start`)
 * and the compiled JavaScript under dist/services/ (`npm run build`; the cluster tests
 * start broker processes from it). Files it reads at run time — gen/descriptor.binpb,
 * package.json, the console's committed assets — are not copied into dist/, so paths
 * relative to `import.meta.url` would differ between the two; paths from the package
 * root do not. dist/ holds no package.json, so the walk passes through it.
 */
export const packageRoot: string = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the package: `packagePath("gen/descriptor.binpb")`. */
export function packagePath(relative: string): string {
  return join(packageRoot, relative);
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
