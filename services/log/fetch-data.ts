/** What `Log.read` returns: record entries ready to be concatenated into a FetchResponse. */
export interface FetchData {
  /** Whole record entries (`0x0A len ConsumerRecord`); the first is the first record with
   * offset >= the requested one. Slices of buffers the log never writes again. In a
   * compacted log, offsets may skip (records removed); entries carry their own. */
  chunks: Buffer[];
  /** Sum of chunk lengths. */
  bytes: number;
  recordCount: number;
  /** Offset of the first record returned: the requested offset, or above it when
   * compaction removed that one (= the requested offset when none). */
  firstOffset: bigint;
  /** One past the last record returned. When none: the requested offset, or the high
   * watermark when compaction removed every record from the requested one to it. */
  nextOffset: bigint;
  highWatermark: bigint;
  logStartOffset: bigint;
  /** Bytes read from segment files for this answer: the buffers `chunks` may keep alive.
   * Above `bytes` when a stored batch was larger than `maxBytes` (it is read whole). */
  readBytes: number;
}

/** Options of `Log.read`. */
export interface ReadOptions {
  /** Awaited before a file read of `bytes` beyond what `maxBytes` asked for (a stored
   * batch larger than it, which is read whole to check its CRC): lets a caller that
   * budgets memory wait for room first. It may answer a buffer of at least `bytes` to
   * read into, which the answer's chunks then point into. */
  readonly admitLargeRead?: (bytes: number) => Promise<Buffer | undefined>;
}
