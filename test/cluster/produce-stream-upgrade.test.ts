import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient } from "../../clients/ts/grpc-client.js";
import { Producer, type RecordMetadata } from "../../clients/ts/producer.js";
import { AdminService, type TopicDescription } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { Acks, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { supportedFeatures } from "../../services/cluster/features.js";
import { startCluster, type ClusterBroker, type TestCluster } from "../helpers/cluster.js";
import { createClusterTopic } from "../helpers/cluster-topic.js";
import { compiledMain, repoRoot } from "../helpers/dist-build.js";
import { createVariantBuild } from "../helpers/variant-build.js";

const produceMethod = "tributary.v1.ProduceService/Produce";
const produceStreamMethod = "tributary.v1.ProduceService/ProduceStream";
/** Led by every broker: placement walks the brokers round-robin (services/cluster/controller/placement.ts). */
const partitions = 6;
const waves = 30;
const recordsPerWave = 100;

/**
 * Issue 15 §5, ProduceStream in a rolling upgrade: the TypeScript Producer sends over one
 * ProduceStream per broker and falls back to unary Produce at a broker that answers the
 * stream UNIMPLEMENTED (a build from before the method). Three brokers behind proxies (so a
 * restarted broker keeps the address the producer knows it by): brokers 1 and 2 run
 * today's dist/, broker 3 a copy without ProduceStream (test/helpers/variant-build.ts), the
 * previous release as far as a client can tell. One idempotent producer (acks ALL) sends
 * keyed records over partitions led by both kinds; each broker's rpc counters (/metrics)
 * show which method carried them. Then broker 3 is upgraded in place and the producer,
 * still the same one, goes on.
 */
describe("ProduceStream in a rolling upgrade", () => {
  let cluster: TestCluster;
  let buildsDir: string;
  let previousMain: string;
  let today: string;
  beforeAll(async () => {
    today = (JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
    buildsDir = await mkdtemp(join(tmpdir(), "tributary-builds-"));
    previousMain = await createVariantBuild(join(buildsDir, "previous"), {
      version: `${today}-previous`,
      features: supportedFeatures,
      withoutMethods: [produceStreamMethod],
    });
    cluster = await startCluster({ brokers: 3, proxies: true, http: true, brokerMain: (id) => (id === 3 ? previousMain : undefined) });
  });
  afterAll(async () => {
    await cluster?.stop();
    if (buildsDir !== undefined) await rm(buildsDir, { recursive: true, force: true });
  });

  const describeTopic = async (name: string): Promise<TopicDescription> =>
    (await createClient(AdminService, cluster.bootstrap[0]).describeTopic({ name }, { deadline: 2000 })).topic!;
  const fullIsr = async (names: string[]) => {
    await expect
      .poll(async () => (await Promise.all(names.map(describeTopic))).every((t) => t.partitions.every((p) => p.isr.length === 3 && p.leader > 0)), {
        timeout: 30_000,
        interval: 100,
      })
      .toBe(true);
  };

  /** Sends a wave of keyed records over `topics` and waits for every acknowledgement; adds
   * the values to `sent` (per topic and partition, in send() order), checking that each was
   * acknowledged at the next offset of its partition: nothing before it lost or doubled. */
  const sendWave = async (producer: Producer, topics: string[], sent: Map<string, string[][]>, label: string) => {
    const sends: Array<Promise<RecordMetadata>> = [];
    const values: string[] = [];
    for (let i = 0; i < recordsPerWave; i++) {
      const value = `${label}-${i}`;
      values.push(value);
      sends.push(producer.send({ topic: topics[i % topics.length], key: `key-${i % 97}`, value }));
    }
    const acks = await Promise.all(sends);
    acks.forEach((ack, i) => {
      const perPartition = sent.get(ack.topic)!;
      expect(ack.offset, `${values[i]} on ${ack.topic}/${ack.partition}`).toBe(BigInt(perPartition[ack.partition].length));
      perPartition[ack.partition].push(values[i]);
    });
  };
  const sendWaves = async (producer: Producer, topics: string[], sent: Map<string, string[][]>, label: string) => {
    for (let wave = 0; wave < waves; wave++) await sendWave(producer, topics, sent, `${label}-${wave}`);
  };

  /** Every record of the partition from offset 0, read from its leader. */
  const readPartition = async (topic: string, partition: number): Promise<string[]> => {
    const leader = (await describeTopic(topic)).partitions[partition].leader;
    const fetch = createClient(FetchService, cluster.broker(leader).address);
    const values: string[] = [];
    let offset = 0n;
    for (;;) {
      // Retried: the channel to a restarted broker's address may still be reconnecting.
      const answer = await vi.waitFor(() => fetch.fetch({ topic, partition, offset, maxWaitMs: 0 }, { deadline: 5_000 }), { timeout: 10_000, interval: 100 });
      for (const r of answer.records) {
        expect(r.offset).toBe(offset);
        values.push(Buffer.from(r.value).toString("utf8"));
        offset++;
      }
      if (offset >= answer.highWatermark) return values;
    }
  };

  const expectExactly = async (topic: string, sent: string[][]) => {
    for (let partition = 0; partition < partitions; partition++) {
      expect(await readPartition(topic, partition), `${topic}/${partition}`).toEqual(sent[partition]);
    }
  };

  it("sends over ProduceStream to today's brokers and unary Produce to the previous build, and over the stream once that broker is upgraded", async () => {
    const [, , previous] = cluster.brokers;
    // The premise: the previous build answers ProduceStream UNIMPLEMENTED, before any answer.
    const probe = createClient(ProduceService, previous.address).produceStream();
    const probed = new Promise<ServiceError | null>((resolve) => probe.onStatus(resolve));
    probe.write({ topic: "absent", records: [{ value: new Uint8Array([1]) }] });
    probe.end();
    expect((await probed)?.code).toBe(status.UNIMPLEMENTED);

    const before = "before-upgrade";
    await createClusterTopic(cluster, before, partitions, 2);
    const leaders = new Set((await describeTopic(before)).partitions.map((p) => p.leader));
    expect([...leaders].sort()).toEqual([1, 2, 3]);

    const sent = new Map<string, string[][]>([[before, Array.from({ length: partitions }, () => [])]]);
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: Acks.ALL, lingerMs: 1, deliveryTimeoutMs: 60_000 });
    try {
      await sendWaves(producer, [before], sent, "a");
      await expectExactly(before, sent.get(before)!);

      // Which method carried the records: today's brokers only the stream, the previous build only Produce.
      const counts = await Promise.all(cluster.brokers.map(rpcCounts));
      const figures = (byMethod: Map<string, Map<string, number>>) =>
        `Produce ${JSON.stringify(Object.fromEntries(byMethod.get(produceMethod) ?? []))}, ProduceStream ${JSON.stringify(Object.fromEntries(byMethod.get(produceStreamMethod) ?? []))}`;
      console.log(cluster.brokers.map((b, i) => `broker ${b.id} (${b === previous ? "previous build" : "today"}): ${figures(counts[i])}`).join("\n"));
      for (const [i, broker] of cluster.brokers.entries()) {
        const byMethod = counts[i];
        if (broker === previous) {
          expect(byMethod.get(produceMethod)?.get("OK") ?? 0, `broker ${broker.id} Produce`).toBeGreaterThan(0);
          expect(byMethod.get(produceStreamMethod), `broker ${broker.id} ProduceStream`).toBeUndefined();
        } else {
          expect(byMethod.get(produceStreamMethod)?.get("OK") ?? 0, `broker ${broker.id} ProduceStream`).toBeGreaterThan(0);
          expect(byMethod.get(produceMethod), `broker ${broker.id} Produce`).toBeUndefined();
        }
      }

      // The upgrade: SIGTERM (a controlled shutdown moves its leaderships), then today's build
      // on the same data dir and, behind its proxy, the same address. The producer goes on
      // sending meanwhile (its requests to the leaving broker are retried at the new leaders).
      let upgrading = true;
      let duringWaves = 0;
      const during = (async () => {
        while (upgrading) await sendWave(producer, [before], sent, `during-${duringWaves++}`);
      })();
      during.catch(() => undefined); // awaited below
      try {
        expect(await previous.process.stop(40_000)).toBe(0);
        await previous.start({ main: compiledMain });
        await fullIsr([before]);
      } finally {
        upgrading = false;
        await during;
      }
      expect(duringWaves).toBeGreaterThan(0);
      // Asked again while a channel to its address still reconnects (UNAVAILABLE at once).
      const versionOf = async (id: number) =>
        (await createClient(AdminService, previous.address).describeCluster({}, { deadline: 2000 })).brokers.find((b) => b.id === id)?.version;
      await expect.poll(() => versionOf(previous.id), { timeout: 10_000, interval: 100 }).toBe(today);

      // It leads nothing of the first topic now; a new topic gives it leaderships again.
      const after = "after-upgrade";
      await createClusterTopic(cluster, after, partitions, 2);
      expect(new Set((await describeTopic(after)).partitions.map((p) => p.leader)).has(previous.id)).toBe(true);
      sent.set(after, Array.from({ length: partitions }, () => []));
      await sendWaves(producer, [before, after], sent, "b");
      await expectExactly(before, sent.get(before)!);
      await expectExactly(after, sent.get(after)!);

      // The upgraded broker (a new process: its counters start at zero) was sent to over the stream.
      const upgraded = await rpcCounts(previous);
      const records = [...sent.values()].flat(2).length;
      console.log(`upgraded broker ${previous.id}: ${figures(upgraded)}; ${duringWaves} waves during the upgrade; ${records} records acknowledged and read back`);
      expect(upgraded.get(produceStreamMethod)?.get("OK") ?? 0, "upgraded broker ProduceStream").toBeGreaterThan(0);
      expect(upgraded.get(produceMethod), "upgraded broker Produce").toBeUndefined();
    } finally {
      await producer.close();
    }
  });
});

/** tributary_rpc_requests_total of a broker's /metrics: method -> code -> calls. */
async function rpcCounts(broker: ClusterBroker): Promise<Map<string, Map<string, number>>> {
  const response = await fetch(`http://127.0.0.1:${broker.process.httpPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
  expect(response.status).toBe(200);
  const counts = new Map<string, Map<string, number>>();
  for (const line of (await response.text()).split("\n")) {
    const match = /^tributary_rpc_requests_total\{(.*)\}\s+(\S+)$/.exec(line);
    if (match === null) continue;
    const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    if (!counts.has(labels.method)) counts.set(labels.method, new Map());
    counts.get(labels.method)!.set(labels.code, Number(match[2]));
  }
  return counts;
}
