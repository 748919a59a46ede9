import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkExample, parseSummary, type ExampleSummary } from "../helpers/example-client.js";
import { startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const exec = promisify(execFile);
const go = "/usr/bin/go";
const repo = fileURLToPath(new URL("../../", import.meta.url));
/** The protos' go_package import path, where GOPATH mode looks for gen/go. */
const goPackage = "tributary.dev/gen/go/tributary/v1";

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
      timeout: 150_000,
      env: {
        ...process.env,
        GO111MODULE: "off",
        GOPATH: `${buildDir}:/usr/share/gocode`,
        GOCACHE: join(buildDir, "cache"),
        GOFLAGS: "",
      },
    });
    t = await startTestBroker();
  }, 160_000);
  afterAll(async () => {
    await t?.close();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  const run = async (topic: string, group: string): Promise<ExampleSummary> => {
    const { stdout } = await exec(binary, [t.broker.address, topic, group], { timeout: 30_000 });
    return parseSummary(stdout);
  };

  it("produces 12 keyed records, consumes and commits them in a group, and a second run resumes at the commit", async () => {
    await checkExample(t, run, "go-orders", "go-group");
  });
});
