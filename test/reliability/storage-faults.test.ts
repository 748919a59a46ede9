import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorReason } from "../../clients/ts/index.js";
import { startBroker } from "../../services/server.js";
import { bytes, silentLogger, startTestBroker, text, type TestBroker } from "../helpers/test-broker.js";

// Linux and root only (the suite runs as root here and in CI): faults come from real tmpfs mounts.
const mountPoints: string[] = [];
const cleanup: Array<() => Promise<void>> = [];

async function tmpfs(options: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tributary-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
  mountPoints.push(dir);
  return dir;
}

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
  for (const dir of mountPoints.splice(0)) {
    try {
      execFileSync("umount", [dir]);
    } catch {
      execFileSync("umount", ["-l", dir]);
    }
    await rm(dir, { recursive: true, force: true });
  }
});

describe("storage faults", () => {
  it("refuses to start on a read-only data directory with DATA_DIR_UNUSABLE", async () => {
    const dir = await tmpfs("size=4m,ro");
    for (const dataDir of [dir, join(dir, "sub")]) {
      const err = await startBroker({ listen: "127.0.0.1:0", http: "off", logLevel: "silent", dataDir }, { logger: silentLogger }).then(
        async (broker) => {
          await broker.close();
          return new Error("the broker started on a read-only data directory");
        },
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ reason: "DATA_DIR_UNUSABLE" });
      expect((err as Error).message).toContain(dataDir);
    }
  });

  it("answers STORAGE_FULL when the disk fills, keeps serving reads, and resumes writes once space is freed", async () => {
    const dir = await tmpfs("size=2m");
    // Ballast to free later: 512 KiB of the 2 MiB.
    const ballast = join(dir, "ballast");
    await writeFile(ballast, Buffer.alloc(512 * 1024, 1));
    const t: TestBroker = await startTestBroker({}, dir);
    cleanup.push(() => t.close());
    await t.admin.createTopic({ name: "full", partitions: 1 });

    const value = Buffer.alloc(16 * 1024, 7);
    const acked: bigint[] = [];
    let refusal: unknown;
    for (let i = 0; i < 400 && refusal === undefined; i++) {
      await t.produce.produce({ topic: "full", partition: 0, records: [{ key: bytes(`k${i}`), value }] }).then(
        (answer) => acked.push(answer.results[0].baseOffset),
        (err: unknown) => (refusal = err),
      );
    }
    expect(refusal, "2 MiB should fill within 400 records of 16 KiB").toBeDefined();
    expect(refusal).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(errorReason(refusal)).toBe("STORAGE_FULL");
    expect(acked.length).toBeGreaterThan(10);

    // Still full: further writes fail fast with the same reason, reads keep working.
    const again = await t.produce.produce({ topic: "full", partition: 0, records: [{ value: bytes("x") }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(errorReason(again)).toBe("STORAGE_FULL");
    const first = await t.fetch.fetch({ topic: "full", partition: 0, offset: 0n, maxBytes: 64 * 1024 });
    expect(first.records[0].offset).toBe(0n);
    expect(Buffer.from(first.records[0].value).equals(value)).toBe(true);
    const last = acked[acked.length - 1];
    const tail = await t.fetch.fetch({ topic: "full", partition: 0, offset: last });
    expect(tail.records[0].offset).toBe(last);
    expect(text(tail.records[0].key)).toBe(`k${acked.length - 1}`);

    // Free space: the log retries every second; wait until a write goes through.
    await rm(ballast);
    const resumed = await vi.waitFor(
      () => t.produce.produce({ topic: "full", partition: 0, records: [{ key: bytes("after"), value: bytes("resumed") }] }),
      { timeout: 10_000, interval: 200 },
    );
    const offset = resumed.results[0].baseOffset;
    expect(offset).toBeGreaterThan(last);
    // Every acknowledged record is still there, offsets contiguous up to the new one.
    let next = 0n;
    while (next <= offset) {
      const r = await t.fetch.fetch({ topic: "full", partition: 0, offset: next, maxBytes: 256 * 1024 });
      for (const rec of r.records) expect(rec.offset).toBe(next++);
    }
    const after = await t.fetch.fetch({ topic: "full", partition: 0, offset });
    expect(text(after.records[0].value)).toBe("resumed");

    // What the failed and retried writes left on disk recovers cleanly: same records after a restart.
    await t.restart();
    const described = await t.admin.describeTopic({ name: "full" });
    expect(described.topic!.partitions[0].logEndOffset).toBe(offset + 1n);
    next = 0n;
    while (next <= offset) {
      const r = await t.fetch.fetch({ topic: "full", partition: 0, offset: next, maxBytes: 256 * 1024 });
      for (const rec of r.records) {
        if (acked.includes(rec.offset)) expect(text(rec.key)).toBe(`k${acked.indexOf(rec.offset)}`);
        expect(rec.offset).toBe(next++);
      }
    }
  }, 30_000);
});
