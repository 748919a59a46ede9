import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, errorReason } from "../../clients/ts/index.js";
import { QuotaManager } from "../../services/auth/quotas.js";
import { hashToken } from "../../services/auth/tokens.js";
import { resolveConfig } from "../../services/config.js";
import { startBroker, type Broker } from "../../services/server.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { silentLogger, tempDir } from "../helpers/test-broker.js";

describe("QuotaManager", () => {
  it("lets a burst of one second through, delays the debt, refuses past maxDelayMs", () => {
    let now = 0;
    const quotas = new QuotaManager([{ principal: "p", produceBytesPerSecond: 1000 }, { principal: "*", fetchBytesPerSecond: 10 }], 2000, () => now);
    expect(quotas.metered("p", "produce")).toBe(true);
    expect(quotas.metered("p", "fetch")).toBe(false); // p's own rule wins over "*"
    expect(quotas.metered("q", "fetch")).toBe(true);
    expect(quotas.metered("q", "produce")).toBe(false);
    expect(quotas.charge("p", "produce", 1000)).toBe(0);
    expect(quotas.charge("p", "produce", 1500)).toBe(1500); // 1500 bytes in debt at 1000 B/s
    quotas.admit("p", "produce"); // 1.5 s of debt: wait it out
    expect(quotas.charge("p", "produce", 1000)).toBe(2500);
    expect(() => quotas.admit("p", "produce")).toThrow(/over its produce quota/);
    now += 1000; // repaid 1000 bytes
    quotas.admit("p", "produce");
    expect(quotas.charge("p", "produce", 0)).toBe(1500);
    now += 10_000; // full again, never more than one second's worth
    expect(quotas.charge("p", "produce", 1000)).toBe(0);
    expect(quotas.charge("p", "produce", 1)).toBe(1);
  });

  it("config: quotas need authentication and well-formed rules", () => {
    const resolve = (values: Record<string, unknown>) => resolveConfig({ source: "test", values });
    const authTokens = [{ principal: "p", sha256: hashToken("t") }];
    expect(() => resolve({ quotas: [{ principal: "p", produceBytesPerSecond: 10 }] })).toThrow(/need authentication/);
    expect(resolve({ authTokens, quotas: [{ principal: "p", produceBytesPerSecond: 10 }] }).quotas).toHaveLength(1);
    expect(() => resolve({ authTokens, quotas: [{ principal: "p", produceBytesPerSecond: 0 }] })).toThrow(/positive integer/);
    expect(() => resolve({ authTokens, quotas: [{ principal: "p", bytesPerSecond: 1 }] })).toThrow(/unknown field/);
  });
});

describe("quotas on a broker", () => {
  const rate = 50_000;
  let broker: Broker;
  let dir: { path: string; remove(): Promise<void> };
  const clients: Array<{ close(): void }> = [];
  const connect = <T,>(make: () => T & { close(): void }): T => {
    const c = make();
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker(
      {
        listen: "127.0.0.1:0",
        http: "off",
        logLevel: "silent",
        dataDir: dir.path,
        authTokens: [
          { principal: "slow", sha256: hashToken("slow-token") },
          { principal: "free", sha256: hashToken("free-token") },
        ],
        acls: [{ principal: "*", resource: { type: "topic" }, operations: ["create", "write", "read"] }],
        quotas: [{ principal: "slow", produceBytesPerSecond: rate, fetchBytesPerSecond: rate }],
        // A small stream buffer makes the throttled completions of Subscribe writes hold the stream back at once.
        streamBufferBytes: 1024,
      },
      { logger: silentLogger },
    );
    const admin = connect(() => createClient(AdminService, broker.address, { token: "free-token" }));
    await admin.createTopic({ name: "q", partitions: 1 });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await broker?.close();
    await dir?.remove();
  });

  it("delays answers past the rate, refuses with QUOTA_EXCEEDED when too far over, leaves others alone", async () => {
    const slow = connect(() => createClient(ProduceService, broker.address, { token: "slow-token" }));
    const free = connect(() => createClient(ProduceService, broker.address, { token: "free-token" }));
    const value = new Uint8Array(2 * rate);

    let started = performance.now();
    await free.produce({ topic: "q", records: [{ value }] });
    await free.produce({ topic: "q", records: [{ value }] });
    expect(performance.now() - started).toBeLessThan(800);

    started = performance.now();
    await slow.produce({ topic: "q", records: [{ value }] }); // one second's burst, then a second of debt
    expect(performance.now() - started).toBeGreaterThan(800);

    const abort = new AbortController();
    const big = slow.produce({ topic: "q", records: [{ value: new Uint8Array(6 * rate) }] }, { signal: abort.signal });
    big.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    const refused = await slow.produce({ topic: "q", records: [{ value: new Uint8Array(10) }] }).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(errorReason(refused)).toBe("QUOTA_EXCEEDED");
    abort.abort();

    // Fetch is charged its answer: two answers of 2×rate bytes, the second waits out the first's debt.
    const fetchSlow = connect(() => createClient(FetchService, broker.address, { token: "slow-token" }));
    started = performance.now();
    await fetchSlow.fetch({ topic: "q", partition: 0, offset: 0n, maxBytes: 2 * rate });
    await fetchSlow.fetch({ topic: "q", partition: 0, offset: 1n, maxBytes: 2 * rate });
    expect(performance.now() - started).toBeGreaterThan(800);
  }, 20_000);

  it("throttles Subscribe: each message's completion waits out the debt", async () => {
    const fetch = connect(() => createClient(FetchService, broker.address, { token: "slow-token" }));
    const started = performance.now();
    const stream = fetch.subscribe({ topic: "q", startPosition: { case: "earliest", value: true }, maxBytes: 2 * rate });
    let records = 0;
    for await (const message of stream) {
      if (message.event.case === "records") records += message.event.value.records.length;
      if (records >= 3) break;
    }
    stream.cancel();
    // About 300 kB at 50 kB/s, less the one-second burst: well over a second.
    expect(performance.now() - started).toBeGreaterThan(1500);
  }, 20_000);
});
