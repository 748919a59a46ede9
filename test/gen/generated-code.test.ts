import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(repo, "node_modules/.bin");

/** Files under `dir`, relative and sorted. Python's bytecode caches are not generator output. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name).slice(dir.length + 1))
    .filter((file) => !file.split("/").includes("__pycache__"))
    .sort();
}

/**
 * gen/ is committed and never edited by hand: it must be exactly what
 * `npm run generate` (buf.gen.yaml: TypeScript, and the descriptor set) and
 * `npm run generate:clients` (buf.gen.clients.yaml: Python, Go, Java) make
 * from proto/. Regenerates into a temp dir and compares byte for byte.
 */
describe("generated code in gen/", () => {
  let out: string;
  let generated: string[];
  beforeAll(async () => {
    expect(existsSync("/usr/bin/protoc"), "protoc from protobuf-compiler (run scripts/setup.mjs)").toBe(true);
    out = await mkdtemp(join(tmpdir(), "tributary-gen-"));
    // `local:` plugins such as protoc-gen-es resolve through PATH, as under npm scripts.
    const options = { cwd: repo, timeout: 40_000, env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` } };
    const buf = join(bin, "buf");
    await exec(buf, ["generate", "--template", "buf.gen.yaml", "-o", out], options);
    await exec(buf, ["generate", "--template", "buf.gen.clients.yaml", "-o", out], options);
    // As package.json's "generate": reflection serves our API, not the vendored proto/etcd.
    await exec(buf, ["build", "--path", "proto/tributary", "-o", join(out, "gen/descriptor.binpb")], options);
    generated = await listFiles(join(out, "gen"));
  }, 50_000);
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("holds every generated file for TypeScript, Python, Go, Java and the descriptor set, and nothing else", async () => {
    for (const prefix of ["ts/", "python/", "go/", "java/", "descriptor.binpb"]) {
      expect(generated.some((file) => file.startsWith(prefix)), `generators made ${prefix}`).toBe(true);
    }
    expect(await listFiles(join(repo, "gen")), "run npm run generate && npm run generate:clients").toEqual(generated);
  });

  it("matches the generators' output byte for byte", async () => {
    const stale: string[] = [];
    for (const file of generated) {
      const [committed, fresh] = await Promise.all([
        readFile(join(repo, "gen", file)).catch(() => undefined),
        readFile(join(out, "gen", file)),
      ]);
      if (!committed?.equals(fresh)) stale.push(file);
    }
    expect(stale, "stale files in gen/: run npm run generate && npm run generate:clients").toEqual([]);
  });
});
