/**
 * Crash safety of Log.truncateTo (issue 15, section 1): a child process truncates a
 * log and is killed with SIGKILL just before each file-system operation of the
 * truncation in turn (test/helpers/truncate-child.ts); the log reopened afterwards must
 * be exactly the old log or exactly the truncated one, never a mix, and take appends.
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFrameHeader } from "../../services/log/batch-frame.js";
import { Log, defaultLogConfig } from "../../services/log/index.js";
import { readAll } from "../helpers/log-records.js";

const child = fileURLToPath(new URL("../helpers/truncate-child.ts", import.meta.url));
const config = { ...defaultLogConfig, segmentBytes: 400, indexIntervalBytes: 64 };
const logger = pino({ level: "silent" });
const clock = { nowMs: () => 1_700_000_000_000 };
let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "tributary-truncate-crash-"));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A frame of `values` at `base` in leader epoch `epoch`, by producer 5 with sequence `base`. */
function frame(base: number, epoch: number, values: string[]): Buffer {
  const entries = values.map((value, i) => {
    const inner = Buffer.alloc(9 + 2 + value.length);
    inner[0] = 0x09;
    inner.writeBigInt64LE(BigInt(base + i), 1);
    inner[9] = 0x22;
    inner[10] = value.length;
    inner.write(value, 11);
    return Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
  });
  const buf = Buffer.concat([Buffer.alloc(63), ...entries]);
  writeFrameHeader(buf, 0, {
    baseOffset: base,
    frameLength: buf.length,
    recordCount: values.length,
    leaderEpoch: epoch,
    firstTimestamp: 1_600_000_000_000,
    maxTimestamp: 1_600_000_000_000 + base,
    producerId: 5n,
    baseSequence: BigInt(base),
  });
  return buf;
}

/** Runs the child; resolves with its stdout and how it ended. */
function runChild(at: string, target: number, killAt: number): Promise<{ stdout: string; signal: NodeJS.Signals | null; code: number | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", child, at, String(target), String(killAt)], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.on("error", reject);
    p.on("exit", (code, signal) => resolve({ stdout, signal, code }));
  });
}

interface State {
  values: Array<string | null>;
  epochs: Array<{ epoch: number; startOffset: number }>;
}

async function stateOf(log: Log): Promise<State> {
  return { values: (await readAll(log, { contiguous: true })).map((r) => r.value), epochs: log.leaderEpochs() };
}

describe("Log.truncateTo after a crash", () => {
  it("reopens as the old log or the truncated one at every crash point", { timeout: 300_000 }, async () => {
    // 40 records in batches of 4 (epochs 1, 2, 3) over several segments; truncate to 20,
    // inside the second segment: later segments go, one is cut.
    const source = path.join(dir, "source");
    const log = await Log.open({ dir: source, config, logger, clock });
    const frames: Buffer[] = [];
    for (let base = 0; base < 40; base += 4) frames.push(frame(base, base < 8 ? 1 : base < 24 ? 2 : 3, [0, 1, 2, 3].map((i) => `r${base + i}`)));
    await log.appendAsFollower(Buffer.concat(frames)).durable;
    const old = await stateOf(log);
    expect(log.segmentCount).toBeGreaterThan(3);
    await log.close(); // clean: a producer snapshot and the clean-shutdown marker exist
    const target = 20;
    const truncated: State = { values: old.values.slice(0, target), epochs: old.epochs.filter((e) => e.startOffset < target) };

    const counting = path.join(dir, "counting");
    await fs.cp(source, counting, { recursive: true });
    const full = await runChild(counting, target, -1);
    expect(full.code).toBe(0);
    const total = Number(full.stdout.trim().split("\n").pop());
    expect(total).toBeGreaterThan(10);
    expect(total).toBeLessThan(60); // bounds the runs below

    const seen = { old: 0, truncated: 0 };
    for (let killAt = 1; killAt <= total + 1; killAt++) {
      const at = path.join(dir, `run-${killAt}`);
      await fs.cp(source, at, { recursive: true });
      const run = await runChild(at, target, killAt);
      if (killAt <= total) expect(run.signal, `kill at ${killAt}`).toBe("SIGKILL");
      const reopened = await Log.open({ dir: at, config, logger, clock });
      try {
        const state = await stateOf(reopened);
        const isOld = JSON.stringify(state.values) === JSON.stringify(old.values);
        if (isOld) seen.old++;
        else {
          expect(state.values, `kill at ${killAt}`).toEqual(truncated.values);
          seen.truncated++;
        }
        // Epochs: those of the records kept, plus the new one an unclean start begins.
        const expected = isOld ? old.epochs : truncated.epochs;
        expect(state.epochs.slice(0, expected.length), `kill at ${killAt}`).toEqual(expected);
        expect(state.epochs.length, `kill at ${killAt}`).toBeLessThanOrEqual(expected.length + 1);
        await reopened.append({ source: Buffer.from([0x22, 1, 0x78]), starts: Uint32Array.of(0), ends: Uint32Array.of(3), timestamps: Float64Array.of(0), count: 1 }).durable;
        expect((await readAll(reopened, { contiguous: true })).pop()?.value).toBe("x");
      } finally {
        await reopened.close();
      }
      await fs.rm(at, { recursive: true, force: true });
    }
    expect(seen.old).toBeGreaterThan(0);
    expect(seen.truncated).toBeGreaterThan(0);
  });
});
