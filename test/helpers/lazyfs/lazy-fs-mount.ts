/**
 * Mounts lazyfs.py (a FUSE file system that loses what was not fsynced; see the file
 * comment there for what it models) over a fresh backing directory, and drives it:
 * `drop()` is the power cut, `unmount()` the clean shutdown. Needs root (or /dev/fuse
 * access), Debian's `fuse` and `python3-fusepy` (scripts/setup.mjs installs them).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./lazyfs.py", import.meta.url));
/** Debian's interpreter: python3-fusepy is installed for it, not for a pyenv python3. */
const python = "/usr/bin/python3";
const mountTimeoutMs = 30_000;
const unmountTimeoutMs = 30_000;

export interface LazyFsCounters {
  readonly entries: LazyFsEntries;
  readonly drops: number;
  readonly dirtyFiles: number;
  readonly dirtyPageBytes: number;
  readonly unsyncedDirs: number;
}

export interface LazyFsMount {
  /** Where the volatile view is mounted: put the data directory here. */
  readonly mountpoint: string;
  /** The durable state: after `drop()` the mount shows exactly this. */
  readonly backing: string;
  /** The power cut: everything not fsynced is forgotten. Stop the writer first (kill -9). */
  drop(): Promise<void>;
  /** sync(2): everything becomes durable. */
  sync(): Promise<void>;
  /** Switches the entries model from now on. */
  setEntries(entries: LazyFsEntries): Promise<void>;
  counters(): Promise<LazyFsCounters>;
  /** What lazyfs.py wrote to stderr: empty unless an operation failed inside the model
   * (fusepy then answers EINVAL, which the writer would take for a real error). */
  errors(): string;
  /** Unmounts (a clean unmount syncs first), ends the process and removes both
   * directories (the backing one too unless `keepBacking`: then the caller removes it). */
  unmount(options?: { keepBacking?: boolean }): Promise<void>;
}

/** True when this machine can mount lazyfs: /dev/fuse, fusermount and fusepy present. */
export function lazyFsUsable(): boolean {
  const fusepy = spawnSync(python, ["-c", "import fusepy"], { stdio: "ignore" }).status === 0;
  const fusermount = spawnSync("fusermount", ["-V"], { stdio: "ignore" }).status === 0;
  return fusepy && fusermount;
}

function exitOf(child: ChildProcess): Promise<number | NodeJS.Signals | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
}

/** Resolves with `promise`, or rejects after `ms` with `what` in the message. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`lazyfs: ${what} took over ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function isMounted(mountpoint: string): boolean {
  const table = readFileSync("/proc/self/mountinfo", "utf8");
  return table.split("\n").some((line) => line.split(" ")[4] === mountpoint);
}

/**
 * When directory entries (creates, renames, unlinks) become durable: `strict` (POSIX)
 * at an fsync of their directory; `journal` (ext4, XFS in practice) at any fsync.
 */
export type LazyFsEntries = "strict" | "journal";

export async function mountLazyFs(options: { entries?: LazyFsEntries } = {}): Promise<LazyFsMount> {
  const backing = await mkdtemp(join(tmpdir(), "lazyfs-backing-"));
  const mountpoint = await mkdtemp(join(tmpdir(), "lazyfs-mnt-"));
  const child = spawn(python, [script, "--entries", options.entries ?? "strict", backing, mountpoint], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = exitOf(child);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const removeDirs = async (keepBacking = false) => {
    await rm(mountpoint, { recursive: true, force: true });
    if (!keepBacking) await rm(backing, { recursive: true, force: true });
  };
  try {
    // lazyfs.py prints its ready line from FUSE's init, which the kernel sends once mounted.
    await within(
      new Promise<void>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("lazyfs ready")) resolve();
        });
        void exited.then((how) => reject(new Error(`lazyfs exited (${String(how)}) before it was mounted: ${stderr}`)));
      }),
      mountTimeoutMs,
      "mounting",
    );
    if (!isMounted(mountpoint)) throw new Error(`lazyfs: ready, but ${mountpoint} is not in the mount table`);
  } catch (err) {
    if (isMounted(mountpoint)) spawnSync("fusermount", ["-u", "-z", mountpoint]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    await removeDirs();
    throw err;
  }

  const control = join(mountpoint, ".lazyfs");
  let unmounted = false;
  return {
    mountpoint,
    backing,
    drop: () => writeFile(control, "drop"),
    sync: () => writeFile(control, "sync"),
    setEntries: (entries) => writeFile(control, `entries ${entries}`),
    counters: async () => JSON.parse(await readFile(control, "utf8")) as LazyFsCounters,
    errors: () => stderr,
    async unmount(options = {}) {
      if (unmounted) return;
      unmounted = true;
      try {
        const clean = spawnSync("fusermount", ["-u", mountpoint], { encoding: "utf8" });
        if (clean.status !== 0) {
          // Busy (a process still has files open there): detach it anyway, so a failed
          // test never leaves a mount behind.
          spawnSync("fusermount", ["-u", "-z", mountpoint]);
        }
        try {
          await within(exited, unmountTimeoutMs, "unmounting");
        } catch (err) {
          child.kill("SIGKILL");
          await exited;
          throw err;
        }
        if (clean.status !== 0) throw new Error(`lazyfs: fusermount -u ${mountpoint} failed: ${clean.stderr}`);
      } finally {
        await removeDirs(options.keepBacking);
      }
    },
  };
}
