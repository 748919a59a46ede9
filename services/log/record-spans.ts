/**
 * Records to append, as spans of one source buffer, so that an append makes no
 * per-record Buffer objects: record i's producer bytes (an encoded `ProducerRecord`
 * without field 1) are `source[starts[i], ends[i])`. The caller may reuse the arrays
 * once `append` returns: the log copies the bytes synchronously.
 */
export interface RecordSpans {
  /** The buffer the spans point into, e.g. the whole ProduceRequest bytes. */
  source: Buffer;
  /** Start of record i's producer bytes in `source`. */
  starts: Uint32Array;
  /** End (exclusive) of record i's producer bytes in `source`. */
  ends: Uint32Array;
  /** Producer timestamp of record i in ms since the epoch; 0 = none, the log stamps its append time. */
  timestamps: Float64Array;
  /** How many records are used; the arrays may be longer. */
  count: number;
}
