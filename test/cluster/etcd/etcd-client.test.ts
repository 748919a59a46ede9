import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { EtcdClient, type WatchEvent } from "../../../services/cluster/etcd/etcd-client.js";
import { EtcdError } from "../../../services/cluster/etcd/etcd-error.js";
import { startEtcd, type EtcdProcesses } from "../../../services/cluster/etcd/etcd-process.js";

/** etcd fsyncs every write: /dev/shm keeps that cheap. */
const tempRoot = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();

/** The endpoint an EtcdClient sends to first (test-only peek at its private state). */
function preferredEndpoint(client: EtcdClient): string {
  const internals = client as unknown as { endpoints: string[]; preferred: number };
  return `http://${internals.endpoints[internals.preferred]}`;
}

/** Collects a watch's batches and its end. */
function recorder() {
  const batches: Array<{ events: WatchEvent[]; revision: bigint }> = [];
  const ends: Array<{ reason: "compacted" | "error"; compactRevision?: bigint; err?: Error }> = [];
  return {
    batches,
    ends,
    events: () => batches.flatMap((b) => b.events),
    listener: {
      events: (events: WatchEvent[], revision: bigint) => batches.push({ events, revision }),
      cancelled: (reason: "compacted" | "error", detail: { compactRevision?: bigint; err?: Error }) =>
        ends.push({ reason, ...detail }),
    },
  };
}

describe("EtcdClient against one etcd member", () => {
  let dir: string;
  let etcd: EtcdProcesses;
  let client: EtcdClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tempRoot, "tributary-etcd-"));
    etcd = await startEtcd({ dataDir: dir });
    client = new EtcdClient({ endpoints: etcd.endpoints });
  });
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("puts, gets, ranges and deletes by prefix, with revisions as bigint", async () => {
    const first = await client.put("/t/a/1", "one");
    const second = await client.put("/t/a/2", Buffer.from([0, 1, 2]));
    await client.put("/t/b", "other");
    expect(second.revision).toBe(first.revision + 1n);

    const kv = await client.get("/t/a/1");
    expect(kv).toMatchObject({ key: "/t/a/1", createRevision: first.revision, modRevision: first.revision, version: 1n, lease: 0n });
    expect(kv!.value.toString()).toBe("one");
    expect(await client.get("/t/missing")).toBeUndefined();

    const range = await client.range("/t/a/", { prefix: true });
    expect(range.kvs.map((k) => k.key)).toEqual(["/t/a/1", "/t/a/2"]);
    expect(range.kvs[1]!.value).toEqual(Buffer.from([0, 1, 2]));
    expect(range.revision).toBeGreaterThanOrEqual(second.revision + 1n);

    // A read at an older revision sees the store as it was.
    const old = await client.range("/t/a/", { prefix: true, revision: first.revision });
    expect(old.kvs.map((k) => k.key)).toEqual(["/t/a/1"]);

    const deleted = await client.delete("/t/a/", { prefix: true });
    expect(deleted.deleted).toBe(2);
    expect((await client.range("/t/a/", { prefix: true })).kvs).toEqual([]);
    expect(await client.get("/t/b")).toBeDefined();
  });

  it("runs a txn whose compares on create and mod revision pass, and the failure branch when one fails", async () => {
    // Create-if-absent, as a broker registers or a controller is elected.
    const created = await client.txn({
      compare: [{ key: "/t/txn/controller", target: "create", value: 0n }],
      success: [{ put: { key: "/t/txn/controller", value: "1" } }],
      failure: [{ range: { key: "/t/txn/controller" } }],
    });
    expect(created.succeeded).toBe(true);
    const again = await client.txn({
      compare: [{ key: "/t/txn/controller", target: "create", value: 0n }],
      success: [{ put: { key: "/t/txn/controller", value: "2" } }],
      failure: [{ range: { key: "/t/txn/controller" } }],
    });
    expect(again.succeeded).toBe(false);
    expect(again.responses[0]!.kvs![0]).toMatchObject({ createRevision: created.revision });
    expect(again.responses[0]!.kvs![0]!.value.toString()).toBe("1");

    // Compare-and-swap on the mod revision, as a partition state change.
    const modRevision = created.revision;
    const swapped = await client.txn({
      compare: [
        { key: "/t/txn/controller", target: "mod", value: modRevision },
        { key: "/t/txn/controller", target: "value", value: "1" },
      ],
      success: [{ put: { key: "/t/txn/controller", value: "3" } }, { range: { key: "/t/txn/controller" } }],
    });
    expect(swapped.succeeded).toBe(true);
    expect(swapped.responses[1]!.kvs![0]!.modRevision).toBe(swapped.revision);
    const stale = await client.txn({
      compare: [{ key: "/t/txn/controller", target: "mod", value: modRevision }],
      success: [{ put: { key: "/t/txn/controller", value: "4" } }],
    });
    expect(stale.succeeded).toBe(false);
    expect(stale.responses).toEqual([]);
    expect((await client.get("/t/txn/controller"))!.value.toString()).toBe("3");
    const newer = await client.txn({
      compare: [{ key: "/t/txn/controller", target: "mod", result: ">", value: modRevision }],
      success: [{ delete: { key: "/t/txn/", prefix: true } }],
    });
    expect(newer.succeeded).toBe(true);
    expect(await client.get("/t/txn/controller")).toBeUndefined();
  });

  it("watches a prefix from a revision and receives puts and deletes with their previous values", async () => {
    const start = (await client.put("/t/w/a", "1")).revision;
    await client.put("/t/w/a", "2");
    await client.put("/t/other", "x");
    const { revision: deleteRevision } = await client.delete("/t/w/a");
    const watched = recorder();
    const watch = client.watch("/t/w/", { prefix: true, startRevision: start, prevKv: true }, watched.listener);
    try {
      await vi.waitFor(() => expect(watched.events()).toHaveLength(3), { timeout: 5000 });
      const [put1, put2, del] = watched.events();
      expect(put1).toMatchObject({ type: "put", kv: { key: "/t/w/a", modRevision: start } });
      expect(put1!.prevKv).toBeUndefined();
      expect(put2!.kv.value.toString()).toBe("2");
      expect(put2!.prevKv!.value.toString()).toBe("1");
      expect(del).toMatchObject({ type: "delete", kv: { key: "/t/w/a", modRevision: deleteRevision } });
      expect(del!.prevKv!.value.toString()).toBe("2");
      for (const batch of watched.batches) {
        expect(batch.revision).toBeGreaterThanOrEqual(batch.events[batch.events.length - 1]!.kv.modRevision);
      }

      // Live events after the backlog.
      const live = await client.put("/t/w/b", "live");
      await vi.waitFor(() => expect(watched.events()).toHaveLength(4), { timeout: 5000 });
      expect(watched.events()[3]).toMatchObject({ type: "put", kv: { key: "/t/w/b", modRevision: live.revision } });
      expect(watched.ends).toEqual([]);
    } finally {
      watch.close();
    }
  });

  it("reports a watch from a compacted revision as cancelled \"compacted\"", async () => {
    const old = (await client.put("/t/c/k", "1")).revision;
    const latest = (await client.put("/t/c/k", "2")).revision;
    await client.compact(latest);
    const watched = recorder();
    const watch = client.watch("/t/c/", { prefix: true, startRevision: old }, watched.listener);
    try {
      await vi.waitFor(() => expect(watched.ends).toHaveLength(1), { timeout: 5000 });
      expect(watched.ends[0]).toMatchObject({ reason: "compacted", compactRevision: latest });
      expect(watched.events()).toEqual([]);
      // A read at a compacted revision fails with a typed error.
      await expect(client.range("/t/c/", { prefix: true, revision: old })).rejects.toMatchObject({
        name: "EtcdError",
        reason: "ETCD_ERROR",
      });
    } finally {
      watch.close();
    }
  });

  it("grants, keeps alive and revokes leases; a key bound to a revoked lease is gone", async () => {
    const lease = await client.leaseGrant(5);
    expect(lease.ttlSeconds).toBe(5);
    await client.put("/t/l/k", "v", { lease: lease.id });
    expect((await client.get("/t/l/k"))!.lease).toBe(lease.id);
    expect(await client.leaseKeepAliveOnce(lease.id)).toBe(5);
    expect(await client.leaseTimeToLive(lease.id)).toMatchObject({ grantedTtlSeconds: 5, keys: ["/t/l/k"] });
    await client.leaseRevoke(lease.id);
    expect((await client.leaseTimeToLive(lease.id)).ttlSeconds).toBe(-1);
    expect(await client.get("/t/l/k")).toBeUndefined();
    expect(await client.leaseKeepAliveOnce(lease.id)).toBe(0);
    await client.leaseRevoke(lease.id); // already gone: no error
  });

  it("fails with ETCD_UNAVAILABLE within the request timeout when no endpoint answers", async () => {
    const lonely = new EtcdClient({ endpoints: ["127.0.0.1:1"], requestTimeoutMs: 300 });
    try {
      const started = performance.now();
      const err = await lonely.get("/t/x").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EtcdError);
      expect(err).toMatchObject({ reason: "ETCD_UNAVAILABLE", kind: "unavailable" });
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      lonely.close();
    }
  });
});

describe("EtcdClient against three etcd members", () => {
  let dir: string;
  let etcd: EtcdProcesses;
  let client: EtcdClient;
  beforeAll(async () => {
    dir = await mkdtemp(join(tempRoot, "tributary-etcd3-"));
    etcd = await startEtcd({ dataDir: dir, members: 3 });
    client = new EtcdClient({ endpoints: etcd.endpoints, requestTimeoutMs: 3000 });
  });
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("keeps answering through the other endpoints when a member is killed, and a watch on it ends with \"error\"", async () => {
    await client.put("/t/k", "before");
    // The client prefers the first endpoint: its watch and requests go there.
    const watched = recorder();
    const start = (await client.range("/t/")).revision + 1n;
    const watch = client.watch("/t/", { prefix: true, startRevision: start }, watched.listener);
    try {
      await client.put("/t/k", "watched");
      await vi.waitFor(() => expect(watched.events()).toHaveLength(1), { timeout: 5000 });

      const victim = etcd.members[0]!;
      victim.kill("SIGKILL");
      await vi.waitFor(() => expect(watched.ends).toEqual([expect.objectContaining({ reason: "error" })]), { timeout: 5000 });

      const { revision } = await client.put("/t/k", "after");
      expect((await client.get("/t/k"))!.value.toString()).toBe("after");
      const txn = await client.txn({
        compare: [{ key: "/t/k", target: "mod", value: revision }],
        success: [{ put: { key: "/t/k", value: "txn" } }],
      });
      expect(txn.succeeded).toBe(true);

      // The caller's side of the contract: re-read, watch again (now on a live member).
      const reread = await client.range("/t/", { prefix: true });
      const rewatched = recorder();
      const rewatch = client.watch("/t/", { prefix: true, startRevision: reread.revision + 1n }, rewatched.listener);
      try {
        await client.put("/t/k", "rewatched");
        await vi.waitFor(() => expect(rewatched.events()).toHaveLength(1), { timeout: 5000 });
      } finally {
        rewatch.close();
      }

      await victim.restart();
      expect(victim.pid).toBeDefined();
      expect((await client.get("/t/k"))!.value.toString()).toBe("rewatched");
    } finally {
      watch.close();
    }
  });
  it("fails over from a frozen member (SIGSTOP) within the request timeout, and a watch on it ends with \"error\"", async () => {
    // Find which member the client prefers now: the one a fresh watch goes to is the one
    // requests go to. Freeze that one.
    const watched = recorder();
    const start = (await client.put("/t/f", "before")).revision + 1n;
    const watch = client.watch("/t/f", { startRevision: start }, watched.listener);
    const healthy = await Promise.all(
      etcd.members.map(async (m) => {
        const single = new EtcdClient({ endpoints: [m.clientUrl], requestTimeoutMs: 1000 });
        try {
          return (await single.get("/t/f")) !== undefined;
        } finally {
          single.close();
        }
      }),
    );
    expect(healthy).toEqual([true, true, true]);
    const frozen = etcd.members.map((m) => m.clientUrl).indexOf(preferredEndpoint(client));
    expect(frozen).toBeGreaterThanOrEqual(0);
    etcd.members[frozen]!.kill("SIGSTOP");
    try {
      const started = performance.now();
      await client.put("/t/f", "during");
      expect(performance.now() - started).toBeLessThan(3000);
      expect((await client.get("/t/f"))!.value.toString()).toBe("during");
      await vi.waitFor(() => expect(watched.ends).toEqual([expect.objectContaining({ reason: "error" })]), { timeout: 8000 });
    } finally {
      watch.close();
      etcd.members[frozen]!.kill("SIGCONT");
    }
  });
});
