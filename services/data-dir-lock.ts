import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { TributaryError } from "./errors.js";

/**
 * One broker per data directory: `<data>/.lock` holds the owner's pid. A lock
 * left by a process that no longer runs (kill -9) is taken over; a live owner
 * is a clear start-up error rather than two brokers appending to one log.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, ".lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, "wx");
      await file.writeFile(String(process.pid));
      await file.close();
      return () => unlink(path).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number((await readFile(path, "utf8").catch(() => "")).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new TributaryError(
          "precondition",
          "DATA_DIR_LOCKED",
          `data directory ${dataDir} is in use by process ${owner}`,
        );
      }
      await unlink(path).catch(() => undefined);
    }
  }
  throw new TributaryError("precondition", "DATA_DIR_LOCKED", `could not lock data directory ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
