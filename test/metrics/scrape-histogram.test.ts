import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { ScrapeHistogram } from "../../services/metrics/index.js";

describe("ScrapeHistogram", () => {
  it("exposes the same samples as prom-client's Histogram for random observations", async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new ScrapeHistogram("h_seconds", "help", "method", buckets, ours);
    const reference = new Histogram({ name: "h_seconds", help: "help", labelNames: ["method"], buckets, registers: [theirs] });
    for (let i = 0; i < 1000; i++) {
      const method = `m${i % 3}`;
      // Exact bucket bounds too: `le` is inclusive.
      const value = i % 10 === 0 ? buckets[i % buckets.length] : Math.random() * 2;
      histogram.observe(method, value);
      reference.observe({ method }, value);
    }
    const lines = (text: string) => text.split("\n").filter((l) => l !== "").sort();
    expect(lines(await ours.metrics())).toEqual(lines(await theirs.metrics()));
  });
});
