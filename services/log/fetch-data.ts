/** What `Log.read` returns: record entries ready to be concatenated into a FetchResponse. */
export interface FetchData {
  /** Whole record entries (`0x0A len ConsumerRecord`); the first is the first record with
   * offset >= the requested one. Slices of buffers the log never writes again. */
  chunks: Buffer[];
  /** Sum of chunk lengths. */
  bytes: number;
  recordCount: number;
  /** Offset of the first record returned (= the requested offset when any). */
  firstOffset: bigint;
  /** One past the last record returned (= the requested offset when none). */
  nextOffset: bigint;
  highWatermark: bigint;
  logStartOffset: bigint;
}
