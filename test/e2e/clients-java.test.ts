import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkExample, parseSummary, type ExampleSummary } from "../helpers/example-client.js";
import { startTestBroker, type TestBroker } from "../helpers/test-broker.js";

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
      timeout: 150_000,
    });
    classpath = [classes, ...jars].join(":");
    t = await startTestBroker();
  }, 160_000);
  afterAll(async () => {
    await t?.close();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  const run = async (topic: string, group: string): Promise<ExampleSummary> => {
    const { stdout } = await exec(java, ["-cp", classpath, "Quickstart", t.broker.address, topic, group], { timeout: 30_000 });
    return parseSummary(stdout);
  };

  it("produces 12 keyed records, consumes and commits them in a group, and a second run resumes at the commit", async () => {
    await checkExample(t, run, "java-orders", "java-group");
  });
});
