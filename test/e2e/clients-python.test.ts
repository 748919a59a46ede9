import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkExample, parseSummary, type ExampleSummary } from "../helpers/example-client.js";
import { startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const exec = promisify(execFile);
const python = "/usr/bin/python3";
const example = fileURLToPath(new URL("../../clients/python/quickstart.py", import.meta.url));

/**
 * clients/python/quickstart.py over gen/python with Debian's python3-grpcio:
 * `scripts/setup.mjs` installs it; a missing interpreter or module fails here.
 */
describe("the Python example over the generated stubs", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await t?.close();
  });

  const run = async (topic: string, group: string): Promise<ExampleSummary> => {
    const { stdout } = await exec(python, [example, t.broker.address, topic, group], {
      timeout: 30_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    return parseSummary(stdout);
  };

  it("produces 12 keyed records, consumes and commits them in a group, and a second run resumes at the commit", async () => {
    expect(existsSync(python), "Debian's /usr/bin/python3 with python3-grpcio (run scripts/setup.mjs)").toBe(true);
    await checkExample(t, run, "py-orders", "py-group");
  });
});
