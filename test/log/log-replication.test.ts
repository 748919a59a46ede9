/**
 * The Log API a replica needs (issue 15, section 1; CLUSTER.md section 4): the written
 * end and the high watermark as two positions.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../services/errors.js";
import { Log, defaultLogConfig, type LogConfig } from "../../services/log/index.js";
import { decode, spansOf } from "../helpers/log-records.js";

let dir: string;
const clock = { nowMs: () => 1_700_000_000_000 };
const logger = pino({ level: "silent" });
const opened: Log[] = [];

async function open(at: string, options: { replicated?: boolean; config?: Partial<LogConfig> } = {}): Promise<Log> {
  const config = { ...defaultLogConfig, segmentBytes: 4096, indexIntervalBytes: 128, ...options.config };
  const log = await Log.open({ dir: at, config, logger, clock, replicated: options.replicated });
  opened.push(log);
  return log;
}
const batch = (prefix: string, n: number) => spansOf(Array.from({ length: n }, (_, i) => ({ value: `${prefix}${i}` })));

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-replication-"));
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("Log high watermark and written end", () => {
  it("on one broker moves the high watermark with the written end", async () => {
    const log = await open(path.join(dir, "p"));
    const result = log.append(batch("a", 3));
    expect([log.logEndOffset, log.writtenEndOffset, log.highWatermark]).toEqual([3n, 0n, 0n]);
    await result.durable;
    expect([log.logEndOffset, log.writtenEndOffset, log.highWatermark]).toEqual([3n, 3n, 3n]);
    expect(log.advanceHighWatermark(1n)).toBe(3n); // never back
  });

  it("in a replicated log moves the high watermark only when told, in whole flushes, never past the written end", async () => {
    const log = await open(path.join(dir, "p"), { replicated: true });
    const woken: bigint[] = [];
    log.onHighWatermark(() => woken.push(log.highWatermark));
    await log.append(batch("a", 3)).durable;
    await log.append(batch("b", 2)).durable;
    expect([log.logEndOffset, log.writtenEndOffset, log.highWatermark]).toEqual([5n, 5n, 0n]);
    expect((await log.read(0n, 1000)).recordCount).toBe(0);

    expect(log.advanceHighWatermark(2n)).toBe(0n); // inside the first flush: stays
    expect(log.advanceHighWatermark(4n)).toBe(3n);
    const read = await log.read(0n, 1000);
    expect(decode(read.chunks).map((r) => r.value)).toEqual(["a0", "a1", "a2"]);
    expect(read.highWatermark).toBe(3n);
    expect(log.advanceHighWatermark(100n)).toBe(5n); // up to the written end only
    expect(decode((await log.read(3n, 1000)).chunks).map((r) => r.value)).toEqual(["b0", "b1"]);
    expect(woken).toEqual([3n, 5n]);
    expect(() => log.advanceHighWatermark(-1n)).toThrow(InvalidArgumentError);
  });
});
