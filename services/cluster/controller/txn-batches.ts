/**
 * etcd refuses a txn with more than `--max-txn-ops` operations (default 128; etcd
 * counts the larger of compares, success ops and failure ops). We keep compares
 * plus operations within it, which is stricter and stays valid if that rule changes.
 */
export const maxTxnOps = 128;

/** `items` cut into consecutive runs of at most `size`. */
export function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}
