import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, errorReason } from "../../clients/ts/grpc-client.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { Acks, ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { createClusterTopic } from "../helpers/cluster-topic.js";
import { readReplicaFiles } from "../helpers/replica-files.js";

const topic = "fenced";

/**
 * CLUSTER.md sections 2 and 4: a leader paused (SIGSTOP) past its lease wakes up with
 * produce requests waiting in its sockets. By then another broker leads in a new
 * epoch; the old leader must not acknowledge any of them, whatever the acks (its
 * gate looks at the lease synchronously before appending and again before
 * answering). Afterwards it follows the new leader and its log is cut back to the
 * new leader's: every replica identical.
 */
describe("a paused leader", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3 });
    await createClusterTopic(cluster, topic, 1);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** DescribeTopic through the first broker that answers within a second (a paused one must not hold the test up). */
  const describeTopic = async (except?: number) => {
    for (const broker of cluster.brokers) {
      if (broker.id === except) continue;
      try {
        return (await createClient(AdminService, broker.address).describeTopic({ name: topic }, { deadline: 1000 })).topic!;
      } catch {
        continue;
      }
    }
    throw new Error("no broker answered DescribeTopic");
  };

  it("cannot acknowledge a write after the new epoch began, and is truncated to the new leader's log", async () => {
    const before = (await describeTopic()).partitions[0];
    const old = before.leader;
    const toOld = createClient(ProduceService, cluster.broker(old).address);
    const value = (text: string) => ({ value: Buffer.from(text) });
    // Connected and warm before the pause, so the requests below reach its socket.
    await toOld.produce({ topic, partition: 0, records: [value("before-0"), value("before-1")], acks: Acks.ALL });
    // A Subscribe reading the partition at its leader: it must end with NOT_LEADER once
    // that broker no longer leads, so that its client goes to the new leader.
    const stream = createClient(FetchService, cluster.broker(old).address).subscribe({ topic, partitions: [0], startPosition: { case: "earliest", value: true } });
    let records = 0;
    const streamEnd = (async () => {
      try {
        for await (const message of stream) if (message.event.case === "records") records += message.event.value.records.length;
        return { records, reason: "ended without an error" };
      } catch (err) {
        return { records, reason: errorReason(err) };
      }
    })();
    await expect.poll(() => records, { timeout: 10_000, interval: 20 }).toBe(2);

    cluster.broker(old).process.pause();
    const attempts = Array.from({ length: 8 }, (_, i) => {
      const acks = i % 2 === 0 ? Acks.ALL : Acks.LEADER;
      const text = `stale-${i}-${acks === Acks.ALL ? "all" : "leader"}`;
      return toOld.produce({ topic, partition: 0, records: [value(text)], acks }, { deadline: 15_000 }).then(
        (answer) => ({ text, outcome: "acknowledged" as const, offset: answer.results[0]?.baseOffset }),
        (err: unknown) => ({ text, outcome: "failed" as const, reason: errorReason(err) ?? String((err as Error).message) }),
      );
    });

    // Another broker leads in a new epoch; it takes writes there.
    await expect
      .poll(async () => (await describeTopic(old)).partitions[0].leader, { timeout: 15_000, interval: 100 })
      .not.toBe(old);
    const after = (await describeTopic(old)).partitions[0];
    expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    const toNew = createClient(ProduceService, cluster.broker(after.leader).address);
    await toNew.produce({ topic, partition: 0, records: [value("new-0"), value("new-1"), value("new-2")], acks: Acks.ALL });

    cluster.broker(old).process.resume();
    expect(await streamEnd).toEqual({ records: 2, reason: "NOT_LEADER" });
    const outcomes = await Promise.all(attempts);
    expect(outcomes.filter((o) => o.outcome === "acknowledged")).toEqual([]);
    // Refused as not the leader (or fenced), not merely timed out.
    for (const o of outcomes) {
      expect(o.outcome).toBe("failed");
      expect(["NOT_LEADER", "FENCED_LEADER_EPOCH", "NOT_ENOUGH_REPLICAS", "PARTITION_OFFLINE"]).toContain((o as { reason: string }).reason);
    }

    // Healed: the old leader is back in the ISR, every replica at the same log end.
    await expect
      .poll(
        async () => {
          const p = (await describeTopic()).partitions[0];
          return p.isr.length === 3 && p.logEndOffset === p.highWatermark;
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe(true);
    const leader = (await describeTopic()).partitions[0].leader;
    const fetched = await createClient(FetchService, cluster.broker(leader).address).fetch({ topic, partition: 0, offset: 0n });
    const served = fetched.records.map((r) => ({ offset: r.offset, value: Buffer.from(r.value ?? new Uint8Array()).toString() }));
    expect(served.map((r) => r.value)).toEqual(["before-0", "before-1", "new-0", "new-1", "new-2"]);

    await Promise.all(cluster.brokers.map((b) => b.process.stop()));
    for (const broker of cluster.brokers) {
      const files = await readReplicaFiles(join(cluster.dir, `broker-${broker.id}`), topic, 0);
      expect({ broker: broker.id, records: files.records }).toEqual({ broker: broker.id, records: served });
    }
  });
});
