import { cp, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { distDir, repoRoot } from "./dist-build.js";

/**
 * Another build of the broker for upgrade tests (issue 17, "Rolling upgrades: test it with
 * two builds"): a copy of the compiled dist/ in `dir` with its own package.json (so its own
 * `version`, which the broker reads from the package root) and its own table of supported
 * features (services/cluster/features.ts, compiled), optionally without some RPC methods
 * (a release from before them: test/cluster/produce-stream-upgrade.test.ts), everything
 * else the same code. No switch in the production code: the copy is what a later (or an
 * earlier) release would be, as far as other brokers and clients can tell (its
 * registration's version and features, the methods it serves).
 *
 * dist/ must be fresh (the cluster project's global setup builds it). node_modules and the
 * descriptor set are linked or copied from this repository.
 */
export interface VariantBuildOptions {
  /** The package version it reports (DescribeCluster, its registration). */
  readonly version: string;
  /** Its supported features with their levels, replacing the compiled table. */
  readonly features: Readonly<Record<string, number>>;
  /** Methods it neither binds nor lists in its reflection descriptor set, as
   * "package.Service/Method" ("tributary.v1.ProduceService/ProduceStream"): grpc-js answers
   * their paths UNIMPLEMENTED, as a build from before they existed did. Default none. */
  readonly withoutMethods?: readonly string[];
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
  if (options.withoutMethods !== undefined && options.withoutMethods.length > 0) await removeMethods(dir, options.withoutMethods);
  return join(dir, "dist/services/main.js");
}

/**
 * Takes `methods` out of the copy: its bindService (services/rpc/bind-service.ts, the one
 * place every service is bound, and whose createServiceDefinition call makes the grpc-js
 * definition) sees each service without them, and the descriptor set its reflection
 * serves lists none of them. The handlers stay compiled in, unreachable.
 */
async function removeMethods(dir: string, methods: readonly string[]): Promise<void> {
  const descriptorPath = join(dir, "gen/descriptor.binpb");
  const set = fromBinary(FileDescriptorSetSchema, await readFile(descriptorPath));
  for (const fullName of methods) {
    const match = /^([\w.]+)\.(\w+)\/(\w+)$/.exec(fullName);
    const file = match === null ? undefined : set.file.find((f) => f.package === match[1] && f.service.some((s) => s.name === match[2]));
    const service = file?.service.find((s) => s.name === match![2]);
    const index = service?.method.findIndex((m) => m.name === match![3]) ?? -1;
    if (index === -1) throw new Error(`${fullName}: no such method in gen/descriptor.binpb; update test/helpers/variant-build.ts`);
    service!.method.splice(index, 1);
  }
  await writeFile(descriptorPath, toBinary(FileDescriptorSetSchema, set));

  const bindJs = join(dir, "dist/services/rpc/bind-service.js");
  const source = await readFile(bindJs, "utf8");
  const start = /(export function bindService\(service, [^)]*\) \{\n)(\s*const definition = createServiceDefinition\(service, )/;
  if (!start.test(source)) throw new Error(`${bindJs}: the start of bindService was not found; update test/helpers/variant-build.ts`);
  const filter =
    `    const removedMethods = ${JSON.stringify(methods)};\n` +
    "    service = Object.create(service, { methods: { value: service.methods.filter((m) => !removedMethods.includes(`${service.typeName}/${m.name}`)) } });\n";
  await writeFile(bindJs, source.replace(start, (_, head: string, next: string) => head + filter + next));
}
