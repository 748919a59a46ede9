import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CorruptDataError } from "../../services/errors.js";
import { Log, defaultLogConfig, type LogConfig } from "../../services/log/index.js";
import { decode, readAll, spansOf, fillEightBatches, spansOfValues, valueBatch } from "../helpers/log-records.js";

// --- helpers ---

/** Spans of keyless records with these values. */


/** The values from `from` to the high watermark, read 300 bytes at a time, checked by `readAll` to have contiguous offsets. */
async function readValues(log: Log, from?: bigint): Promise<Array<string | null>> {
  return (await readAll(log, { from, maxBytes: 300, contiguous: true })).map((r) => r.value);
}

/** Start positions of the frames in a .log file (baseOffset int64, batchLength int32). */
async function frameStarts(file: string): Promise<number[]> {
  const buf = await fs.readFile(file);
  const starts: number[] = [];
  for (let p = 0; p < buf.length; p += 12 + buf.readInt32LE(p + 8)) starts.push(p);
  return starts;
}

async function flipByte(file: string, position: number): Promise<void> {
  const handle = await fs.open(file, "r+");
  const one = Buffer.alloc(1);
  await handle.read(one, 0, 1, position);
  one[0] ^= 0x40;
  await handle.write(one, 0, 1, position);
  await handle.close();
}

// --- fixture ---

let dir: string;
const clock = { nowMs: () => 1_700_000_000_000 };
const logger = pino({ level: "silent" });
const opened: Log[] = [];
const segmentFile = (base: number, suffix = ".log"): string => path.join(dir, `${String(base).padStart(20, "0")}${suffix}`);

async function open(overrides: Partial<LogConfig> = {}, at = dir): Promise<Log> {
  const config = { ...defaultLogConfig, segmentBytes: 2048, indexIntervalBytes: 128, ...overrides };
  const log = await Log.open({ dir: at, config, logger, clock });
  opened.push(log);
  return log;
}


beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-recovery-"));
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("Log recovery", () => {
  it("reopens with the same offsets and records and keeps appending contiguously", async () => {
    let log = await open();
    const all = await fillEightBatches(log);
    const segments = log.segmentCount;
    await log.close();
    log = await open();
    expect(log.segmentCount).toBe(segments);
    expect([log.logEndOffset, log.highWatermark]).toEqual([80n, 80n]);
    expect(await readValues(log)).toEqual(all);
    expect(log.append(spansOfValues(["next"])).baseOffset).toBe(80n);
  });

  it("truncates a torn tail and keeps offsets contiguous", async () => {
    let log = await open({ segmentBytes: 1 << 20 });
    const all = await fillEightBatches(log);
    await log.close();
    const file = segmentFile(0);
    const starts = await frameStarts(file);
    await fs.truncate(file, (await fs.stat(file)).size - 7);
    log = await open({ segmentBytes: 1 << 20 });
    expect(log.logEndOffset).toBe(70n);
    expect((await fs.stat(file)).size).toBe(starts[7]);
    expect(await readValues(log)).toEqual(all.slice(0, 70));
    await log.append(spansOfValues(["after"])).durable;
    expect(decode((await log.read(70n, 100)).chunks)).toEqual([{ offset: 70, timestampMs: clock.nowMs(), key: "", value: "after" }]);
  });

  it("truncates a tail batch with a flipped bit", async () => {
    let log = await open({ segmentBytes: 1 << 20 });
    const all = await fillEightBatches(log);
    await log.close();
    const starts = await frameStarts(segmentFile(0));
    await flipByte(segmentFile(0), starts[7] + 100); // recovery scans from the last index entry
    log = await open({ segmentBytes: 1 << 20 });
    expect(log.logEndOffset).toBe(70n);
    expect((await fs.stat(segmentFile(0))).size).toBe(starts[7]);
    expect(await readValues(log)).toEqual(all.slice(0, 70));
    expect(log.append(spansOfValues(["after"])).baseOffset).toBe(70n);
  });

  it("does not trust an index past the log's valid length", async () => {
    let log = await open({ segmentBytes: 1 << 20, indexIntervalBytes: 0 });
    const all = await fillEightBatches(log);
    await log.close();
    const starts = await frameStarts(segmentFile(0));
    await fs.truncate(segmentFile(0), starts[4] + 20); // the saved index names frames 5..7
    log = await open({ segmentBytes: 1 << 20, indexIntervalBytes: 0 });
    expect(log.logEndOffset).toBe(40n);
    expect(await readValues(log)).toEqual(all.slice(0, 40));
    await log.append(spansOfValues(valueBatch("z", 10))).durable;
    expect(await readValues(log, 35n)).toEqual([...all.slice(35, 40), ...valueBatch("z", 10)]);
  });

  it("rebuilds deleted indexes from the log", async () => {
    let log = await open();
    const all = await fillEightBatches(log);
    await log.close();
    for (const name of await fs.readdir(dir)) if (/index$/.test(name)) await fs.rm(path.join(dir, name));
    log = await open();
    expect(await readValues(log)).toEqual(all);
    expect(await readValues(log, 47n)).toEqual(all.slice(47));
    expect((await log.offsetForTimestamp(0))?.offset).toBe(0n);
    await expect(fs.stat(segmentFile(0, ".index"))).resolves.toBeDefined(); // saved again
  });

  it("rebuilds an index whose entries point at the wrong positions", async () => {
    let log = await open();
    const all = await fillEightBatches(log);
    await log.close();
    const index = await fs.readFile(segmentFile(0, ".index"));
    expect(index.length).toBeGreaterThan(0);
    for (let p = 4; p < index.length; p += 8) index.writeInt32LE(index.readInt32LE(p) + 3, p);
    await fs.writeFile(segmentFile(0, ".index"), index);
    await fs.writeFile(segmentFile(0, ".timeindex"), Buffer.from("not an index"));
    log = await open();
    expect(await readValues(log)).toEqual(all);
    expect(await readValues(log, 13n)).toEqual(all.slice(13));
  });

  it("rejects a read of a damaged batch in a sealed segment while other offsets still read", async () => {
    let log = await open();
    const all = await fillEightBatches(log);
    expect(log.segmentCount).toBeGreaterThan(2);
    await log.close();
    const starts = await frameStarts(segmentFile(0));
    expect(starts.length).toBeGreaterThan(2);
    await flipByte(segmentFile(0), starts[1] + 80); // records 10..19
    log = await open();
    expect(log.logEndOffset).toBe(80n); // a sealed segment is not truncated
    await expect(log.read(12n, 1000)).rejects.toBeInstanceOf(CorruptDataError);
    await expect(log.read(10n, 1000)).rejects.toMatchObject({ reason: "CORRUPT_DATA", kind: "data_loss" });
    expect(decode((await log.read(0n, 1 << 20)).chunks).map((r) => r.value)).toEqual(all.slice(0, 10));
    expect(await readValues(log, 20n)).toEqual(all.slice(20));
  });

  it("recovers from a crash without a clean close, including idempotent producer state", async () => {
    const log = await open();
    await fillEightBatches(log);
    await log.append(spansOfValues(["idem"]), { producerId: 9n, sequence: 3n }).durable;
    log.append(spansOfValues(valueBatch("i", 10)));
    await log.flush();
    const crashed = path.join(dir, "crashed"); // the files as a kill -9 leaves them: no index saves, no snapshot
    await fs.mkdir(crashed);
    for (const name of await fs.readdir(dir)) if (name !== "crashed") await fs.copyFile(path.join(dir, name), path.join(crashed, name));
    const recovered = await open({}, crashed);
    expect(recovered.logEndOffset).toBe(91n);
    expect(await readValues(recovered)).toEqual(await readValues(log));
    expect(recovered.append(spansOfValues(["idem"]), { producerId: 9n, sequence: 3n })).toMatchObject({ baseOffset: 80n, duplicate: true });
  });

  it("keeps the producer state of sealed segments across a crash (snapshot at every roll)", async () => {
    const log = await open();
    await log.append(spansOfValues(["idem"]), { producerId: 7n, sequence: 1n }).durable;
    // Enough to roll past the segment holding the idempotent batch (segmentBytes 2048).
    await fillEightBatches(log);
    await log.flush();
    expect((await fs.readdir(dir)).filter((n) => n.endsWith(".log")).length).toBeGreaterThan(1);
    const crashed = path.join(dir, "crashed"); // the files as a kill -9 leaves them: no clean close
    await fs.mkdir(crashed);
    for (const name of await fs.readdir(dir)) if (name !== "crashed") await fs.copyFile(path.join(dir, name), path.join(crashed, name));
    const recovered = await open({}, crashed);
    expect(recovered.append(spansOfValues(["idem"]), { producerId: 7n, sequence: 1n })).toMatchObject({ baseOffset: 0n, duplicate: true });
    expect(() => recovered.append(spansOfValues(["late"]), { producerId: 7n, sequence: 0n })).toThrow(/sequence/);
  });

  it("keeps every acknowledged append when the process is killed with SIGKILL", async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const child = path.join(dir, "writer.mts");
    await fs.writeFile(
      child,
      `import { pino } from ${JSON.stringify(createRequire(import.meta.url).resolve("pino"))};
       import { Log, defaultLogConfig } from ${JSON.stringify(path.resolve(here, "../../services/log/index.ts"))};
       const log = await Log.open({ dir: process.argv[2], config: { ...defaultLogConfig, fsyncPolicy: "never", segmentBytes: 4096 },
         logger: pino({ level: "silent" }), clock: { nowMs: () => Date.now() } });
       const source = Buffer.from([0x22, 3, 0x61, 0x62, 0x63]);
       const spans = { source, starts: Uint32Array.of(0, 0), ends: Uint32Array.of(5, 5), timestamps: new Float64Array(2), count: 2 };
       for (let i = 0; ; i++) {
         await log.append(spans).durable;
         if (i === 500) process.stdout.write("acked\\n");
       }`,
    );
    const data = path.join(dir, "partition");
    const proc = spawn(process.execPath, ["--import", "tsx", child, data], { cwd: path.resolve(here, "../.."), stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("acked") && resolve());
      proc.on("exit", (code) => reject(new Error(`writer exited with ${code}`)));
    });
    proc.kill("SIGKILL");
    await new Promise((resolve) => proc.once("exit", resolve));
    const log = await open({ segmentBytes: 4096 }, data);
    expect(log.logEndOffset).toBeGreaterThanOrEqual(1002n);
    expect(log.logEndOffset % 2n).toBe(0n); // whole batches only
    const last = decode((await log.read(log.logEndOffset - 1n, 100)).chunks);
    expect(last).toEqual([{ offset: Number(log.logEndOffset) - 1, timestampMs: expect.any(Number), key: "", value: "abc" }]);
  }, 20_000);
});
