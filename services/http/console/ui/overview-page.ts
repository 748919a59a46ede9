/// <reference lib="dom" />
import { api, type Overview, type Topic } from "./api.js";
import { lineChart } from "./chart.js";
import { fill, formatBytes, formatRate, h, table } from "./dom.js";
import { act, chartCapacity, field, push, type PageContext } from "./page.js";

interface Sample {
  readonly atMs: number;
  readonly produced: Map<string, bigint>;
  readonly consumed: Map<string, bigint>;
}

const sum = (values: Iterable<bigint>) => [...values].reduce((a, b) => a + b, 0n);
const endOffsets = (t: Topic) => sum(t.partitions.map((p) => BigInt(p.logEndOffset)));
const records = (t: Topic) => sum(t.partitions.map((p) => BigInt(p.logEndOffset) - BigInt(p.logStartOffset)));

/** Broker info, topics with live rates, throughput charts, and the create-topic form. */
export function overviewPage(ctx: PageContext): void {
  const broker = h("div", { class: "card", "data-testid": "broker" });
  const charts = h("div", { class: "card", "data-testid": "throughput" });
  const topics = h("div", { "data-testid": "topics" });
  const name = h("input", { name: "name", placeholder: "orders", required: true, pattern: "[A-Za-z0-9._-]+" });
  const partitions = h("input", { name: "partitions", type: "number", min: 1, value: 1, required: true });
  const form = h(
    "form",
    {
      class: "inline",
      "data-testid": "create-topic",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const created = await act(ctx, () => api("POST", "topics", { name: name.value, partitions: Number(partitions.value) }), `created topic ${name.value}`);
        if (created) name.value = "";
      },
    },
    field("Name", name),
    field("Partitions", partitions),
    h("button", { type: "submit" }, "Create topic"),
  );
  ctx.root.append(
    h("h1", {}, "Overview"),
    broker,
    h("h2", {}, "Throughput"),
    charts,
    h("h2", {}, "Topics"),
    topics,
    h("h2", {}, "Create a topic"),
    h("div", { class: "card" }, form),
  );

  const inHistory: number[] = [];
  const outHistory: number[] = [];
  let previous: Sample | undefined;
  ctx.poll(async () => {
    const overview = await api<Overview>("GET", "overview");
    const sample: Sample = { atMs: performance.now(), produced: new Map(), consumed: new Map() };
    for (const t of overview.topics) sample.produced.set(t.name, endOffsets(t));
    for (const g of overview.groups) {
      for (const [topic, committed] of Object.entries(g.committed)) {
        sample.consumed.set(topic, (sample.consumed.get(topic) ?? 0n) + BigInt(committed));
      }
    }
    const rate = (now: Map<string, bigint>, before: Map<string, bigint> | undefined, topic: string) => {
      if (!previous || !before) return 0;
      const delta = Number((now.get(topic) ?? 0n) - (before.get(topic) ?? now.get(topic) ?? 0n));
      // Offsets only grow; a reset or a deleted group moves them back: no negative rates.
      return Math.max(0, delta) / ((sample.atMs - previous.atMs) / 1000);
    };
    const rates = overview.topics.map((t) => ({
      in: rate(sample.produced, previous?.produced, t.name),
      out: rate(sample.consumed, previous?.consumed, t.name),
    }));
    if (previous) {
      push(inHistory, rates.reduce((a, r) => a + r.in, 0));
      push(outHistory, rates.reduce((a, r) => a + r.out, 0));
    }
    previous = sample;

    const c = overview.cluster;
    fill(
      broker,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Cluster"),
        h("dd", {}, c.clusterId),
        ...c.brokers.flatMap((b) => [h("dt", {}, `Broker ${b.id}`), h("dd", {}, `${b.host}:${b.port} · version ${b.version}`)]),
        h("dt", {}, "Topics"),
        h("dd", {}, overview.topics.length),
        h("dt", {}, "Groups"),
        h("dd", {}, overview.groups.length),
      ),
    );
    fill(
      charts,
      lineChart(
        [
          { label: "records/s in", color: "#2563eb", values: inHistory },
          { label: "records/s out", color: "#16a34a", values: outHistory },
        ],
        chartCapacity,
        formatRate,
      ),
    );
    fill(
      topics,
      table(
        ["Topic", "Partitions", "Records", "Size", "In (records/s)", "Out (records/s)"],
        overview.topics.map((t, i) => [
          h("a", { href: `#/topics/${encodeURIComponent(t.name)}` }, t.name),
          t.partitions.length,
          records(t).toString(),
          formatBytes(sum(t.partitions.map((p) => BigInt(p.sizeBytes)))),
          h("span", { "data-testid": `rate-in-${t.name}` }, formatRate(rates[i].in)),
          h("span", { "data-testid": `rate-out-${t.name}` }, formatRate(rates[i].out)),
        ]),
        { "data-testid": "topics-table" },
      ),
    );
  });
}
