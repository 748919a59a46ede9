import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { partitionForKey } from "../../services/produce/murmur2.js";
import { bytes, startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const exec = promisify(execFile);
const go = "/usr/bin/go";
const repo = fileURLToPath(new URL("../../", import.meta.url));
/** The protos' go_package import path, where GOPATH mode looks for gen/go. */
const goPackage = "tributary.dev/gen/go/tributary/v1";

interface Summary {
  topic: string;
  group: string;
  consumed: string[];
  committed: Record<string, number>;
}

/** What one run of the example writes on a fresh topic: 12 keyed records over 3 partitions. */
function expectedRun() {
  const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
  const perPartition = [0, 0, 0];
  for (const key of keys) perPartition[partitionForKey(bytes(key), 3)] += 1;
  return { values: keys.map((k) => k.replace("key", "value")).sort(), perPartition };
}

/** Commits as seen by the broker, `{partition: offset}`. */
async function committedOffsets(t: TestBroker, group: string, topic: string) {
  const { offsets } = await t.commit.fetchCommitted({ groupId: group, topic });
  return Object.fromEntries(offsets.map((o) => [String(o.partition), Number(o.offset)]));
}

/**
 * clients/go/main.go over gen/go, built once in GOPATH mode (there is no module
 * proxy) against Debian's grpc-go in /usr/share/gocode: `scripts/setup.mjs`
 * installs the packages; a missing toolchain fails the build here.
 */
describe("the Go example over the generated stubs", () => {
  let t: TestBroker;
  let buildDir: string;
  let binary: string;
  beforeAll(async () => {
    expect(existsSync(go), "Debian's golang-go and golang-google-grpc-dev (run scripts/setup.mjs)").toBe(true);
    buildDir = await mkdtemp(join(tmpdir(), "tributary-go-"));
    const packageDir = join(buildDir, "src", goPackage);
    await mkdir(packageDir, { recursive: true });
    await cp(join(repo, "gen/go/tributary/v1"), packageDir, { recursive: true });
    binary = join(buildDir, "quickstart");
    await exec(go, ["build", "-o", binary, join(repo, "clients/go/main.go")], {
      timeout: 50_000,
      env: {
        ...process.env,
        GO111MODULE: "off",
        GOPATH: `${buildDir}:/usr/share/gocode`,
        GOCACHE: join(buildDir, "cache"),
        GOFLAGS: "",
      },
    });
    t = await startTestBroker();
  }, 55_000);
  afterAll(async () => {
    await t?.close();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  const run = async (topic: string, group: string): Promise<Summary> => {
    const { stdout } = await exec(binary, [t.broker.address, topic, group], { timeout: 30_000 });
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as Summary;
  };

  it("produces 12 keyed records, consumes and commits them in a group, and a second run resumes at the commit", async () => {
    const { values, perPartition } = expectedRun();
    const committed = (runs: number) =>
      Object.fromEntries(perPartition.flatMap((n, p) => (n > 0 ? [[String(p), n * runs]] : [])));

    expect(await run("go-orders", "go-group")).toEqual({ topic: "go-orders", group: "go-group", consumed: values, committed: committed(1) });
    expect(await committedOffsets(t, "go-group", "go-orders")).toEqual(committed(1));

    // The topic exists now (ALREADY_EXISTS is ignored) and the group reads only the new records.
    expect(await run("go-orders", "go-group")).toEqual({ topic: "go-orders", group: "go-group", consumed: values, committed: committed(2) });
    expect(await committedOffsets(t, "go-group", "go-orders")).toEqual(committed(2));

    const { topic } = await t.admin.describeTopic({ name: "go-orders" });
    expect(topic?.partitions.map((p) => Number(p.logEndOffset))).toEqual(perPartition.map((n) => n * 2));
    // Cancelling the stream left the group.
    await vi.waitFor(async () => expect((await t.admin.describeGroup({ groupId: "go-group" })).members).toEqual([]));
  });
});
