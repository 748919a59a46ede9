import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient, errorReason } from "../../clients/ts/index.js";
import { QuotaManager } from "../../services/auth/quotas.js";
import { hashToken } from "../../services/auth/tokens.js";
import { resolveConfig } from "../../services/config.js";
import { startBroker, type Broker } from "../../services/server.js";
import { AdminService } from "../../gen/ts/tributary/v1/admin_pb.js";
import { FetchService } from "../../gen/ts/tributary/v1/fetch_pb.js";
import { ProduceService } from "../../gen/ts/tributary/v1/produce_pb.js";
import { silentLogger, tempDir } from "../helpers/test-broker.js";

/** Whether a promise has settled, read at any time (a pending answer is the quota's delay). */
function track(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

describe("QuotaManager", () => {
  it("lets a burst of one second through, delays the debt, refuses past maxDelayMs", () => {
    let now = 0;
    const quotas = new QuotaManager([{ principal: "p", produceBytesPerSecond: 1000 }, { principal: "*", fetchBytesPerSecond: 10 }], 2000, { nowMs: () => now });
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
  // The quota buckets' clock: it stands still unless a test moves it, so a principal's
  // debt is exactly what it was charged and repaid only when a test says so.
  let nowMs = 0;
  const quotaClock = { nowMs: () => nowMs };
  const clients: Array<{ close(): void }> = [];
  const connect = <T,>(make: () => T & { close(): void }): T => {
    const c = make();
    clients.push(c);
    return c;
  };
  const makeAdmin = () => createClient(AdminService, broker.address, { token: "free-token" });
  let admin: ReturnType<typeof makeAdmin>;
  const logEnd = async () => (await admin.listOffsets({ topic: "q", partition: 0 })).offset;
  /** Waits until the partition holds `count` records: a produce is charged before its append. */
  const waitForRecords = (count: bigint) =>
    vi.waitFor(async () => expect((await admin.listOffsets({ topic: "q", partition: 0 })).offset).toBe(count), { timeout: 10_000 });

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
        acls: [{ principal: "*", resource: { type: "topic" }, operations: ["create", "write", "read", "describe"] }],
        quotas: [{ principal: "slow", produceBytesPerSecond: rate, fetchBytesPerSecond: rate }],
        // A small stream buffer makes the throttled completions of Subscribe writes hold the stream back at once.
        streamBufferBytes: 1024,
      },
      { logger: silentLogger, quotaClock },
    );
    admin = makeAdmin();
    clients.push(admin);
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

    // One second's burst, then two seconds of debt: appended at once, answered later.
    const delayed = slow.produce({ topic: "q", records: [{ value: new Uint8Array(3 * rate) }] });
    const answer = track(delayed);
    await waitForRecords(1n);
    // Another principal is not metered: answered while slow's answer still waits.
    await free.produce({ topic: "q", records: [{ value: new Uint8Array(2 * rate) }] });
    await free.produce({ topic: "q", records: [{ value: new Uint8Array(2 * rate) }] });
    expect(answer.settled).toBe(false);

    // Eight seconds of debt, past maxDelayMs: the next call is refused.
    const abort = new AbortController();
    const big = slow.produce({ topic: "q", records: [{ value: new Uint8Array(6 * rate) }] }, { signal: abort.signal });
    big.catch(() => undefined);
    await waitForRecords(4n);
    const refused = await slow.produce({ topic: "q", records: [{ value: new Uint8Array(10) }] }).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(errorReason(refused)).toBe("QUOTA_EXCEEDED");
    abort.abort();

    // The debt repaid (ten seconds on the quota clock), the principal is admitted again.
    nowMs += 10_000;
    await slow.produce({ topic: "q", records: [{ value: new Uint8Array(10) }] });
    expect((await delayed).results[0]?.baseOffset).toBe(0n);
  }, 20_000);

  it("charges Fetch its answer: an answer deep in debt refuses the next call", async () => {
    nowMs += 60_000; // a full bucket
    const fetchSlow = connect(() => createClient(FetchService, broker.address, { token: "slow-token" }));
    // The first answer holds the first three records (7 × rate bytes): six seconds of debt.
    const end = await logEnd();
    const abort = new AbortController();
    const first = fetchSlow.fetch({ topic: "q", partition: 0, offset: 0n, maxBytes: 7 * rate + 1024 }, { signal: abort.signal });
    first.catch(() => undefined);
    // It is charged when its answer is ready, then held; a fetch admitted after that is refused.
    await vi.waitFor(
      async () => {
        // At the log end with no wait: an empty answer, charged next to nothing.
        const err = await fetchSlow.fetch({ topic: "q", partition: 0, offset: end, maxBytes: 1024 }).catch((e: unknown) => e);
        expect(errorReason(err)).toBe("QUOTA_EXCEEDED");
      },
      { timeout: 10_000 },
    );
    abort.abort();
  }, 20_000);

  it("charges Subscribe's messages to the fetch quota, and holds the stream back while in debt", async () => {
    nowMs += 60_000; // a full bucket
    const free = connect(() => createClient(ProduceService, broker.address, { token: "free-token" }));
    const produced = await free.produce({ topic: "q", records: [{ value: new Uint8Array(8 * rate) }] });
    const offset = produced.results[0]!.baseOffset;
    const fetch = connect(() => createClient(FetchService, broker.address, { token: "slow-token" }));
    const stream = fetch.subscribe({ topic: "q", startPosition: { case: "offset", value: offset }, maxBytes: 8 * rate + 1024 });
    const iterator = stream[Symbol.asyncIterator]();
    let first = await iterator.next();
    while (!first.done && first.value.event.case !== "records") first = await iterator.next();
    expect(first.done).toBe(false);
    // The message (8 × rate bytes) left seven seconds of debt: its completion waits it
    // out, so the stream sends nothing more, and a call admitted now is refused.
    const next = track(iterator.next());
    const err = await fetch.fetch({ topic: "q", partition: 0, offset: offset + 1n, maxBytes: 1024 }).catch((e: unknown) => e);
    expect(errorReason(err)).toBe("QUOTA_EXCEEDED");
    expect(next.settled).toBe(false);
    stream.cancel();
  }, 20_000);
});
