import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partitionForKey } from "../../services/partitioner/index.js";
import { bytes, startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const python = "/usr/bin/python3";
const script = fileURLToPath(new URL("./python/reflection_client.py", import.meta.url));

interface Report {
  services: string[];
  files: string[];
  admin_comment: string;
  produced: Array<{ partition: number; baseOffset: number; count: number; indexes: number[] }>;
  fetched: Record<string, Array<[number, string, string]>>;
  streamed: string[];
  described: Array<[number, number]>;
}

/**
 * A client that is not ours: Debian's python3-grpcio with no generated code,
 * learning the API through server reflection alone. `scripts/setup.mjs`
 * installs the packages; under CI a missing interpreter or module fails here.
 */
describe("a Python grpcio client using only server reflection", () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(async () => {
    await t.close();
  });

  it("lists and describes the services, creates a topic, produces, fetches and subscribes", async () => {
    expect(existsSync(python), "python3 from Debian (run scripts/setup.mjs)").toBe(true);
    const { stdout } = await promisify(execFile)(python, [script, t.broker.address, "py-topic"], { timeout: 60_000 });
    const report = JSON.parse(stdout) as Report;

    expect(report.services).toEqual(
      expect.arrayContaining([
        "grpc.health.v1.Health",
        "tributary.v1.AdminService",
        "tributary.v1.CommitService",
        "tributary.v1.FetchService",
        "tributary.v1.ProduceService",
      ]),
    );
    expect(report.files).toEqual(expect.arrayContaining(["tributary/v1/admin.proto", "tributary/v1/record.proto"]));
    expect(report.admin_comment).toContain("Topics, offsets, groups and the cluster");

    const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
    for (const result of report.produced) {
      const expectedKeys = result.indexes.map((i) => keys[i]);
      for (const key of expectedKeys) expect(partitionForKey(bytes(key), 3)).toBe(result.partition);
      expect(report.fetched[String(result.partition)].map(([, key]) => key)).toEqual(expectedKeys);
      expect(report.fetched[String(result.partition)].map(([offset]) => offset)).toEqual(expectedKeys.map((_, i) => i));
    }
    expect(report.streamed).toEqual(keys.map((k) => k.replace("key", "value")).sort());
    expect(report.described.reduce((sum, [, end]) => sum + end, 0)).toBe(12);
  }, 90_000);
});
