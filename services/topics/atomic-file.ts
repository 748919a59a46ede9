import { open, rename } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Replaces a file so that a crash leaves either the old or the new content:
 * write a temporary sibling, fsync it, rename over the target, fsync the
 * directory so the rename itself is durable.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const file = await open(tmp, "w");
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  await syncDirectory(dirname(path));
}

/** fsyncs a directory so that entries created, renamed or removed in it persist. */
export async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
