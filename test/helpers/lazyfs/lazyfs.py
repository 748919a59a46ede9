#!/usr/bin/python3
"""
lazyfs.py: a FUSE file system that loses what was not fsynced, for power-loss tests.

Usage: /usr/bin/python3 lazyfs.py [--entries strict|journal] BACKING_DIR MOUNTPOINT
(needs Debian's python3-fusepy and fuse; prints "lazyfs ready" once mounted).

It behaves like LazyFS (the tool Jepsen uses) with directory entries modelled too:
BACKING_DIR always holds exactly the durable state, a plain tree; the mount shows the
volatile state (what a page cache would show). Reads see the volatile state.

What is kept in memory until made durable, and by what:
  - file data and size (writes, truncations, extensions): fsync or fdatasync of that
    file (both the same here: metadata other than size is not modelled);
  - directory entries (creates, mkdirs, renames, unlinks, rmdirs in directory D):
    fsync of D (an open(D) + fsync, which FUSE delivers as fsyncdir).
  That is `--entries strict` (the default): POSIX, stricter than ext4. A file created and
  fsynced whose directory was not fsynced is gone after a drop, and a rename not
  followed by an fsync of the directory reverts. `--entries journal` is what ext4
  (data=ordered) and XFS do in practice: their namespace changes go through one journal,
  and any fsync commits it, so every fsync or fdatasync (of any file or directory) makes
  all directory entries in the file system durable; file data still needs the file's
  own fsync. Either way a directory entry made durable before its file's data keeps the
  file's last synced data (empty if never), and an entry made durable in a directory
  that is itself not durable yet stays in memory until the parent's entry is (then the
  subtree is written out).

Commands (write one to the file `.lazyfs` at the mount root; it is hidden from readdir
and the write fails with EIO if the command fails):
  drop   a power cut: forget everything unsynced; the mount then shows BACKING_DIR.
  sync   sync(2): make everything durable (every file's data, then every directory).
  entries strict|journal   switch the entries model from now on (see above).
Reading `.lazyfs` returns counters as JSON (drops, dirty files and bytes, directories
with unsynced entries).
Unmount with `fusermount -u MOUNTPOINT`: a clean unmount syncs everything first, as a
real unmount writes the page cache back.

A process killed in the middle of a request exits only once that request was answered
(or withdrawn unread by the kernel), so once the writer has exited, none of its writes
can land after a `drop` (with direct_io, and no writeback cache, every write is such a
request). Requests are served one at a time (nothreads): the model needs no locks.
Handles open at a drop are forgotten (their owner is meant to be dead, as after a real
power cut); later requests on them fail with EBADF, and their releases are ignored.

Not modelled: torn or reordered writes inside one file (a drop keeps all or nothing of
what was written since the file's last fsync; real disks may keep any prefix of pages),
metadata other than size and entries (modes and times are kept but never lost), hard
links and symlinks (refused), renames across directories (refused with EXDEV, as across
mounts; the broker never makes one, and it keeps every node in one directory, which
keeps this model small). The durable state in BACKING_DIR is written with plain writes,
never fsynced: it stands for the disk of the simulated machine, and a drop never loses
what the host's own page cache holds.
"""
import errno
import json
import os
import stat
import sys
import time

from fusepy import FUSE, FuseOSError, Operations

PAGE = 4096
CONTROL = ".lazyfs"  # the command file's name at the mount root


class Node:
    """A file or directory. `parent` never changes (no cross-directory renames), so a
    node has at most one volatile name (`vname`) and one durable name (`dname`), both in
    `parent`; a node is on disk (in BACKING_DIR) when it and all its ancestors have a
    durable name. Files: `size` and `pages` (dirty 4 KiB pages) are the volatile data;
    `trunc` is the lowest size set by a truncation since the last fsync (durable bytes at
    or past it read as zeros); `synced` is the durable content of a file that is not on
    disk (None means empty); `dsize` is the durable size. Directories: `entries`
    (volatile) and `durable` (what the last fsync of the directory saw), name -> Node."""

    def __init__(self, kind, parent, mode, size=0):
        self.kind = kind  # "f" or "d"
        self.parent = parent
        self.mode = mode & 0o7777
        self.vname = None
        self.dname = None
        self.mtime = time.time()
        self.size = size
        self.dsize = size  # the durable size: durable bytes past it are known zeros
        self.pages = {}
        self.trunc = None
        self.synced = None
        self.entries = {}
        self.durable = {}
        self.opened = 0

        self.dirty_size = False  # set by a truncation (which may leave no dirty page)

    def dirty(self):
        return bool(self.pages) or self.trunc is not None or self.dirty_size


class LazyFS(Operations):
    use_ns = True
    # Requests on a handle whose file was unlinked come with a NULL path: we find the
    # node from the handle, so that is fine (fusepy copies this flag into libfuse).
    flag_nullpath_ok = True

    def __init__(self, backing, journal=False):
        self.backing = os.path.realpath(backing)
        self.journal = journal  # --entries journal: any fsync commits every entry
        self.handles = {}  # fh -> Node
        self.next_fh = 1  # never reused, so a handle from before a drop never matches
        self.drops = 0
        self.root = self.scan()

    # ---- the durable tree on disk --------------------------------------------------

    def scan(self):
        """Builds the tree from BACKING_DIR: volatile == durable."""
        root = Node("d", None, os.stat(self.backing).st_mode)
        stack = [(root, self.backing)]
        while stack:
            node, path = stack.pop()
            for name in os.listdir(path):
                st = os.lstat(os.path.join(path, name))
                kind = "d" if stat.S_ISDIR(st.st_mode) else "f"
                child = Node(kind, node, st.st_mode, st.st_size if kind == "f" else 0)
                child.vname = child.dname = name
                child.mtime = st.st_mtime
                node.entries[name] = node.durable[name] = child
                if kind == "d":
                    stack.append((child, os.path.join(path, name)))
        return root

    def disk_path(self, node):
        """The node's path in BACKING_DIR, or None when it is not on disk."""
        parts = []
        while node.parent is not None:
            if node.dname is None:
                return None
            parts.append(node.dname)
            node = node.parent
        return os.path.join(self.backing, *reversed(parts))

    def durable_bytes(self, node, offset, length):
        """`length` bytes of the node's durable content at `offset`, zero-padded."""
        if offset >= node.dsize:
            return bytes(length)  # an append past the durable end: no need to read
        path = self.disk_path(node)
        if path is None:
            data = (node.synced or b"")[offset:offset + length]
        else:
            fd = os.open(path, os.O_RDONLY)
            try:
                data = os.pread(fd, length, offset)
            finally:
                os.close(fd)
        return data + bytes(length - len(data))

    def page(self, node, index):
        """The volatile content of one page (a copy when it is not dirty)."""
        if index in node.pages:
            return node.pages[index]
        start = index * PAGE
        data = bytearray(self.durable_bytes(node, start, PAGE))
        if node.trunc is not None and node.trunc < start + PAGE:
            cut = max(node.trunc - start, 0)
            data[cut:] = bytes(PAGE - cut)
        return data

    def read_range(self, node, offset, length):
        end = min(offset + length, node.size)
        if not node.pages and node.trunc is None:  # clean: one read of the durable file
            return self.durable_bytes(node, offset, max(0, end - offset))
        out = bytearray()
        while offset < end:
            index, within = divmod(offset, PAGE)
            take = min(PAGE - within, end - offset)
            out += self.page(node, index)[within:within + take]
            offset += take
        return bytes(out)

    # ---- what fsync and fsyncdir make durable --------------------------------------

    def sync_file(self, node):
        if node.kind != "f" or not node.dirty():
            return
        path = self.disk_path(node)
        if path is None:
            node.synced = self.read_range(node, 0, node.size)
        else:
            fd = os.open(path, os.O_WRONLY)
            try:
                if node.trunc is not None:
                    os.ftruncate(fd, node.trunc)
                for index, data in node.pages.items():
                    start = index * PAGE
                    os.pwrite(fd, bytes(data[:max(0, min(PAGE, node.size - start))]), start)
                os.ftruncate(fd, node.size)
            finally:
                os.close(fd)
        node.pages = {}
        node.trunc = None
        node.dirty_size = False
        node.dsize = node.size

    def sync_dir(self, d):
        """The directory's entries become durable. When it is on disk, BACKING_DIR is
        changed to match: leaving nodes removed, renamed ones moved (through temporary
        names, so swaps and overwrites work), new ones written out with their durable
        content (a new directory with its durable subtree)."""
        old, new = d.durable, dict(d.entries)
        if old == new:
            return
        base = self.disk_path(d)
        new_ids = {id(n) for n in new.values()}
        old_ids = {id(n) for n in old.values()}
        if base is not None:
            moving = []
            for name, node in old.items():
                if new.get(name) is node:
                    continue
                path = os.path.join(base, name)
                if id(node) in new_ids:  # renamed within this directory
                    tmp = os.path.join(base, ".lazyfs-move-%d" % id(node))
                    os.rename(path, tmp)
                    moving.append((node, tmp))
                else:  # gone: keep what open handles still read, then remove
                    self.capture(node, path)
                    if node.kind == "d":
                        self.remove_tree(path)
                    else:
                        os.unlink(path)
            for node, tmp in moving:
                os.rename(tmp, os.path.join(base, node.vname))
            for name, node in new.items():
                if id(node) not in old_ids:
                    self.materialize(node, os.path.join(base, name))
        for node in old.values():
            if id(node) not in new_ids:
                node.dname = None
        for name, node in new.items():
            node.dname = name
        d.durable = new

    def capture(self, node, path):
        """Before a node's file leaves the disk: an open file keeps its durable content
        in memory, so reads through its handles still work."""
        if node.kind == "f" and node.opened > 0:
            with open(path, "rb") as f:
                node.synced = f.read()
        elif node.kind == "d":
            for name, child in node.durable.items():
                self.capture(child, os.path.join(path, name))

    def remove_tree(self, path):
        for entry in os.scandir(path):
            if entry.is_dir(follow_symlinks=False):
                self.remove_tree(entry.path)
            else:
                os.unlink(entry.path)
        os.rmdir(path)

    def materialize(self, node, path):
        """Writes a node that just got on disk: a file's synced content, a directory's
        durable entries (recursively)."""
        if node.kind == "f":
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, node.mode)
            try:
                os.write(fd, node.synced or b"")
            finally:
                os.close(fd)
            node.synced = None
        else:
            os.mkdir(path, node.mode)
            for name, child in node.durable.items():
                self.materialize(child, os.path.join(path, name))

    def sync_all_dirs(self):
        """Every directory's entries, from the root down."""
        todo = [self.root]
        while todo:
            d = todo.pop()
            self.sync_dir(d)
            todo.extend(c for c in d.entries.values() if c.kind == "d")

    def sync_all(self):
        """sync(2): all files' data, then every directory from the root down."""
        todo = [self.root]
        while todo:
            d = todo.pop()
            for child in d.entries.values():
                if child.kind == "f":
                    self.sync_file(child)
                else:
                    todo.append(child)
        for node in self.handles.values():  # unlinked but open: harmless, kept simple
            self.sync_file(node)
        self.sync_all_dirs()

    def drop(self):
        """The power cut: everything in memory goes; the disk is what is left."""
        self.handles = {}
        self.root = self.scan()
        self.drops += 1

    def counters(self):
        files = dirty_bytes = dirs = 0
        todo = [self.root]
        while todo:
            d = todo.pop()
            if d.durable != d.entries:
                dirs += 1
            for child in d.entries.values():
                if child.kind == "d":
                    todo.append(child)
                elif child.dirty():
                    files += 1
                    dirty_bytes += len(child.pages) * PAGE
        return {"entries": "journal" if self.journal else "strict", "drops": self.drops, "dirtyFiles": files, "dirtyPageBytes": dirty_bytes, "unsyncedDirs": dirs}

    # ---- lookups -------------------------------------------------------------------

    def lookup(self, path):
        node = self.root
        for part in path.split("/"):
            if not part:
                continue
            if node.kind != "d":
                raise FuseOSError(errno.ENOTDIR)
            node = node.entries.get(part)
            if node is None:
                raise FuseOSError(errno.ENOENT)
        return node

    def split(self, path):
        """(parent directory node, name) for a path whose last component may not exist."""
        head, name = os.path.split(path.rstrip("/"))
        parent = self.lookup(head)
        if parent.kind != "d":
            raise FuseOSError(errno.ENOTDIR)
        if name == CONTROL and parent is self.root:
            raise FuseOSError(errno.EPERM)
        return parent, name

    def node_of(self, path, fh):
        if fh:
            node = self.handles.get(fh)
            if node is None:
                raise FuseOSError(errno.EBADF)
            return node
        return self.lookup(path)

    def new_handle(self, node):
        fh = self.next_fh
        self.next_fh += 1
        self.handles[fh] = node
        node.opened += 1
        return fh

    def is_control(self, path):
        return path == "/" + CONTROL

    # ---- FUSE operations -----------------------------------------------------------

    def init(self, path):
        print("lazyfs ready", flush=True)

    def destroy(self, path):
        self.sync_all()  # a clean unmount writes everything back

    def getattr(self, path, fh=None):
        if path is not None and self.is_control(path) and not fh:
            node = None
        else:
            node = self.node_of(path, fh)
        now = time.time_ns()
        if node is None:
            return {"st_mode": stat.S_IFREG | 0o600, "st_nlink": 1, "st_size": 0,
                    "st_uid": os.getuid(), "st_gid": os.getgid(), "st_mtime": now, "st_atime": now, "st_ctime": now}
        mtime = int(node.mtime * 1e9)
        kind = stat.S_IFDIR if node.kind == "d" else stat.S_IFREG
        return {
            "st_mode": kind | node.mode,
            "st_nlink": 2 if node.kind == "d" else 1,
            "st_size": node.size if node.kind == "f" else 4096,
            "st_blocks": (node.size + 511) // 512 if node.kind == "f" else 8,
            "st_uid": os.getuid(), "st_gid": os.getgid(),
            "st_mtime": mtime, "st_atime": mtime, "st_ctime": mtime,
        }

    def statfs(self, path):
        st = os.statvfs(self.backing)
        return {key: getattr(st, key) for key in
                ("f_bsize", "f_frsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree", "f_favail", "f_namemax")}

    def access(self, path, amode):
        if not self.is_control(path):
            self.lookup(path)
        return 0

    def chmod(self, path, mode):
        self.lookup(path).mode = mode & 0o7777

    def chown(self, path, uid, gid):
        self.lookup(path)

    def utimens(self, path, times=None):
        node = self.lookup(path)
        node.mtime = times[1] / 1e9 if times else time.time()

    def readdir(self, path, fh):
        node = self.node_of(path, fh)
        return [".", ".."] + list(node.entries)

    def opendir(self, path):
        node = self.lookup(path)
        if node.kind != "d":
            raise FuseOSError(errno.ENOTDIR)
        return self.new_handle(node)

    def releasedir(self, path, fh):
        self.release(path, fh)

    def fsyncdir(self, path, datasync, fh):
        node = self.node_of(path, fh)
        if self.journal:
            self.sync_all_dirs()
        else:
            self.sync_dir(node)

    def mkdir(self, path, mode):
        parent, name = self.split(path)
        if name in parent.entries:
            raise FuseOSError(errno.EEXIST)
        node = Node("d", parent, mode)
        node.vname = name
        parent.entries[name] = node

    def rmdir(self, path):
        parent, name = self.split(path)
        node = parent.entries.get(name)
        if node is None:
            raise FuseOSError(errno.ENOENT)
        if node.kind != "d":
            raise FuseOSError(errno.ENOTDIR)
        if node.entries:
            raise FuseOSError(errno.ENOTEMPTY)
        del parent.entries[name]
        node.vname = None

    def create(self, path, mode, fi=None):
        parent, name = self.split(path)
        if name in parent.entries:
            raise FuseOSError(errno.EEXIST)
        node = Node("f", parent, mode)
        node.vname = name
        parent.entries[name] = node
        return self.new_handle(node)

    def open(self, path, flags):
        if self.is_control(path):
            return 0  # handle 0 means the command file
        node = self.lookup(path)
        if node.kind == "d":
            raise FuseOSError(errno.EISDIR)
        return self.new_handle(node)

    def release(self, path, fh):
        node = self.handles.pop(fh, None)
        if node is not None:
            node.opened -= 1

    def flush(self, path, fh):
        return 0

    def unlink(self, path):
        parent, name = self.split(path)
        node = parent.entries.get(name)
        if node is None:
            raise FuseOSError(errno.ENOENT)
        if node.kind == "d":
            raise FuseOSError(errno.EISDIR)
        del parent.entries[name]
        node.vname = None

    def rename(self, old, new):
        parent, name = self.split(old)
        target_parent, target_name = self.split(new)
        if target_parent is not parent:
            raise FuseOSError(errno.EXDEV)
        node = parent.entries.get(name)
        if node is None:
            raise FuseOSError(errno.ENOENT)
        if name == target_name:
            return
        replaced = parent.entries.get(target_name)
        if replaced is not None:
            if replaced.kind == "d" and node.kind != "d":
                raise FuseOSError(errno.EISDIR)
            if replaced.kind != "d" and node.kind == "d":
                raise FuseOSError(errno.ENOTDIR)
            if replaced.kind == "d" and replaced.entries:
                raise FuseOSError(errno.ENOTEMPTY)
            replaced.vname = None
        del parent.entries[name]
        parent.entries[target_name] = node
        node.vname = target_name

    def link(self, target, source):
        raise FuseOSError(errno.EPERM)

    def symlink(self, target, source):
        raise FuseOSError(errno.EPERM)

    def truncate(self, path, length, fh=None):
        if path is not None and self.is_control(path) and not fh:
            return  # open(".lazyfs", O_TRUNC) truncates first
        node = self.node_of(path, fh)
        if node.kind != "f":
            raise FuseOSError(errno.EISDIR)
        if length < node.size:
            node.trunc = length if node.trunc is None else min(node.trunc, length)
            for index in [i for i in node.pages if i * PAGE >= length]:
                del node.pages[index]
            last = length // PAGE
            if last in node.pages:
                cut = length - last * PAGE
                node.pages[last][cut:] = bytes(PAGE - cut)
        node.size = length
        node.dirty_size = True
        node.mtime = time.time()

    def read(self, path, size, offset, fh):
        if fh == 0:
            return (json.dumps(self.counters()) + "\n").encode()[offset:offset + size]
        node = self.node_of(path, fh)
        return self.read_range(node, offset, size)

    def write(self, path, data, offset, fh):
        if fh == 0:
            return self.command(data)
        node = self.node_of(path, fh)
        pos, end = offset, offset + len(data)
        while pos < end:
            index, within = divmod(pos, PAGE)
            take = min(PAGE - within, end - pos)
            page = self.page(node, index)
            page[within:within + take] = data[pos - offset:pos - offset + take]
            node.pages[index] = page
            pos += take
        node.size = max(node.size, end)
        node.mtime = time.time()
        return len(data)

    def fsync(self, path, datasync, fh):
        self.sync_file(self.node_of(path, fh))
        if self.journal:
            self.sync_all_dirs()

    def command(self, data):
        word = data.decode("utf-8", "replace").strip()
        try:
            if word == "drop":
                self.drop()
            elif word == "sync":
                self.sync_all()
            elif word in ("entries strict", "entries journal"):
                self.journal = word == "entries journal"
            else:
                raise FuseOSError(errno.EINVAL)
        except FuseOSError:
            raise
        except Exception as err:  # a broken model must not pass silently
            print("lazyfs: %s failed: %r" % (word, err), file=sys.stderr, flush=True)
            raise FuseOSError(errno.EIO)
        return len(data)


def main():
    args = sys.argv[1:]
    journal = False
    if len(args) == 4 and args[0] == "--entries" and args[1] in ("strict", "journal"):
        journal = args[1] == "journal"
        args = args[2:]
    if len(args) != 2:
        print("usage: lazyfs.py [--entries strict|journal] BACKING_DIR MOUNTPOINT", file=sys.stderr)
        sys.exit(2)
    backing, mountpoint = args
    # direct_io and zero timeouts: the kernel keeps no page cache, attributes or entries
    # of its own, so after a drop nothing stale is served from the kernel side.
    FUSE(LazyFS(backing, journal), mountpoint, foreground=True, nothreads=True, fsname="lazyfs",
         direct_io=True, attr_timeout=0, entry_timeout=0, negative_timeout=0,
         hard_remove=True, big_writes=True, max_write=131072, max_read=131072)


if __name__ == "__main__":
    main()
