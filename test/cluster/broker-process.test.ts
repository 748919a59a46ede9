import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Admin, Consumer, Producer } from "../../clients/ts/index.js";
import { startBrokerProcess, type BrokerProcess } from "../helpers/broker-process.js";
import { startFaultProxy } from "../helpers/fault-proxy.js";
import { tempDir } from "../helpers/test-broker.js";

/** Reads `count` records of partition 0 from offset 0, as strings. */
async function readValues(broker: string, topic: string, count: number): Promise<string[]> {
  const consumer = new Consumer({ broker, topic, partitions: [0], from: "earliest" });
  const values: string[] = [];
  try {
    for await (const record of consumer) {
      values.push(new TextDecoder().decode(record.value));
      if (values.length === count) break;
    }
  } finally {
    await consumer.close();
  }
  return values;
}

async function produceValues(broker: string, topic: string, values: string[]): Promise<bigint[]> {
  const producer = new Producer({ broker, requestTimeoutMs: 10_000 });
  try {
    const sent = await Promise.all(values.map((value) => producer.send({ topic, partition: 0, value })));
    return sent.map((s) => s.offset);
  } finally {
    await producer.close();
  }
}

/** The process state letter from /proc (T: stopped by a signal). */
const procState = (pid: number) => readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "")[0];

describe("startBrokerProcess", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let broker: BrokerProcess | undefined;

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
    await dir.remove();
  });

  it("runs the compiled broker on a free port; after kill -9 and a restart on the same data dir the records are there", async () => {
    broker = await startBrokerProcess({ dataDir: dir.path, config: { logLevel: "info" } });
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.address).toBe(`127.0.0.1:${broker.port}`);
    const admin = new Admin({ broker: broker.address });
    try {
      await admin.createTopic("crash", 1);
    } finally {
      admin.close();
    }
    expect(await produceValues(broker.address, "crash", ["a", "b", "c"])).toEqual([0n, 1n, 2n]);
    expect(await readValues(broker.address, "crash", 3)).toEqual(["a", "b", "c"]);

    const firstPid = broker.pid;
    broker.kill("SIGKILL");
    expect(await broker.waitForExit()).toBe("SIGKILL");
    expect(broker.exited).toBe(true);

    await broker.restart();
    expect(broker.pid).not.toBe(firstPid);
    expect(broker.exited).toBe(false);
    expect(await readValues(broker.address, "crash", 3)).toEqual(["a", "b", "c"]);
    expect(await produceValues(broker.address, "crash", ["d"])).toEqual([3n]);
    await broker.waitForLog((e) => e.msg === "broker listening");
    expect(broker.logs.some((line) => line.includes('"msg":"broker listening"'))).toBe(true);

    expect(await broker.stop()).toBe(0);
  });

  it("pauses with SIGSTOP and resumes with SIGCONT", async () => {
    broker = await startBrokerProcess({ dataDir: dir.path });
    broker.pause();
    await expect.poll(() => procState(broker!.pid)).toBe("T");
    broker.resume();
    await expect.poll(() => procState(broker!.pid)).not.toBe("T");
    const admin = new Admin({ broker: broker.address });
    try {
      await admin.createTopic("resumed", 1);
    } finally {
      admin.close();
    }
  });

  it("stops a paused broker (SIGCONT before SIGTERM)", async () => {
    broker = await startBrokerProcess({ dataDir: dir.path });
    broker.pause();
    await expect.poll(() => procState(broker!.pid)).toBe("T");
    expect(await broker.stop()).toBe(0);
  });

  it("is cut off by a fault proxy in drop mode and reachable again once healed", async () => {
    broker = await startBrokerProcess({ dataDir: dir.path });
    const proxy = await startFaultProxy({ target: broker.address });
    const admin = new Admin({ broker: proxy.address });
    try {
      await admin.createTopic("proxied", 1);
      expect(await produceValues(proxy.address, "proxied", ["x"])).toEqual([0n]);
      proxy.setMode("drop");
      const producer = new Producer({ broker: proxy.address, retries: 0, requestTimeoutMs: 500, deliveryTimeoutMs: 2000 });
      await expect(producer.send({ topic: "proxied", partition: 0, value: "cut" })).rejects.toThrow();
      await producer.close();
      proxy.setMode("pass");
      expect(await readValues(proxy.address, "proxied", 1)).toEqual(["x"]);
    } finally {
      admin.close();
      await proxy.close();
    }
  });
});
