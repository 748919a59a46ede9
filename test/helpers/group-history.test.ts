import { describe, expect, it } from "vitest";
import { GroupHistory } from "./group-history.js";

/** A group that read p0 offsets 0..3 as member a#m1, committing 2 after offset 1. */
function history() {
  const h = new GroupHistory();
  const acked = [0, 1, 2, 3].map((o) => [h.checker.produce(`v${o}`, 0), o] as const);
  for (const [attempt, o] of acked) attempt.acked(o);
  h.delivered("a", "m1", 1, 0, 0n, "v0");
  h.delivered("a", "m1", 1, 0, 1n, "v1");
  h.committed(0, 2n);
  h.delivered("a", "m1", 1, 0, 2n, "v2");
  h.delivered("a", "m1", 1, 0, 3n, "v3");
  return h;
}
const finalRead = (h: GroupHistory) => h.finalRead(0, [0, 1, 2, 3].map((o) => ({ offset: BigInt(o), value: `v${o}` })));

describe("GroupHistory", () => {
  it("accepts a redelivery of uncommitted records after the first membership ended", () => {
    const h = history();
    h.member("a", "m2"); // a's stream broke: it rejoined
    h.delivered("b", "m3", 2, 0, 2n, "v2");
    h.delivered("b", "m3", 2, 0, 3n, "v3");
    finalRead(h);
    const report = h.check();
    expect(report.redeliveries).toBe(2);
    expect(report.unexplainedDuplicates.count).toBe(0);
    expect(report.valid).toBe(true);
  });

  it("flags a redelivery while the first membership lives on (a rebalance must cause none)", () => {
    const h = history();
    h.delivered("b", "m3", 2, 0, 3n, "v3");
    finalRead(h);
    expect(h.check().unexplainedDuplicates.count).toBe(1);
  });

  it("flags a redelivery below a commit seen before it", () => {
    const h = history();
    h.member("a", "m2");
    h.delivered("b", "m3", 2, 0, 1n, "v1");
    finalRead(h);
    expect(h.check().unexplainedDuplicates.examples[0]).toMatchObject({ again: { offset: 1n }, committedBefore: 2n });
  });

  it("flags a commit that goes backwards and a record nobody was given", () => {
    const h = history();
    h.committed(0, 1n);
    h.finalRead(0, [0, 1, 2, 3, 4].map((o) => ({ offset: BigInt(o), value: `v${o}` })));
    const report = h.check();
    expect(report.commitRegressions.examples).toEqual([{ partition: 0, from: 2n, to: 1n }]);
    expect(report.unread.examples).toEqual([{ partition: 0, offset: 4n, value: "v4" }]);
    expect(report.valid).toBe(false);
  });

  it("flags a skip within one membership and generation, not across a reassignment", () => {
    const h = new GroupHistory();
    h.delivered("a", "m1", 1, 0, 0n, "v0");
    h.delivered("a", "m1", 1, 0, 2n, "v2");
    h.delivered("a", "m1", 3, 1, 0n, "w0");
    h.delivered("a", "m1", 5, 1, 4n, "w4"); // p1 was b's in generation 4
    expect(h.check().history.pollSkip.count).toBe(0); // no final read, nobody saw offset 1
    h.delivered("b", "m2", 4, 0, 1n, "v1");
    expect(h.check().history.pollSkip.count).toBe(1);
  });
});
