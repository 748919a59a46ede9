import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { grpcurl, matches, messages, readmeAddress, stepsUnder } from "../helpers/readme-steps.js";

describe("the README's cluster section, run with the real grpcurl v1.8.5", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    accessSync(grpcurl, constants.X_OK); // missing: `node scripts/setup.mjs` builds it
    cluster = await startCluster({ brokers: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("every command works against a three-broker cluster and prints what the README shows", async () => {
    const steps = stepsUnder("## A three-broker cluster on your laptop");
    expect(steps.map((s) => s.args.at(-1)!.split("/")[1])).toEqual(["CreateTopic", "DescribeCluster", "DescribeTopic"]);
    for (const step of steps) {
      const args = step.args.map((arg) => (arg === readmeAddress ? cluster.bootstrap[0] : arg));
      const { stdout } = await promisify(execFile)(grpcurl, args, { timeout: 20_000 });
      const printed = messages(stdout);
      if (step.expected.length > 0) expect(matches(printed, step.expected), `${step.line}\nprinted: ${JSON.stringify(printed)}`).toBe(true);
      if (step.args.at(-1)!.endsWith("/DescribeTopic")) {
        const topic = (printed[0] as { topic: { partitions: Array<{ replicas: number[]; isr: number[] }> } }).topic;
        expect(topic.partitions).toHaveLength(3);
        for (const p of topic.partitions) expect(p.isr.sort()).toEqual([...p.replicas].sort());
      }
    }
  });
});
