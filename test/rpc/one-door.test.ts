import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/**
 * Besides services/rpc/ and server.ts, which serve our API and call other brokers: the
 * etcd client, a client of etcd's own gRPC API (its protos, its retry rules across
 * endpoints). Its grpc-js types stay inside services/cluster/etcd/ (EtcdClient's API has
 * none), so no handler or cluster logic sees grpc-js.
 */
const otherDoors = ["services/cluster/etcd/"];

describe("one door to grpc-js (DESIGN.md, issue 15)", () => {
  it("is imported only by services/rpc/, services/server.ts and the etcd client", () => {
    const importers = sources(join(root, "services"))
      .filter((path) => /from\s+["']@grpc\/grpc-js["']|import\(\s*["']@grpc\/grpc-js["']\s*\)|require\(\s*["']@grpc\/grpc-js["']\s*\)/.test(readFileSync(path, "utf8")))
      .map((path) => relative(root, path).split("\\").join("/"));
    expect(
      importers.filter((path) => !path.startsWith("services/rpc/") && path !== "services/server.ts" && !otherDoors.some((door) => path.startsWith(door))),
    ).toEqual([]);
  });
});
