import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { partitionForKey } from "../../services/produce/murmur2.js";
import { bytes, startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const exec = promisify(execFile);
const javac = "/usr/bin/javac";
const java = "/usr/bin/java";
const repo = fileURLToPath(new URL("../../", import.meta.url));
/** grpc-java 1.41 and what it needs at compile and run time, from Debian's /usr/share/java. */
const jars = [
  "grpc-api",
  "grpc-core",
  "grpc-context",
  "grpc-netty",
  "grpc-protobuf",
  "grpc-protobuf-lite",
  "grpc-stub",
  "protobuf",
  "guava",
  "perfmark-api",
  "gson",
  "geronimo-annotation-1.3-spec",
  "error_prone_annotations",
  "jsr305",
  "netty-buffer",
  "netty-codec",
  "netty-codec-http",
  "netty-codec-http2",
  "netty-common",
  "netty-handler",
  "netty-resolver",
  "netty-transport",
].map((name) => `/usr/share/java/${name}.jar`);

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
 * clients/java/Quickstart.java over gen/java, compiled once with javac against
 * Debian's grpc-java jars: `scripts/setup.mjs` installs the packages; a missing
 * JDK or jar fails here.
 */
describe("the Java example over the generated stubs", () => {
  let t: TestBroker;
  let buildDir: string;
  let classpath: string;
  beforeAll(async () => {
    expect(existsSync(javac), "a JDK at /usr/bin/javac: openjdk-17-jdk-headless (run scripts/setup.mjs)").toBe(true);
    expect(jars.filter((jar) => !existsSync(jar)), "jars missing from /usr/share/java (run scripts/setup.mjs)").toEqual([]);
    buildDir = await mkdtemp(join(tmpdir(), "tributary-java-"));
    const classes = join(buildDir, "classes");
    const generated = await readdir(join(repo, "gen/java"), { recursive: true });
    const sources = generated.filter((file) => file.endsWith(".java")).map((file) => join("gen/java", file));
    await exec(javac, ["-nowarn", "-d", classes, "-cp", jars.join(":"), ...sources, "clients/java/Quickstart.java"], {
      cwd: repo,
      timeout: 50_000,
    });
    classpath = [classes, ...jars].join(":");
    t = await startTestBroker();
  }, 55_000);
  afterAll(async () => {
    await t?.close();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  const run = async (topic: string, group: string): Promise<Summary> => {
    const { stdout } = await exec(java, ["-cp", classpath, "Quickstart", t.broker.address, topic, group], { timeout: 30_000 });
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as Summary;
  };

  it("produces 12 keyed records, consumes and commits them in a group, and a second run resumes at the commit", async () => {
    const { values, perPartition } = expectedRun();
    const committed = (runs: number) =>
      Object.fromEntries(perPartition.flatMap((n, p) => (n > 0 ? [[String(p), n * runs]] : [])));

    expect(await run("java-orders", "java-group")).toEqual({ topic: "java-orders", group: "java-group", consumed: values, committed: committed(1) });
    expect(await committedOffsets(t, "java-group", "java-orders")).toEqual(committed(1));

    // The topic exists now (ALREADY_EXISTS is ignored) and the group reads only the new records.
    expect(await run("java-orders", "java-group")).toEqual({ topic: "java-orders", group: "java-group", consumed: values, committed: committed(2) });
    expect(await committedOffsets(t, "java-group", "java-orders")).toEqual(committed(2));

    const { topic } = await t.admin.describeTopic({ name: "java-orders" });
    expect(topic?.partitions.map((p) => Number(p.logEndOffset))).toEqual(perPartition.map((n) => n * 2));
    // Cancelling the stream left the group.
    await vi.waitFor(async () => expect((await t.admin.describeGroup({ groupId: "java-group" })).members).toEqual([]));
  });
});
