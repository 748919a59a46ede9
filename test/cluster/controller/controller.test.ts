import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ClusterKeys } from "../../../services/cluster/cluster-keys.js";
import { Controller } from "../../../services/cluster/controller/controller.js";
import { decide } from "../../../services/cluster/controller/decide.js";
import { writePartitionStates } from "../../../services/cluster/controller/fenced-writes.js";
import { snapshotFromKvs } from "../../../services/cluster/cluster-snapshot.js";
import { TopicWrites } from "../../../services/cluster/controller/topic-writes.js";
import { EtcdClient } from "../../../services/cluster/etcd/etcd-client.js";
import { LeaseKeeper } from "../../../services/cluster/etcd/lease-keeper.js";
import { TcpProxy } from "../../helpers/tcp-proxy.js";
import {
  freshKeys,
  readPartition,
  readTopic,
  recordingLogger,
  registerBroker,
  silentLogger,
  startTestEtcd,
  type TestBroker,
} from "./etcd-fixture.js";

describe("Controller against etcd", () => {
  let fixture: Awaited<ReturnType<typeof startTestEtcd>>;
  let client: EtcdClient;
  const cleanups: Array<() => unknown> = [];
  beforeAll(async () => {
    fixture = await startTestEtcd();
    client = fixture.client;
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  function startController(keys: ClusterKeys, broker: TestBroker, options: { client?: EtcdClient; logger?: typeof silentLogger } = {}): Controller {
    const controller = new Controller({
      client: options.client ?? client,
      keys,
      brokerId: broker.id,
      session: () => ({ brokerEpoch: broker.brokerEpoch, leaseId: broker.leaseId }),
      isFresh: () => true,
      logger: options.logger ?? silentLogger,
      retryBackoffMs: 50,
    });
    controller.start();
    cleanups.push(() => controller.close());
    return controller;
  }

  /** Brokers 1-3 and a topic of 3 partitions × 3 replicas, each broker leading one. */
  async function cluster(keys: ClusterKeys) {
    const brokers = await Promise.all([1, 2, 3].map((id) => registerBroker(client, keys, id)));
    const writes = new TopicWrites({ client, keys, logger: silentLogger });
    const assignment = await writes.createTopic({ name: "orders", partitions: 3, replicationFactor: 3 });
    const ledBy = (id: number) => assignment.partitions.findIndex((p) => p.replicas[0] === id);
    return { brokers, assignment, ledBy };
  }

  it("elects the next in-sync replica within a second of the leader's broker going, and drops it from every ISR", async () => {
    const keys = freshKeys();
    const { brokers, assignment, ledBy } = await cluster(keys);
    const controller = startController(keys, brokers[0]);
    await vi.waitFor(() => expect(controller.isController()).toBe(true), { timeout: 5000, interval: 10 });

    const p = ledBy(2);
    const replicas = assignment.partitions[p].replicas;
    const revokedAt = performance.now();
    await client.leaseRevoke(brokers[1].leaseId);
    await vi.waitFor(
      async () => expect((await readPartition(client, keys, "orders", p))?.state.leader).not.toBe(2),
      { timeout: 1000, interval: 10 },
    );
    expect(performance.now() - revokedAt).toBeLessThan(1000);
    const { state } = (await readPartition(client, keys, "orders", p))!;
    expect(state.leader).toBe(replicas.find((id) => id !== 2));
    expect(state.leaderEpoch).toBe(1);
    expect(state.leaderBrokerEpoch).toBe(brokers[state.leader - 1].brokerEpoch);
    expect(state.isr.map((m) => m.brokerId).sort()).toEqual([1, 3]);
    await vi.waitFor(async () => {
      for (let q = 0; q < 3; q++) {
        const other = (await readPartition(client, keys, "orders", q))!.state;
        expect(other.isr.map((m) => m.brokerId)).not.toContain(2);
        if (q !== p) expect(other.leaderEpoch).toBe(0); // ISR shrink: no new leader epoch
      }
    }, { timeout: 2000, interval: 10 });
  });

  it("finds on election a leader that died while no controller ran, and takes a restarted broker's old incarnation out of the ISR", async () => {
    const keys = freshKeys();
    const { brokers, ledBy } = await cluster(keys);
    await client.leaseRevoke(brokers[2].leaseId); // broker 3 dies before any controller
    await client.leaseRevoke(brokers[1].leaseId);
    const reborn = await registerBroker(client, keys, 2, { cleanStart: true }); // broker 2 restarted: new epoch
    const controller = startController(keys, brokers[0]);
    await vi.waitFor(() => expect(controller.isController()).toBe(true), { timeout: 5000, interval: 10 });
    await vi.waitFor(async () => {
      for (let q = 0; q < 3; q++) {
        const { state } = (await readPartition(client, keys, "orders", q))!;
        expect(state.leader).toBe(1);
        expect(state.isr.map((m) => [m.brokerId, m.brokerEpoch])).toEqual([[1, brokers[0].brokerEpoch]]);
      }
    }, { timeout: 3000, interval: 20 });
    expect((await readPartition(client, keys, "orders", ledBy(1)))!.state.leaderEpoch).toBe(0);
    expect((await readPartition(client, keys, "orders", ledBy(3)))!.state.leaderEpoch).toBe(1);
    expect(reborn.brokerEpoch).toBeGreaterThan(brokers[1].brokerEpoch);
  });

  it("a deposed controller's writes fail; the new controller acts", async () => {
    const keys = freshKeys();
    const { brokers, ledBy } = await cluster(keys);
    const first = startController(keys, brokers[0]);
    await vi.waitFor(() => expect(first.isController()).toBe(true), { timeout: 5000, interval: 10 });
    const firstEpoch = first.controllerEpoch()!;
    // What the first controller would write once broker 3 is gone, decided while it still held the key.
    await client.leaseRevoke(brokers[2].leaseId);
    await vi.waitFor(async () => expect((await readPartition(client, keys, "orders", ledBy(3)))!.state.leader).not.toBe(3), {
      timeout: 2000,
      interval: 10,
    });
    const read = await client.range(keys.root, { prefix: true });
    const snapshot = snapshotFromKvs(keys, read.kvs, read.revision);
    expect(snapshot.controller?.epoch).toBe(firstEpoch);

    // The first controller's broker loses its lease: the controller key goes with it.
    const second = startController(keys, brokers[1]);
    await client.leaseRevoke(brokers[0].leaseId);
    await vi.waitFor(() => expect(second.isController()).toBe(true), { timeout: 5000, interval: 10 });
    expect(second.controllerEpoch()!).toBeGreaterThan(firstEpoch);
    await vi.waitFor(() => expect(first.isController()).toBe(false), { timeout: 2000, interval: 10 });

    // The second controller moves leadership off broker 1 itself, with its own epoch.
    const p = ledBy(1);
    await vi.waitFor(async () => {
      const after = (await readPartition(client, keys, "orders", p))!;
      expect(after.state.leader).toBe(2);
      expect(after.state.isr.map((m) => m.brokerId)).toEqual([2]);
    }, { timeout: 2000, interval: 10 });

    // A late write of the first controller, made against the state as it is now (its
    // partition compare passes): only the controller epoch fences it.
    const now = (await readPartition(client, keys, "orders", p))!;
    const late = decide({ ...snapshot, brokers: new Map([...snapshot.brokers].filter(([id]) => id === 1)) })
      .filter((d) => d.partition === p)
      .map((d) => ({ ...d, modRevision: now.modRevision }));
    expect(late).toHaveLength(1);
    const result = await writePartitionStates(client, keys, firstEpoch, late);
    expect(result).toMatchObject({ applied: [], conflicted: true });
    expect((await readPartition(client, keys, "orders", p))!.modRevision).toBe(now.modRevision);
  });

  it("KIP-966: when every in-sync replica restarted uncleanly, waits for all their reports and elects the most complete", async () => {
    const keys = freshKeys();
    const { brokers } = await cluster(keys);
    const controllerBroker = await registerBroker(client, keys, 4);
    for (const b of brokers) await client.leaseRevoke(b.leaseId); // all three killed at once
    const { logger, records } = recordingLogger();
    startController(keys, controllerBroker, { logger });
    await vi.waitFor(async () => {
      const { state } = (await readPartition(client, keys, "orders", 0))!;
      expect(state.leader).toBe(-1);
      expect(state.leaderEpoch).toBe(1);
      expect(state.isr).toHaveLength(3); // offline: the ISR waits for its members
    }, { timeout: 3000, interval: 10 });
    const topicId = (await readTopic(client, keys, "orders"))!.topicId;
    const back = await Promise.all([1, 2, 3].map((id) => registerBroker(client, keys, id, { cleanStart: false })));
    const report = (b: TestBroker, lastEpoch: number, logEndOffset: number) =>
      client.put(keys.replicaState("orders", 0, b.id), JSON.stringify({ topicId, brokerEpoch: String(b.brokerEpoch), lastEpoch, logEndOffset: String(logEndOffset) }));
    await report(back[0], 0, 40);
    await report(back[1], 0, 50);
    await client.put(keys.root + "nudge", "1"); // one report missing: still offline
    expect((await readPartition(client, keys, "orders", 0))!.state.leader).toBe(-1);
    await report(back[2], 0, 30);
    await vi.waitFor(async () => {
      const { state } = (await readPartition(client, keys, "orders", 0))!;
      expect(state.leader).toBe(2);
      expect(state.leaderEpoch).toBe(2);
      expect(state.lastElectionUnclean).toBe(true);
      expect(state.isr.map((m) => [m.brokerId, m.brokerEpoch])).toEqual([[2, back[1].brokerEpoch]]);
    }, { timeout: 2000, interval: 10 });
    // Logged once the txn is answered, which may be after this test read the state.
    await vi.waitFor(() => expect(records.some((r) => r.level === 40 && r.partition === 0 && /unclean recovery/.test(r.msg))).toBe(true), {
      timeout: 1000,
      interval: 10,
    });
  });

  it("a controller whose lease is not fresh stops writing at once", async () => {
    const keys = freshKeys();
    const { brokers, ledBy } = await cluster(keys);
    let fresh = true;
    const controller = new Controller({
      client,
      keys,
      brokerId: 1,
      session: () => ({ brokerEpoch: brokers[0].brokerEpoch, leaseId: brokers[0].leaseId }),
      isFresh: () => fresh,
      logger: silentLogger,
    });
    cleanups.push(() => controller.close());
    controller.start();
    await vi.waitFor(() => expect(controller.isController()).toBe(true), { timeout: 5000, interval: 10 });
    fresh = false;
    expect(controller.isController()).toBe(false);
    const before = await readPartition(client, keys, "orders", ledBy(2));
    const reconciles = controller.reconciles;
    await client.leaseRevoke(brokers[1].leaseId);
    // Nothing decides while fenced; once fresh again (the lease survived), it acts.
    await client.put(keys.root + "nudge", "1");
    expect((await readPartition(client, keys, "orders", ledBy(2)))!.modRevision).toBe(before!.modRevision);
    fresh = true;
    await client.put(keys.root + "nudge", "2");
    await vi.waitFor(async () => expect((await readPartition(client, keys, "orders", ledBy(2)))!.state.leader).not.toBe(2), {
      timeout: 2000,
      interval: 10,
    });
    expect(controller.reconciles).toBeGreaterThan(reconciles);
  });

  it("after its watch lost history to compaction, reads the cluster again and still acts", async () => {
    const keys = freshKeys();
    const { brokers, ledBy } = await cluster(keys);
    const etcdAddress = fixture.etcd.endpoints[0].replace(/^https?:\/\//, "");
    const proxy = await TcpProxy.start(etcdAddress);
    cleanups.push(() => proxy.close());
    const proxied = new EtcdClient({ endpoints: [proxy.address], requestTimeoutMs: 500 });
    cleanups.push(() => proxied.close());
    const { logger, records } = recordingLogger();
    const controller = startController(keys, brokers[0], { client: proxied, logger });
    await vi.waitFor(() => expect(controller.reconciles).toBeGreaterThan(0), { timeout: 5000, interval: 10 });

    // Cut the controller off from etcd, change the cluster, compact the history, reconnect.
    proxy.retarget("127.0.0.1:1");
    proxy.dropAll();
    await client.leaseRevoke(brokers[1].leaseId);
    for (let i = 0; i < 5; i++) await client.put(keys.root + "filler", String(i));
    const { revision } = await client.range(keys.root, { prefix: true });
    await client.compact(revision);
    proxy.retarget(etcdAddress);

    await vi.waitFor(async () => expect((await readPartition(client, keys, "orders", ledBy(2)))!.state.leader).not.toBe(2), {
      timeout: 8000,
      interval: 20,
    });
    expect(records.some((r) => r.msg === "watch compacted; reading the cluster again")).toBe(true);
    expect(controller.isController()).toBe(true);
  });

  it("repairs hundreds of partitions in transactions etcd accepts (at most 128 operations each)", async () => {
    const keys = freshKeys();
    const brokers = await Promise.all([1, 2].map((id) => registerBroker(client, keys, id)));
    const writes = new TopicWrites({ client, keys, logger: silentLogger });
    await writes.createTopic({ name: "many", partitions: 200, replicationFactor: 2 });
    const controller = startController(keys, brokers[0]);
    await vi.waitFor(() => expect(controller.reconciles).toBeGreaterThan(0), { timeout: 5000, interval: 10 });
    await client.leaseRevoke(brokers[1].leaseId);
    await vi.waitFor(async () => {
      const { kvs } = await client.range(keys.topicPartitions("many"), { prefix: true });
      expect(kvs).toHaveLength(200);
      for (const kv of kvs) {
        const state = JSON.parse(kv.value.toString());
        expect(state.leader).toBe(1);
        expect(state.isr.map((m: { brokerId: number }) => m.brokerId)).toEqual([1]);
      }
    }, { timeout: 5000, interval: 50 });
  });

  it("with a real LeaseKeeper: a controller cut off from etcd fences itself and another broker takes over", async () => {
    const keys = freshKeys();
    const etcdAddress = fixture.etcd.endpoints[0].replace(/^https?:\/\//, "");
    const proxy = await TcpProxy.start(etcdAddress);
    cleanups.push(() => proxy.close());
    const proxied = new EtcdClient({ endpoints: [proxy.address], requestTimeoutMs: 500 });
    cleanups.push(() => proxied.close());
    let expired = false;
    const keeper = await LeaseKeeper.grant(proxied, { ttlMs: 2000, logger: silentLogger, onExpired: () => (expired = true) });
    cleanups.push(() => keeper.close());
    await proxied.put(keys.broker(1), JSON.stringify({ id: 1, address: "127.0.0.1:9001" }), { lease: keeper.id });
    const brokerEpoch = (await client.get(keys.broker(1)))!.createRevision;
    const first = new Controller({
      client: proxied,
      keys,
      brokerId: 1,
      session: () => ({ brokerEpoch, leaseId: keeper.id }),
      isFresh: () => keeper.isFresh(),
      logger: silentLogger,
      retryBackoffMs: 50,
    });
    cleanups.push(() => first.close());
    first.start();
    await vi.waitFor(() => expect(first.isController()).toBe(true), { timeout: 3000, interval: 10 });
    const others = await Promise.all([2, 3].map((id) => registerBroker(client, keys, id)));
    const second = startController(keys, others[0]);

    proxy.retarget("127.0.0.1:1");
    proxy.dropAll();
    await vi.waitFor(() => expect(first.isController()).toBe(false), { timeout: 3000, interval: 10 });
    await vi.waitFor(() => expect(second.isController()).toBe(true), { timeout: 5000, interval: 20 });
    await vi.waitFor(() => expect(expired).toBe(true), { timeout: 3000, interval: 10 });
    expect(first.isController()).toBe(false);
  });

  it("rewrites partition states a losing creator left, so every state carries the winning topic id", async () => {
    const keys = freshKeys();
    const brokers = await Promise.all([1, 2].map((id) => registerBroker(client, keys, id)));
    startController(keys, brokers[0]);
    const writes = new TopicWrites({ client, keys, logger: silentLogger });
    await Promise.allSettled([
      writes.createTopic({ name: "wide", partitions: 260, replicationFactor: 2 }),
      writes.createTopic({ name: "wide", partitions: 260, replicationFactor: 2 }),
    ]);
    const topic = (await readTopic(client, keys, "wide"))!;
    await vi.waitFor(async () => {
      const { kvs } = await client.range(keys.topicPartitions("wide"), { prefix: true });
      expect(kvs).toHaveLength(260);
      for (const kv of kvs) expect(JSON.parse(kv.value.toString()).topicId).toBe(topic.topicId);
    }, { timeout: 5000, interval: 50 });
  });
});
