import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { GroupMember } from "../helpers/group-member.js";
import { bytes, startTestBroker, type TestBroker } from "../helpers/test-broker.js";

const childScript = fileURLToPath(new URL("../helpers/group-member-child.ts", import.meta.url));

interface ChildMember {
  readonly process: ChildProcess;
  readonly deliveries: Array<[number, bigint]>;
  /** partition -> next offset committed successfully */
  readonly committed: Map<number, bigint>;
  readonly exited: Promise<unknown>;
}

function spawnMember(address: string, groupId: string): ChildMember {
  const child = spawn(process.execPath, ["--import", "tsx", childScript, address, groupId, "orders"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const member: ChildMember = {
    process: child,
    deliveries: [],
    committed: new Map(),
    exited: new Promise((resolve) => child.once("exit", resolve)),
  };
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const entry = JSON.parse(line) as { d?: [number, string]; c?: Array<[number, string]> };
    if (entry.d) member.deliveries.push([entry.d[0], BigInt(entry.d[1])]);
    for (const [p, o] of entry.c ?? []) member.committed.set(p, BigInt(o));
  });
  return member;
}

describe("consumer group churn", () => {
  let t: TestBroker;
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("loses no record while members join, leave and are killed under load; duplicates only follow a killed member's last commit", async () => {
    t = await startTestBroker({ rebalanceTimeoutMs: 5_000 });
    cleanup.push(() => t.close());
    await t.admin.createTopic({ name: "orders", partitions: 6 });
    const address = t.broker.address;
    const live: GroupMember[] = [];
    const left: GroupMember[] = [];
    const killed: ChildMember[] = [];
    const add = () => {
      const m = new GroupMember(address, "churn", ["orders"], { commitEvery: 10, earliest: true });
      live.push(m);
      cleanup.push(() => m.cancel());
      return m;
    };
    add();
    add();

    // A producer that runs until the churn is over. The cap only bounds a runaway test:
    // on a loaded machine the churn (child processes starting) outlasted 2,000 batches
    // once the broker got faster, so it is 10,000 batches of 20 keyed records.
    let produced = 0;
    let stopProducing = false;
    const producer = (async () => {
      for (let batch = 0; batch < 10_000 && !stopProducing; batch++) {
        await t.produce.produce({
          topic: "orders",
          records: Array.from({ length: 20 }, (_, i) => ({ key: bytes(`k${batch}-${i}`), value: bytes(`v${batch}-${i}`) })),
        });
        produced += 20;
      }
    })();

    // Churn, each step bounded by the producer's progress: kill, join, leave, kill again.
    const until = (count: number) => vi.waitFor(() => expect(produced).toBeGreaterThanOrEqual(count), { timeout: 30_000 });
    for (const step of ["kill", "join", "leave", "kill", "join", "leave", "kill"] as const) {
      if (step === "kill") {
        const child = spawnMember(address, "churn");
        cleanup.push(async () => {
          child.process.kill("SIGKILL");
          await child.exited;
        });
        await vi.waitFor(() => expect(child.deliveries.length).toBeGreaterThan(0), { timeout: 20_000 });
        child.process.kill("SIGKILL");
        await child.exited;
        killed.push(child);
      } else if (step === "join") {
        add();
      } else {
        const m = live.shift()!;
        await m.close();
        left.push(m);
      }
      await until(produced + 200);
    }
    stopProducing = true;
    await producer;

    // Every produced offset reaches some member.
    const seen = new Map<string, number>();
    const count = () => {
      seen.clear();
      const note = (p: number, o: bigint) => seen.set(`${p}:${o}`, (seen.get(`${p}:${o}`) ?? 0) + 1);
      for (const m of [...live, ...left]) for (const d of m.deliveries) note(d.partition, d.offset);
      for (const c of killed) for (const [p, o] of c.deliveries) note(p, o);
      return seen.size;
    };
    await vi.waitFor(() => expect(count()).toBe(produced), { timeout: 30_000 });
    const described = await t.admin.describeTopic({ name: "orders" });
    const total = described.topic!.partitions.reduce((n, p) => n + Number(p.logEndOffset), 0);
    expect(total).toBe(produced);

    // A record seen twice must have been delivered to a killed member at or after its last commit.
    for (const [key, times] of seen) {
      if (times === 1) continue;
      const [p, o] = key.split(":").map(BigInt);
      const explained = killed.some(
        (c) => c.deliveries.some(([cp, co]) => BigInt(cp) === p && co === o) && o >= (c.committed.get(Number(p)) ?? 0n),
      );
      if (!explained) {
        const who = [...live, ...left]
          .filter((m) => m.deliveries.some((d) => BigInt(d.partition) === p && d.offset === o))
          .map((m) => `${m.memberId.slice(0, 12)} left=${left.includes(m)} committed=${m.committed.get(`orders/${p}`)} events=${m.events.filter((e) => !e.startsWith("rec ") || e.startsWith(`rec ${p}:`)).slice(-40).join(",")}`);
        const kids = killed
          .filter((c) => c.deliveries.some(([cp, co]) => BigInt(cp) === p && co === o))
          .map((c) => `killed committed=${c.committed.get(Number(p))}`);
        console.error(`duplicate ${key}:`, who, kids);
      }
      expect(explained, `duplicate ${key} not after a killed member's last commit`).toBe(true);
    }
    expect(killed.length).toBe(3);
    expect(left.length).toBe(2);
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    console.info(`churn: ${produced} records, 3 kills, 2 leaves, 2 joins, ${duplicates} delivered twice`);
  }, 120_000);
});
