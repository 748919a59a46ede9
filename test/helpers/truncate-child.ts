/**
 * A child process for the crash tests of Log.truncateTo (test/log/log-truncate-crash.test.ts):
 * opens the log in argv[2], truncates it to argv[3], and kills itself with SIGKILL just
 * before its `argv[4]`th file-system operation that changes something or makes it
 * durable (open, rename, unlink, ftruncate, fsync), counted from the start of
 * truncateTo; -1 counts them without killing and prints the count as the last line.
 * The operations are node's own, wrapped here; the log's code is not changed.
 */
import fs from "node:fs";
import { pino } from "pino";
import { Log, defaultLogConfig } from "../../services/log/index.js";

const [dir, target, killAt] = [process.argv[2], BigInt(process.argv[3]), Number(process.argv[4])];
let armed = false;
let ops = 0;

function counted<F extends (...args: never[]) => unknown>(fn: F): F {
  return function (this: unknown, ...args: never[]) {
    if (armed && ++ops === killAt) process.kill(process.pid, "SIGKILL");
    return fn.apply(this, args);
  } as F;
}

const promises = fs.promises as unknown as Record<string, (...args: never[]) => unknown>;
for (const name of ["open", "rename", "unlink"]) promises[name] = counted(promises[name]);
const callbacks = fs as unknown as Record<string, (...args: never[]) => unknown>;
for (const name of ["open", "ftruncate", "fdatasync", "fsync"]) callbacks[name] = counted(callbacks[name]);

const log = await Log.open({
  dir,
  config: { ...defaultLogConfig, segmentBytes: 400, indexIntervalBytes: 64 },
  logger: pino({ level: "silent" }),
  clock: { nowMs: () => 1_700_000_000_000 },
});
armed = true;
await log.truncateTo(target);
armed = false;
console.log(String(ops));
process.exit(0); // no clean close: whatever the truncation left is what a crash right after leaves
