import { expect, vi } from "vitest";
import { partitionForKey } from "../../services/partitioner/index.js";
import { bytes, type TestBroker } from "./test-broker.js";

/** The JSON line each clients/<lang> example prints. */
export interface ExampleSummary {
  topic: string;
  group: string;
  consumed: string[];
  committed: Record<string, number>;
}

/** Runs the example once against the broker for a topic and group; resolves with its output line. */
export type ExampleRun = (topic: string, group: string) => Promise<ExampleSummary>;

/** Parses the example's last stdout line. */
export function parseSummary(stdout: string): ExampleSummary {
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as ExampleSummary;
}

/** Commits as seen by the broker, `{partition: offset}`. */
async function committedOffsets(t: TestBroker, group: string, topic: string) {
  const { offsets } = await t.commit.fetchCommitted({ groupId: group, topic });
  return Object.fromEntries(offsets.map((o) => [String(o.partition), Number(o.offset)]));
}

/**
 * What every example must do, checked from both sides: run it twice on one
 * topic. Each run produces 12 keyed records (key-N -> value-N) over 3
 * partitions, consumes exactly the 12 new ones as a group member and commits
 * them; the second run finds the topic (ALREADY_EXISTS ignored) and resumes at
 * the first run's commit. The broker must hold the commits and records, and the
 * group must end without members (cancelling the stream left it).
 */
export async function checkExample(t: TestBroker, run: ExampleRun, topic: string, group: string): Promise<void> {
  const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
  const perPartition = [0, 0, 0];
  for (const key of keys) perPartition[partitionForKey(bytes(key), 3)] += 1;
  const values = keys.map((k) => k.replace("key", "value")).sort();
  const committed = (runs: number) => Object.fromEntries(perPartition.flatMap((n, p) => (n > 0 ? [[String(p), n * runs]] : [])));

  for (const runs of [1, 2]) {
    expect(await run(topic, group)).toEqual({ topic, group, consumed: values, committed: committed(runs) });
    expect(await committedOffsets(t, group, topic)).toEqual(committed(runs));
  }
  const described = await t.admin.describeTopic({ name: topic });
  expect(described.topic?.partitions.map((p) => Number(p.logEndOffset))).toEqual(perPartition.map((n) => n * 2));
  await vi.waitFor(async () => expect((await t.admin.describeGroup({ groupId: group })).members).toEqual([]));
}
