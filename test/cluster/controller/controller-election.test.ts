import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { ClusterKeys } from "../../../services/cluster/cluster-keys.js";
import { ControllerElection } from "../../../services/cluster/controller/controller-election.js";
import type { EtcdClient } from "../../../services/cluster/etcd/etcd-client.js";
import { freshKeys, registerBroker, silentLogger, startTestEtcd, type TestBroker } from "./etcd-fixture.js";

describe("ControllerElection against etcd", () => {
  let fixture: Awaited<ReturnType<typeof startTestEtcd>>;
  let client: EtcdClient;
  const elections: ControllerElection[] = [];
  beforeAll(async () => {
    fixture = await startTestEtcd();
    client = fixture.client;
  });
  afterEach(() => {
    for (const e of elections.splice(0)) e.close();
  });
  afterAll(async () => {
    await fixture?.stop();
  });

  function campaign(keys: ClusterKeys, broker: TestBroker) {
    const elected: bigint[] = [];
    const deposed: bigint[] = [];
    const election = new ControllerElection({
      client,
      keys,
      brokerId: broker.id,
      session: () => ({ brokerEpoch: broker.brokerEpoch, leaseId: broker.leaseId }),
      isFresh: () => true,
      logger: silentLogger,
      onElected: (epoch) => elected.push(epoch),
      onDeposed: (epoch) => deposed.push(epoch),
      retryBackoffMs: 50,
    });
    elections.push(election);
    election.campaign();
    return { election, elected, deposed };
  }

  it("elects exactly one of several campaigners, its epoch the controller key's create revision, bound to its lease", async () => {
    const keys = freshKeys();
    const brokers = await Promise.all([1, 2, 3].map((id) => registerBroker(client, keys, id)));
    const runs = brokers.map((b) => campaign(keys, b));
    await vi.waitFor(() => expect(runs.filter((r) => r.election.epoch() !== undefined)).toHaveLength(1), { timeout: 3000, interval: 10 });
    const winner = runs.findIndex((r) => r.election.epoch() !== undefined);
    const kv = (await client.get(keys.controller))!;
    expect(runs[winner].election.epoch()).toBe(kv.createRevision);
    expect(kv.lease).toBe(brokers[winner].leaseId);
    expect(JSON.parse(kv.value.toString())).toMatchObject({ brokerId: brokers[winner].id });
  });

  it("deposes the holder at once when its key is deleted; a later win is a new epoch", async () => {
    const keys = freshKeys();
    const [a, b] = await Promise.all([1, 2].map((id) => registerBroker(client, keys, id)));
    const first = campaign(keys, a);
    await vi.waitFor(() => expect(first.election.epoch()).toBeDefined(), { timeout: 3000, interval: 10 });
    const second = campaign(keys, b);
    const firstEpoch = first.election.epoch()!;
    await client.delete(keys.controller);
    await vi.waitFor(() => expect(first.deposed).toEqual([firstEpoch]), { timeout: 2000, interval: 10 });
    await vi.waitFor(async () => expect((await client.get(keys.controller))?.createRevision).toBeGreaterThan(firstEpoch), {
      timeout: 2000,
      interval: 10,
    });
    const holder = (await client.get(keys.controller))!;
    const epochs = [first.election.epoch(), second.election.epoch()];
    expect(epochs.filter((e) => e !== undefined)).toEqual([holder.createRevision]);
    expect(epochs).not.toContain(firstEpoch);
  });

  it("answers no epoch while the lease is not fresh, and hands over when the holder's lease is revoked", async () => {
    const keys = freshKeys();
    const [a, b] = await Promise.all([1, 2].map((id) => registerBroker(client, keys, id)));
    let fresh = true;
    const first = new ControllerElection({
      client,
      keys,
      brokerId: 1,
      session: () => ({ brokerEpoch: a.brokerEpoch, leaseId: a.leaseId }),
      isFresh: () => fresh,
      logger: silentLogger,
      onElected: () => {},
      onDeposed: () => {},
      retryBackoffMs: 50,
    });
    elections.push(first);
    first.campaign();
    await vi.waitFor(() => expect(first.epoch()).toBeDefined(), { timeout: 3000, interval: 10 });
    fresh = false;
    expect(first.epoch()).toBeUndefined();
    fresh = true;
    const second = campaign(keys, b);
    await client.leaseRevoke(a.leaseId);
    await vi.waitFor(() => expect(second.election.epoch()).toBeDefined(), { timeout: 3000, interval: 10 });
    expect(first.epoch()).toBeUndefined();
  });

  it("resign hands the role over at once and does not campaign again", async () => {
    const keys = freshKeys();
    const [a, b] = await Promise.all([1, 2].map((id) => registerBroker(client, keys, id)));
    const first = campaign(keys, a);
    await vi.waitFor(() => expect(first.election.epoch()).toBeDefined(), { timeout: 3000, interval: 10 });
    const firstEpoch = first.election.epoch()!;
    const second = campaign(keys, b);
    await first.election.resign();
    expect(first.election.epoch()).toBeUndefined();
    expect(first.deposed).toEqual([firstEpoch]);
    await vi.waitFor(() => expect(second.election.epoch()).toBeDefined(), { timeout: 3000, interval: 10 });
    expect(JSON.parse((await client.get(keys.controller))!.value.toString())).toMatchObject({ brokerId: 2 });
    expect(first.elected).toEqual([firstEpoch]);
  });
});
