import { describe, expect, it } from "vitest";
import { compareReplicas, HistoryChecker, type HistoryReport } from "./history-checker.js";

/** Counts of every anomaly, to assert that a history triggers exactly the one it was made for. */
function counts(report: HistoryReport) {
  return {
    lostWrite: report.lostWrite.count,
    duplicate: report.duplicate.count,
    inconsistentOffsets: report.inconsistentOffsets.count,
    nonmonotonicPoll: report.nonmonotonicPoll.count,
    pollSkip: report.pollSkip.count,
  };
}
const none = { lostWrite: 0, duplicate: 0, inconsistentOffsets: 0, nonmonotonicPoll: 0, pollSkip: 0 };

/** Produces `values` to `partition`, acknowledged at consecutive offsets from `from`. */
function ackAll(history: HistoryChecker, partition: number, values: string[], from = 0): void {
  values.forEach((value, i) => history.produce(value, partition).acked(from + i));
}

const records = (...values: Array<string | undefined>) =>
  values.flatMap((value, offset) => (value === undefined ? [] : [{ offset: BigInt(offset), value }]));

describe("HistoryChecker", () => {
  it("finds nothing in a clean history: unknown and failed produces, a reported reset, a hole in the log", () => {
    const history = new HistoryChecker();
    ackAll(history, 0, ["a0", "a1"]);
    history.produce("u", 0).unknown(); // written after all, at offset 3
    history.produce("f", 0).failed(); // not written
    history.produce("p", 0); // still pending at the end: unknown, not written
    history.produce("a3", 0).acked(4);
    for (const [offset, value] of [[0, "a0"], [1, "a1"], [3, "u"], [4, "a3"]] as const) history.read("c1", 0, offset, value);
    history.read("c2", 0, 0, "a0");
    history.read("c2", 0, 1, "a1");
    history.reset("c2", 0); // back to offset 1: reported, so not nonmonotonic
    history.read("c2", 0, 1, "a1");
    history.read("c2", 0, 3, "u"); // offset 2 holds nothing (an aborted batch): no skip
    ackAll(history, 1, ["b0"]);
    history.read("c1", 1, 0, "b0");
    history.finalRead(0, records("a0", "a1", undefined, "u", "a3"));
    history.finalRead(1, records("b0"));

    const report = history.check();
    expect(counts(report)).toEqual(none);
    expect(report.valid).toBe(true);
    expect(report.produces).toEqual({ attempted: 7, acked: 4, failed: 1, unknown: 2, unknownPresent: 1, failedPresent: 0 });
    expect(report.reads).toBe(9);
    expect(report.finalRecords).toBe(5);
    expect(report.uncheckedPartitions).toEqual([]);
  });

  it("counts a lost write: acknowledged, missing from the final read", () => {
    const history = new HistoryChecker();
    ackAll(history, 0, ["a0", "a1", "a2"]);
    history.finalRead(0, records("a0", "a1"));
    const report = history.check();
    expect(counts(report)).toEqual({ ...none, lostWrite: 1 });
    expect(report.lostWrite.examples).toEqual([{ partition: 0, value: "a2", ackedOffset: 2n }]);
    expect(report.valid).toBe(false);
  });

  it("counts a lost write that was never acknowledged but was read by a consumer (a rolled-back read)", () => {
    const history = new HistoryChecker();
    history.produce("a0", 0).unknown();
    history.read("c1", 0, 0, "a0");
    history.finalRead(0, []);
    const report = history.check();
    expect(counts(report)).toEqual({ ...none, lostWrite: 1 });
    expect(report.lostWrite.examples).toEqual([{ partition: 0, value: "a0", readBy: "c1" }]);
  });

  it("counts a duplicate: one value at two offsets", () => {
    const history = new HistoryChecker();
    ackAll(history, 0, ["a0", "a1"]);
    history.finalRead(0, records("a0", "a1", "a1")); // a retried produce written twice
    const report = history.check();
    expect(counts(report)).toEqual({ ...none, duplicate: 1 });
    expect(report.duplicate.examples).toEqual([{ value: "a1", positions: [{ partition: 0, offset: 1n }, { partition: 0, offset: 2n }] }]);
  });

  it("counts inconsistent offsets: one offset read with two values by two consumers", () => {
    const history = new HistoryChecker();
    history.read("c1", 0, 0, "a0");
    history.read("c1", 0, 1, "a1");
    history.read("c2", 0, 0, "a0");
    history.read("c2", 0, 1, "b1"); // served by a diverged replica
    const report = history.check();
    expect(counts(report)).toEqual({ ...none, inconsistentOffsets: 1 });
    expect(report.inconsistentOffsets.examples).toEqual([{ partition: 0, offset: 1n, values: ["a1", "b1"] }]);
    expect(report.uncheckedPartitions).toEqual([0]);
  });

  it("counts a nonmonotonic poll: a consumer going back without a reset", () => {
    const history = new HistoryChecker();
    ackAll(history, 0, ["a0", "a1", "a2"]);
    for (const offset of [0, 1, 2, 1]) history.read("c1", 0, offset, `a${offset}`);
    history.finalRead(0, records("a0", "a1", "a2"));
    const report = history.check();
    expect(counts(report)).toEqual({ ...none, nonmonotonicPoll: 1 });
    expect(report.nonmonotonicPoll.examples).toEqual([{ consumer: "c1", partition: 0, previousOffset: 2n, offset: 1n }]);
  });

  it("counts a poll skip: a consumer jumping over an offset the partition holds", () => {
    const history = new HistoryChecker();
    ackAll(history, 0, ["a0", "a1", "a2", "a3"]);
    for (const offset of [0, 1, 3]) history.read("c1", 0, offset, `a${offset}`);
    history.finalRead(0, records("a0", "a1", "a2", "a3"));
    const report = history.check();
    expect(counts(report)).toEqual({ ...none, pollSkip: 1 });
    expect(report.pollSkip.examples).toEqual([{ consumer: "c1", partition: 0, previousOffset: 1n, offset: 3n, skipped: [2n] }]);
  });

  it("prints a table with a row per anomaly, its count and examples", () => {
    const history = new HistoryChecker();
    ackAll(history, 0, ["a0", "a1"]);
    history.finalRead(0, records("a0"));
    const table = history.formatTable();
    const lines = table.split("\n");
    expect(lines[0]).toMatch(/^anomaly\s+count\s+examples$/);
    expect(lines.find((l) => l.startsWith("lost-write"))).toMatch(/^lost-write\s+1\s+a1@p0 \(acked at 1\)$/);
    for (const name of ["duplicate", "inconsistent-offsets", "nonmonotonic-poll", "poll-skip"]) {
      expect(lines.find((l) => l.startsWith(name))).toMatch(new RegExp(`^${name}\\s+0$`));
    }
    expect(lines.at(-1)).toBe("valid: false");
  });
});

describe("compareReplicas", () => {
  it("accepts replicas identical below the high watermark, whatever they hold above it", () => {
    const replicas = new Map([
      [1, records("a", "b", "c", "x")],
      [2, records("a", "b", "c")],
      [3, records("a", "b", "c", "y", "z")],
    ]);
    expect(compareReplicas(replicas, 3)).toEqual({ identical: true, count: 0, examples: [] });
  });

  it("reports each offset below the high watermark where a replica differs or lacks the record", () => {
    const replicas = new Map([
      [1, records("a", "b", "c")],
      [2, records("a", "B", "c")],
      [3, records("a", "b")],
    ]);
    const comparison = compareReplicas(replicas, 3n);
    expect(comparison.identical).toBe(false);
    expect(comparison.count).toBe(2);
    expect(comparison.examples.map((e) => [e.offset, [...e.values]])).toEqual([
      [1n, [[1, "b"], [2, "B"], [3, "b"]]],
      [2n, [[1, "c"], [2, "c"], [3, undefined]]],
    ]);
  });
});
