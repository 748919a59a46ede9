/**
 * Small promise wrappers over numeric file descriptors. Numeric fds (not FileHandle)
 * because a roll opens the next segment synchronously inside `append`; the log closes
 * an fd only when no read holds it (see LogSegment.acquire), so an fd number is never
 * reused under a pending read.
 */
import fs from "node:fs";
import path from "node:path";
import { StorageFullError, TooManyOpenFilesError, UnavailableError } from "../errors.js";

/** Reads up to `length` bytes at `position` into a new buffer, or the start of `into`
 * (at least `length` long). Shorter only at end of file. */
export function pread(fd: number, position: number, length: number, into?: Buffer): Promise<Buffer> {
  const buf = into === undefined ? Buffer.allocUnsafeSlow(length) : into.subarray(0, length);
  return new Promise((resolve, reject) => {
    let done = 0;
    const step = (): void => {
      fs.read(fd, buf, done, length - done, position + done, (err, n) => {
        if (err) return reject(err);
        done += n;
        if (n === 0 || done === length) return resolve(done === length ? buf : buf.subarray(0, done));
        step();
      });
    };
    step();
  });
}

/** Writes all of `buffers` at `position` with as few writev calls as the OS allows. */
export function pwritev(fd: number, buffers: Buffer[], position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (bufs: Buffer[], at: number): void => {
      fs.writev(fd, bufs, at, (err, written) => {
        if (err) return reject(err);
        const remaining = unwritten(bufs, written);
        if (remaining === null) return resolve();
        step(remaining, at + written);
      });
    };
    step(buffers, position);
  });
}

/** `pwritev` done on the calling thread (no thread-pool hop): for writes into the page
 * cache, which take microseconds. Throws the fs error. */
export function pwritevSync(fd: number, buffers: Buffer[], position: number): void {
  let bufs: Buffer[] | null = buffers;
  let at = position;
  while (bufs !== null) {
    const written = fs.writevSync(fd, bufs, at);
    bufs = unwritten(bufs, written);
    at += written;
  }
}

/** What a writev of `bufs` that wrote `written` bytes left to write, or null when all. */
function unwritten(bufs: Buffer[], written: number): Buffer[] | null {
  let rest = written;
  let i = 0;
  while (i < bufs.length && rest >= bufs[i].length) rest -= bufs[i++].length;
  if (i === bufs.length) return null;
  const remaining = bufs.slice(i);
  remaining[0] = remaining[0].subarray(rest);
  return remaining;
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
}

/** Makes a directory's entries (created, renamed files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** What `writeFileAtomic` appends to a file's name for its temporary file. */
export const atomicTmpSuffix = ".tmp";

/** Replaces `file` atomically: write a temporary file, optionally fsync it and the
 * directory, rename. With `durable` and `syncDir: false` the file is fsynced before the
 * rename but the caller fsyncs the directory (once for several files). */
export async function writeFileAtomic(file: string, data: Buffer, durable: boolean, options?: { syncDir?: boolean }): Promise<void> {
  const tmp = `${file}${atomicTmpSuffix}`;
  const handle = await fs.promises.open(tmp, "w");
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, file);
  if (durable && (options?.syncDir ?? true)) await fsyncDir(path.dirname(file));
}

/** Reads a whole file, or null if it does not exist. */
export async function readFileIfExists(file: string): Promise<Buffer | null> {
  try {
    return await fs.promises.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

export async function unlinkIfExists(file: string): Promise<void> {
  try {
    await fs.promises.unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/** Maps an fs failure to the typed error callers see: ENOSPC/EDQUOT become
 * StorageFullError, EMFILE/ENFILE RESOURCE_EXHAUSTED TOO_MANY_OPEN_FILES, anything
 * else UnavailableError STORAGE_ERROR (cause attached). */
export function storageError(err: unknown): Error {
  if (err instanceof StorageFullError || err instanceof UnavailableError) return err;
  if (err instanceof TooManyOpenFilesError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return new StorageFullError({ cause: err });
  if (code === "EMFILE" || code === "ENFILE") {
    return new TooManyOpenFilesError("the broker is out of file descriptors", { cause: err });
  }
  return new UnavailableError("STORAGE_ERROR", "storage i/o failed", { cause: err });
}

export function openFd(file: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

export function fileSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (err, stats) => (err ? reject(err) : resolve(stats.size))));
}

export function ftruncate(fd: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, length, (err) => (err ? reject(err) : resolve())));
}
