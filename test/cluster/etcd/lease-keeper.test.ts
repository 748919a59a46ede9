import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { EtcdClient } from "../../../services/cluster/etcd/etcd-client.js";
import { startEtcd, type EtcdProcesses } from "../../../services/cluster/etcd/etcd-process.js";
import { LeaseKeeper, leaseTtlSeconds } from "../../../services/cluster/etcd/lease-keeper.js";

const tempRoot = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const logger = pino({ level: "silent" });
const ttlMs = 2000;

describe("LeaseKeeper", () => {
  let dir: string;
  let etcd: EtcdProcesses;
  let client: EtcdClient;
  const keepers: LeaseKeeper[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tempRoot, "tributary-lease-"));
    etcd = await startEtcd({ dataDir: dir });
    client = new EtcdClient({ endpoints: etcd.endpoints, requestTimeoutMs: 1000 });
  });
  afterEach(async () => {
    await Promise.all(keepers.splice(0).map((k) => k.close()));
  });
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function grant(options: { now?: () => number; onExpired?: () => void } = {}): Promise<LeaseKeeper> {
    const keeper = await LeaseKeeper.grant(client, { ttlMs, logger, onExpired: options.onExpired ?? (() => {}), ...options });
    keepers.push(keeper);
    return keeper;
  }

  it("rounds the TTL up to whole seconds, at least 2", () => {
    expect(leaseTtlSeconds(500)).toBe(2);
    expect(leaseTtlSeconds(3000)).toBe(3);
    expect(leaseTtlSeconds(3001)).toBe(4);
  });

  it("stays fresh while kept alive, past its TTL, and its key lives on", async () => {
    let expired = 0;
    const keeper = await grant({ onExpired: () => expired++ });
    await client.put("/lk/alive", "1", { lease: keeper.id });
    const start = performance.now();
    const samples: boolean[] = [];
    await vi.waitFor(
      () => {
        samples.push(keeper.isFresh());
        expect(performance.now() - start).toBeGreaterThan(ttlMs * 1.5);
      },
      { timeout: ttlMs * 3, interval: 50 },
    );
    expect(samples.every(Boolean)).toBe(true);
    expect(expired).toBe(0);
    expect(await client.get("/lk/alive")).toBeDefined();
  });

  it("is not fresh the moment its clock passes ttl - margin, before any timer runs, and then expires", async () => {
    let skewMs = 0;
    let expired = 0;
    const keeper = await grant({ now: () => performance.now() + skewMs, onExpired: () => expired++ });
    expect(keeper.isFresh()).toBe(true);
    skewMs = ttlMs; // as if the process had been paused for a whole TTL
    expect(keeper.isFresh()).toBe(false);
    await vi.waitFor(() => expect(expired).toBe(1), { timeout: ttlMs * 2 });
    expect(keeper.isFresh()).toBe(false);
  });

  it("expires when etcd answers a keep-alive with TTL 0 (the lease was revoked)", async () => {
    let expired = 0;
    const keeper = await grant({ onExpired: () => expired++ });
    await client.leaseRevoke(keeper.id);
    await vi.waitFor(() => expect(expired).toBe(1), { timeout: ttlMs * 2 });
    expect(keeper.isFresh()).toBe(false);
  });

  it("revokes on close({ revoke }): a key bound to the lease is gone", async () => {
    const keeper = await grant();
    await client.put("/lk/revoked", "1", { lease: keeper.id });
    await keeper.close({ revoke: true });
    expect(keeper.isFresh()).toBe(false);
    expect(await client.get("/lk/revoked")).toBeUndefined();
  });

  it("turns not fresh within the TTL and calls onExpired once when its etcd member is frozen (SIGSTOP)", async () => {
    let expiredAt: number | undefined;
    let expired = 0;
    const keeper = await grant({
      onExpired: () => {
        expired++;
        expiredAt = performance.now();
      },
    });
    await client.put("/lk/frozen", "1", { lease: keeper.id });
    // Fresh through at least one keep-alive before the freeze.
    await vi.waitFor(() => expect(keeper.isFresh()).toBe(true));
    const member = etcd.members[0]!;
    const stoppedAt = performance.now();
    member.kill("SIGSTOP");
    try {
      let staleAt: number | undefined;
      await vi.waitFor(
        () => {
          if (staleAt === undefined && !keeper.isFresh()) staleAt = performance.now();
          expect(expired).toBe(1);
        },
        { timeout: ttlMs * 2, interval: 10 },
      );
      expect(staleAt).toBeDefined();
      expect(staleAt! - stoppedAt).toBeLessThan(ttlMs);
      expect(expiredAt! - stoppedAt).toBeLessThan(ttlMs + 200);
    } finally {
      member.kill("SIGCONT");
    }
    expect(keeper.isFresh()).toBe(false);
    // etcd, resumed, expires the lease that nobody kept alive: the key goes.
    await vi.waitFor(async () => expect(await client.get("/lk/frozen")).toBeUndefined(), { timeout: leaseTtlSeconds(ttlMs) * 1000 + 3000, interval: 100 });
    expect(expired).toBe(1);
  });
});
