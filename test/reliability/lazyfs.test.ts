import { closeSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, truncate, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mountLazyFs, type LazyFsMount } from "../helpers/lazyfs/lazy-fs-mount.js";
import { prng } from "../../scripts/torture.js";

/** fsync of a file's data. */
function fsyncFile(path: string): void {
  const fd = openSync(path, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of a directory: makes its entries (creates, renames, unlinks) durable. */
function fsyncDir(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The file system the power-loss test puts the broker's data on (test/helpers/lazyfs):
 * checked by itself first, since a model that kept too much would hide the broker's bugs
 * and one that lost too much would invent them.
 */
describe("lazyfs", () => {
  let fs: LazyFsMount;
  let at: (name: string) => string;
  beforeEach(async () => {
    fs = await mountLazyFs();
    at = (name) => join(fs.mountpoint, name);
  });
  afterEach(async () => {
    await fs.unmount();
    expect(fs.errors()).toBe("");
  });

  it("shows unsynced writes before a drop and loses them at it; fsynced data survives", async () => {
    await writeFile(at("a"), "durable");
    fsyncFile(at("a"));
    fsyncDir(fs.mountpoint);
    const fd = openSync(at("a"), "a");
    writeSync(fd, "+volatile");
    closeSync(fd);
    expect(await readFile(at("a"), "utf8")).toBe("durable+volatile");
    expect((await fs.counters()).dirtyFiles).toBe(1);
    await fs.drop();
    expect(await readFile(at("a"), "utf8")).toBe("durable");
    expect(await readFile(join(fs.backing, "a"), "utf8")).toBe("durable");
    expect(await fs.counters()).toEqual({ entries: "strict", drops: 1, dirtyFiles: 0, dirtyPageBytes: 0, unsyncedDirs: 0 });
  });

  it("keeps unsynced data out of the backing directory until fsync", async () => {
    await writeFile(at("a"), "x".repeat(10_000));
    fsyncDir(fs.mountpoint);
    expect((await stat(join(fs.backing, "a"))).size).toBe(0);
    fsyncFile(at("a"));
    expect(await readFile(join(fs.backing, "a"), "utf8")).toBe("x".repeat(10_000));
  });

  it("loses a created and fsynced file whose directory was not fsynced (strict POSIX, not ext4's habit)", async () => {
    await writeFile(at("new"), "data");
    fsyncFile(at("new"));
    expect(await exists(join(fs.backing, "new"))).toBe(false);
    await fs.drop();
    expect(await exists(at("new"))).toBe(false);
  });

  it("keeps a file whose directory was fsynced but not its data, empty", async () => {
    await writeFile(at("entry-only"), "data");
    fsyncDir(fs.mountpoint);
    await fs.drop();
    expect(await readFile(at("entry-only"), "utf8")).toBe("");
  });

  it("writes a file's data synced before its entry when the directory is fsynced later", async () => {
    await writeFile(at("late"), "synced");
    fsyncFile(at("late"));
    await writeFile(at("late"), "synced, then rewritten");
    fsyncDir(fs.mountpoint);
    await fs.drop();
    expect(await readFile(at("late"), "utf8")).toBe("synced");
  });

  it("reverts a rename that no directory fsync made durable, and keeps one that was", async () => {
    await writeFile(at("meta"), "v1");
    fsyncFile(at("meta"));
    fsyncDir(fs.mountpoint);
    // The write-temporary-then-rename pattern, without the directory fsync.
    await writeFile(at("meta.tmp"), "v2");
    fsyncFile(at("meta.tmp"));
    await rename(at("meta.tmp"), at("meta"));
    expect(await readFile(at("meta"), "utf8")).toBe("v2");
    await fs.drop();
    expect(await readFile(at("meta"), "utf8")).toBe("v1");
    expect(await exists(at("meta.tmp"))).toBe(false);
    // Now with it.
    await writeFile(at("meta.tmp"), "v3");
    fsyncFile(at("meta.tmp"));
    await rename(at("meta.tmp"), at("meta"));
    fsyncDir(fs.mountpoint);
    await fs.drop();
    expect(await readFile(at("meta"), "utf8")).toBe("v3");
    expect(await readdir(fs.backing)).toEqual(["meta"]);
  });

  it("swaps two files by renames made durable by one directory fsync", async () => {
    await writeFile(at("x"), "X");
    await writeFile(at("y"), "Y");
    await fs.sync();
    await rename(at("x"), at("t"));
    await rename(at("y"), at("x"));
    await rename(at("t"), at("y"));
    fsyncDir(fs.mountpoint);
    await fs.drop();
    expect([await readFile(at("x"), "utf8"), await readFile(at("y"), "utf8")]).toEqual(["Y", "X"]);
  });

  it("reverts an unlink without a directory fsync; an unlinked file stays readable while open", async () => {
    await writeFile(at("gone"), "still here");
    await fs.sync();
    const fd = openSync(at("gone"), "r");
    await unlink(at("gone"));
    fsyncDir(fs.mountpoint);
    expect(await exists(join(fs.backing, "gone"))).toBe(false);
    const buf = Buffer.alloc(64);
    expect(buf.subarray(0, readSync(fd, buf, 0, 64, 0)).toString()).toBe("still here");
    closeSync(fd);

    await writeFile(at("back"), "b");
    await fs.sync();
    await unlink(at("back"));
    await fs.drop();
    expect(await readFile(at("back"), "utf8")).toBe("b");
  });

  it("reverts truncations until fsync; a shrink then a grow reads zeros, before and after fsync", async () => {
    await writeFile(at("t"), "0123456789".repeat(1000));
    await fs.sync();
    await truncate(at("t"), 5);
    expect(await readFile(at("t"), "utf8")).toBe("01234");
    await fs.drop();
    expect((await readFile(at("t"))).length).toBe(10_000);

    const fd = openSync(at("t"), "r+");
    ftruncateSync(fd, 5);
    ftruncateSync(fd, 9000);
    const expected = Buffer.concat([Buffer.from("01234"), Buffer.alloc(8995)]);
    expect(await readFile(at("t"))).toEqual(expected);
    fsyncSync(fd);
    closeSync(fd);
    await fs.drop();
    expect(await readFile(at("t"))).toEqual(expected);
  });

  it("loses a new directory, with its fsynced files, until its parent is fsynced", async () => {
    await mkdir(at("topic-0"));
    await writeFile(at("topic-0/seg"), "records");
    fsyncFile(at("topic-0/seg"));
    fsyncDir(at("topic-0"));
    await fs.drop();
    expect(await exists(at("topic-0"))).toBe(false);

    await mkdir(at("topic-0"));
    await writeFile(at("topic-0/seg"), "records");
    fsyncFile(at("topic-0/seg"));
    fsyncDir(at("topic-0"));
    fsyncDir(fs.mountpoint);
    await fs.drop();
    expect(await readFile(at("topic-0/seg"), "utf8")).toBe("records");
  });

  it("brings a removed directory tree back when the removal was not made durable", async () => {
    await mkdir(at("d"));
    await writeFile(at("d/f"), "f");
    await fs.sync();
    await unlink(at("d/f"));
    fsyncDir(at("d"));
    await rmdir(at("d"));
    await fs.drop();
    expect(await readdir(at("d"))).toEqual([]);
    await rmdir(at("d"));
    fsyncDir(fs.mountpoint);
    await fs.drop();
    expect(await exists(at("d"))).toBe(false);
    expect(await exists(join(fs.backing, "d"))).toBe(false);
  });

  it("matches a model of page cache and disk under random writes, truncations, fsyncs and drops", async () => {
    const random = prng(1414);
    const file = at("model");
    await writeFile(file, "");
    fsyncDir(fs.mountpoint);
    let volatile = Buffer.alloc(0);
    let durable = Buffer.alloc(0);
    let fd = openSync(file, "r+");
    for (let step = 0; step < 300; step++) {
      const op = random();
      if (op < 0.5) {
        // A write anywhere up to a little past the end (a hole reads zeros), often crossing pages.
        const offset = Math.floor(random() * (volatile.length + 6000));
        const data = Buffer.alloc(1 + Math.floor(random() * 9000), String.fromCharCode(97 + (step % 26)));
        writeSync(fd, data, 0, data.length, offset);
        const grown = Buffer.alloc(Math.max(volatile.length, offset + data.length));
        volatile.copy(grown);
        data.copy(grown, offset);
        volatile = grown;
      } else if (op < 0.65) {
        const length = Math.floor(random() * (volatile.length + 5000));
        ftruncateSync(fd, length);
        const resized = Buffer.alloc(length);
        volatile.copy(resized, 0, 0, Math.min(length, volatile.length));
        volatile = resized;
      } else if (op < 0.85) {
        fsyncSync(fd);
        durable = Buffer.from(volatile);
      } else {
        closeSync(fd);
        await fs.drop();
        volatile = Buffer.from(durable);
        fd = openSync(file, "r+");
      }
      if (step % 10 === 0 || op >= 0.85) expect(await readFile(file), `step ${step}`).toEqual(volatile);
    }
    closeSync(fd);
    expect(await readFile(file)).toEqual(volatile);
    await fs.drop();
    expect(await readFile(file)).toEqual(durable);
  });

  it("with entries journal, makes every entry durable at any fsync, and still no unsynced data", async () => {
    await fs.setEntries("journal");
    await mkdir(at("d"));
    await writeFile(at("d/other"), "never fsynced");
    await writeFile(at("meta"), "v1");
    await rename(at("meta"), at("meta.renamed"));
    await writeFile(at("seg"), "synced");
    fsyncFile(at("seg")); // no directory fsync anywhere
    await fs.drop();
    expect(await readFile(at("seg"), "utf8")).toBe("synced");
    expect(await readFile(at("d/other"), "utf8")).toBe("");
    expect(await readFile(at("meta.renamed"), "utf8")).toBe("");
    expect(await exists(at("meta"))).toBe(false);
    expect((await fs.counters()).entries).toBe("journal");

    // Back to strict: an fsynced file without a directory fsync is lost again.
    await fs.setEntries("strict");
    await writeFile(at("seg2"), "synced");
    fsyncFile(at("seg2"));
    await fs.drop();
    expect(await exists(at("seg2"))).toBe(false);
  });

  it("writes everything back on a clean unmount", async () => {
    await mkdir(at("d"));
    await writeFile(at("d/f"), "unsynced");
    await fs.unmount({ keepBacking: true });
    try {
      expect(await readFile(join(fs.backing, "d/f"), "utf8")).toBe("unsynced");
    } finally {
      await rm(fs.backing, { recursive: true, force: true });
    }
  });

  it("makes everything durable on sync", async () => {
    await mkdir(at("a"));
    await writeFile(at("a/b"), "b");
    await writeFile(at("c"), "c");
    await fs.sync();
    await fs.drop();
    expect(await readFile(at("a/b"), "utf8")).toBe("b");
    expect(await readFile(at("c"), "utf8")).toBe("c");
  });
});
