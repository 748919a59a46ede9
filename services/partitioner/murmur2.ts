/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), over a span of
 * a buffer so the produce path hashes keys where they lie in the request.
 * Kafka's default partitioner maps a key to `(murmur2(key) & 0x7fffffff) %
 * partitions`; using the same function means a key lands on the partition a
 * Kafka user expects.
 *
 * One copy for everything that maps keys to partitions: the produce handler (a
 * record's key), the offset store (a group id to its `__consumer_offsets`
 * partition) and, once it routes by key to a partition's leader, the TypeScript
 * client; they must agree, so the function lives here, importing nothing.
 */
export function murmur2(data: Uint8Array, start = 0, end = data.length): number {
  const length = end - start;
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = start + i * 4;
    let k =
      (data[i4] & 0xff) +
      ((data[i4 + 1] & 0xff) << 8) +
      ((data[i4 + 2] & 0xff) << 16) +
      ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = start + (length & ~3);
  const remaining = length & 3;
  if (remaining === 3) h ^= (data[tail + 2] & 0xff) << 16;
  if (remaining >= 2) h ^= (data[tail + 1] & 0xff) << 8;
  if (remaining >= 1) {
    h ^= data[tail] & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive(murmur2(key)) % partitions`. */
export function partitionForKey(key: Uint8Array, partitions: number, start = 0, end = key.length): number {
  return (murmur2(key, start, end) & 0x7fffffff) % partitions;
}
