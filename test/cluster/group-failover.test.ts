import { InterceptingCall, type Interceptor } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Acks, Consumer, Producer, createClient } from "../../clients/ts/index.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { CommitService } from "../../gen/ts/tributary/v1/commit_pb.js";
import { startCluster, type TestCluster } from "../helpers/cluster.js";
import { createClusterTopic } from "../helpers/cluster-topic.js";
import { formatGroupReport, GroupHistory } from "../helpers/group-history.js";

const topic = "events";
const partitions = 12;
const groupId = "failover";
const offsetsTopic = "__consumer_offsets";
/** Bounds the producer: the faults end long before on a healthy run. */
const maxValues = 30_000;
const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");

/**
 * Issue 17's proof for consumer groups: three TypeScript consumers in one group read a
 * topic of 12 partitions (RF 3, minInsyncReplicas 2) while an acks=ALL producer writes
 * distinct values, and the coordinator's broker and partition leaders are killed (-9)
 * and restarted in turn. Judged by GroupHistory (test/helpers/group-history.ts): no
 * record skipped, committed offsets (polled at the coordinator) never going backwards,
 * a duplicate only of a record not yet committed and first given to a membership that
 * ended (here: the coordinator's failover ends every membership; a rebalance causes
 * none), and in the end three disjoint, balanced assignments covering the 12 partitions.
 */
describe("a consumer group across coordinator and leader failovers", () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    // Proxies keep each broker's address across restarts, as a real deployment's names do.
    cluster = await startCluster({ brokers: 3, proxies: true, config: { offsetsTopicReplicationFactor: 3, rebalanceTimeoutMs: 5_000 } });
    await createClusterTopic(cluster, topic, partitions, 2);
  });
  afterAll(async () => {
    for (const client of clients.values()) client.close();
    await cluster?.stop();
  });

  const live = () => cluster.brokers.filter((b) => !b.process.exited);
  // One client per service and address (a restarted broker has a new port), closed after the test.
  const clients = new Map<string, { close(): void }>();
  const cached = <C extends { close(): void }>(key: string, make: () => C): C => {
    if (!clients.has(key)) clients.set(key, make());
    return clients.get(key) as C;
  };
  const admin = (address: string) => cached(`admin ${address}`, () => createClient(AdminService, address));
  const commits = (address: string) => cached(`commit ${address}`, () => createClient(CommitService, address));

  /** The coordinator as the first live broker that answers names it. */
  const findCoordinator = async () => {
    let last: unknown;
    for (const b of live()) {
      try {
        return await admin(b.address).findCoordinator({ groupId }, { deadline: 1_000 });
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };

  /** Every partition of `name` led by a live broker with all three replicas in sync. */
  const fullyReplicated = async (name: string, askNot?: number) => {
    // Asked of a broker other than the last victim, which may still be catching up on metadata.
    const asked = live().find((b) => b.id !== askNot) ?? live()[0];
    const t = (await admin(asked.address).describeTopic({ name }, { deadline: 1_000 })).topic!;
    const lagging = t.partitions.filter((p) => p.leader < 0 || p.isr.length < 3);
    if (lagging.length > 0) throw new Error(`${name}: ${lagging.length} partitions not fully replicated`);
    return t;
  };

  it("skips nothing, never moves a commit back, duplicates only uncommitted records of ended memberships, and ends balanced", async () => {
    const history = new GroupHistory();
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: Acks.ALL, lingerMs: 2, deliveryTimeoutMs: 60_000 });
    let producing = true;
    let sent = 0;
    // One writer per partition, one record in flight each: every outcome recorded.
    const writers = Array.from({ length: partitions }, async (_, partition) => {
      while (producing && sent < maxValues) {
        const value = `v${sent++}`;
        const attempt = history.checker.produce(value, partition);
        await producer.send({ topic, partition, value }).then(
          (meta) => attempt.acked(meta.offset),
          () => attempt.unknown(),
        );
      }
    });

    // Three members, each recording what it was given under which membership.
    const names = ["a", "b", "c"];
    const consumers = names.map(
      (name) =>
        new Consumer({ bootstrap: cluster.bootstrap, groupId, topics: [topic], from: "earliest", autoCommitIntervalMs: 100, reconnectBackoffMs: 50 }),
    );
    /** partition -> the highest value index given to any member */
    const newest = new Map<number, number>();
    const members = consumers.map(async (consumer, i) => {
      for await (const r of consumer) {
        const value = text(r.value);
        history.delivered(names[i], consumer.memberId, consumer.generation, r.partition, r.offset, value);
        newest.set(r.partition, Math.max(newest.get(r.partition) ?? -1, Number(value.slice(1))));
      }
    });

    // The group's commits, read at its coordinator every 100 ms (one read at a time).
    let polling: Promise<void> | undefined;
    const pollCommits = async () => {
      try {
        const { address } = await findCoordinator();
        const { offsets } = await commits(address).fetchCommitted({ groupId, topic }, { deadline: 1_000 });
        for (const o of offsets) history.committed(o.partition, o.offset);
      } catch {
        // A failover in progress: the next round asks again.
      }
    };
    const poller = setInterval(() => {
      polling ??= pollCommits().finally(() => (polling = undefined));
    }, 100);

    const balanced = () => {
      const owned = consumers.map((c) => c.assignment.map((p) => p.partition));
      const all = owned.flat();
      expect(owned.map((o) => o.length)).toEqual([4, 4, 4]);
      expect(new Set(all).size).toBe(partitions);
    };
    /** The group reads, on every partition, values sent after this call. */
    const progress = async () => {
      const mark = sent;
      await vi.waitFor(
        () => {
          const behind = Array.from({ length: partitions }, (_, p) => p).filter((p) => (newest.get(p) ?? -1) < mark);
          if (behind.length > 0) {
            const members = consumers.map((c) => `${c.memberId.slice(-6)}/${c.generation}/[${c.assignment.map((p) => p.partition)}]`);
            throw new Error(`partitions ${behind.join(",")} have read nothing sent after v${mark} (sent ${sent}, ${JSON.stringify(history.checker.check().produces)}, ${history.check().deliveries} deliveries; members ${members.join(" ")})`);
          }
        },
        { timeout: 30_000, interval: 50 },
      );
    };

    const faults: string[] = [];
    try {
      await vi.waitFor(balanced, { timeout: 30_000, interval: 50 });
      await progress();
      // The coordinator, a partition leader, the new coordinator: each killed (-9), then
      // restarted and back in sync before the next.
      for (const fault of ["kill coordinator", "kill leader", "kill coordinator"] as const) {
        const coordinator = (await vi.waitFor(findCoordinator, { timeout: 20_000, interval: 100 })).brokerId;
        let id = coordinator;
        if (fault === "kill leader") {
          // The broker other than the coordinator that leads the most partitions of the topic.
          const t = await vi.waitFor(() => fullyReplicated(topic), { timeout: 20_000, interval: 100 });
          const led = (b: number) => t.partitions.filter((p) => p.leader === b).length;
          id = live().map((b) => b.id).filter((b) => b !== coordinator).sort((x, y) => led(y) - led(x))[0];
        }
        const victim = cluster.broker(id);
        const startedAtMs = Date.now();
        victim.process.kill("SIGKILL");
        await progress(); // the group reads on without it
        const readOnMs = Date.now() - startedAtMs;
        await victim.start();
        for (const name of [topic, offsetsTopic]) await vi.waitFor(() => fullyReplicated(name, id), { timeout: 30_000, interval: 100 });
        await progress();
        faults.push(`${fault} ${id} (read on after ${readOnMs} ms, back in sync after ${Date.now() - startedAtMs} ms)`);
      }
      producing = false;
      await Promise.all(writers);

      // What every partition holds, read from offset 0 through its high watermark.
      const described = await vi.waitFor(() => fullyReplicated(topic), { timeout: 20_000, interval: 100 });
      const reader = new Consumer({ bootstrap: cluster.bootstrap, topic, from: "earliest" });
      const finals = new Map<number, Array<{ offset: bigint; value: string }>>(described.partitions.map((p) => [p.partition, []]));
      const remaining = () => described.partitions.filter((p) => BigInt(finals.get(p.partition)!.length) < p.highWatermark).length;
      if (remaining() > 0) {
        for await (const r of reader) {
          finals.get(r.partition)!.push({ offset: r.offset, value: text(r.value) });
          if (remaining() === 0) break;
        }
      }
      await reader.close();
      for (const [partition, records] of finals) history.finalRead(partition, records);

      // Every record reaches the group, which ends balanced.
      await vi.waitFor(() => expect(history.unread().length).toBe(0), { timeout: 30_000, interval: 100 });
      await vi.waitFor(balanced, { timeout: 30_000, interval: 50 });
      for (const [i, c] of consumers.entries()) history.member(names[i], c.memberId);
    } finally {
      producing = false;
      await Promise.all(writers);
      await Promise.all(consumers.map((c) => c.close()));
      await Promise.all(members);
      clearInterval(poller);
      await polling;
      await producer.close();
    }

    const report = history.check();
    const message = `faults: ${faults.join(", ")}\n${formatGroupReport(report)}`;
    console.info(`group failover: ${report.history.produces.acked} acked values, ${faults.length} faults (${faults.join(", ")}), ${report.deliveries} deliveries, ${report.redeliveries} redelivered, ${report.memberships} memberships, ${report.commitsSeen} commits seen`);
    expect(report.unread.count, message).toBe(0);
    expect(report.commitRegressions.count, message).toBe(0);
    expect(report.unexplainedDuplicates.count, message).toBe(0);
    expect(report.history.valid, message).toBe(true);
    expect(report.history.produces.acked).toBeGreaterThan(0);
  });

  it("rejoins at the new coordinator when its coordinator is cut off from etcd and ends the member's stream", async () => {
    const group = "cut-off";
    // The reasons the member's Subscribe streams ended with, as the client saw them.
    const ends: string[] = [];
    const interceptor: Interceptor = (options, nextCall) =>
      new InterceptingCall(nextCall(options), {
        start(metadata, listener, next) {
          next(metadata, {
            onReceiveStatus(status, nextStatus) {
              if (options.method_definition.path.endsWith("/Subscribe")) ends.push(String(status.metadata.get("tributary-reason")[0] ?? status.code));
              nextStatus(status);
            },
          });
        },
      });
    const consumer = new Consumer({
      bootstrap: cluster.bootstrap,
      groupId: group,
      topics: [topic],
      from: "latest",
      autoCommitIntervalMs: 100,
      reconnectBackoffMs: 50,
      channelOptions: { interceptors: [interceptor] } as never,
    });
    const producer = new Producer({ bootstrap: cluster.bootstrap, acks: Acks.ALL, deliveryTimeoutMs: 60_000 });
    const seen: string[] = [];
    const loop = (async () => {
      for await (const r of consumer) seen.push(text(r.value));
    })();
    /** FindCoordinator at the first live broker but `except` (a broker cut off from etcd names itself). */
    const find = async (except?: number) => {
      for (const b of live().filter((b) => b.id !== except)) {
        const answer = await admin(b.address).findCoordinator({ groupId: group }, { deadline: 1_000 }).catch(() => undefined);
        if (answer !== undefined) return answer;
      }
      throw new Error("no broker named the coordinator");
    };
    const readsAfter = async (value: string) => {
      await producer.send({ topic, partition: 0, value });
      await vi.waitFor(() => expect(seen).toContain(value), { timeout: 30_000, interval: 50 });
    };
    try {
      await vi.waitFor(() => expect(consumer.assignment.length).toBe(partitions), { timeout: 30_000, interval: 50 });
      await readsAfter("before-cut");
      const first = { memberId: consumer.memberId, coordinator: (await find()).brokerId };
      const cut = cluster.broker(first.coordinator);
      cut.etcdProxy!.setMode("drop");
      try {
        // Its lease lapses: it ends the member's stream (NOT_COORDINATOR), and the member
        // finds the new coordinator and rejoins there.
        await vi.waitFor(() => expect(consumer.memberId, `stream ends: ${ends.join(",")}`).not.toBe(first.memberId), { timeout: 30_000, interval: 50 });
        expect(ends).toContain("NOT_COORDINATOR");
        expect((await find(first.coordinator)).brokerId).not.toBe(first.coordinator);
        await vi.waitFor(() => expect(consumer.assignment.length).toBe(partitions), { timeout: 30_000, interval: 50 });
      } finally {
        cut.etcdProxy!.setMode("pass");
      }
      await readsAfter("after-cut");
    } finally {
      await consumer.close();
      await loop;
      await producer.close();
    }
  });
});
