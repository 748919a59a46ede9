import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { partitionForKey } from "../../services/produce/murmur2.js";
import { bytes, startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const exec = promisify(execFile);
const python = "/usr/bin/python3";
const example = fileURLToPath(new URL("../../clients/python/quickstart.py", import.meta.url));

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

  const run = async (topic: string, group: string): Promise<Summary> => {
    const { stdout } = await exec(python, [example, t.broker.address, topic, group], {
      timeout: 30_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as Summary;
  };

  it("produces 12 keyed records, consumes and commits them in a group, and a second run resumes at the commit", async () => {
    expect(existsSync(python), "Debian's /usr/bin/python3 with python3-grpcio (run scripts/setup.mjs)").toBe(true);
    const { values, perPartition } = expectedRun();
    const committed = (runs: number) =>
      Object.fromEntries(perPartition.flatMap((n, p) => (n > 0 ? [[String(p), n * runs]] : [])));

    expect(await run("py-orders", "py-group")).toEqual({ topic: "py-orders", group: "py-group", consumed: values, committed: committed(1) });
    expect(await committedOffsets(t, "py-group", "py-orders")).toEqual(committed(1));

    // The topic exists now (ALREADY_EXISTS is ignored) and the group reads only the new records.
    expect(await run("py-orders", "py-group")).toEqual({ topic: "py-orders", group: "py-group", consumed: values, committed: committed(2) });
    expect(await committedOffsets(t, "py-group", "py-orders")).toEqual(committed(2));

    const { topic } = await t.admin.describeTopic({ name: "py-orders" });
    expect(topic?.partitions.map((p) => Number(p.logEndOffset))).toEqual(perPartition.map((n) => n * 2));
    // Cancelling the stream left the group.
    await vi.waitFor(async () => expect((await t.admin.describeGroup({ groupId: "py-group" })).members).toEqual([]));
  });
});
