import { describe, expect, it } from "vitest";
import { runTorture } from "../../scripts/torture.js";

describe("crash torture (bounded)", () => {
  it("keeps every acknowledged record and commit across 3 random kill -9 cycles (fsync always and interval)", async () => {
    const result = await runTorture({ cycles: 3, seconds: 30, seed: 20261124, maxKillMs: 800 });
    expect(result.cyclesRun).toBe(3);
    for (const topic of result.topics) {
      expect(topic.acked, topic.topic).toBeGreaterThan(0);
      expect(topic.stored).toBeGreaterThanOrEqual(topic.acked);
    }
    expect(result.recordsVerified).toBe(result.topics.reduce((n, t) => n + t.acked, 0));
    expect(result.commitsAcked).toBeGreaterThan(0);
    expect(result.offsetChecks).toBeGreaterThan(0);
  }, 90_000);
});
