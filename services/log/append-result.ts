/** Idempotent produce: a batch is identified by (producerId, sequence). Only when both are given. */
export interface AppendOptions {
  producerId?: bigint;
  /** Must increase from batch to batch of one producer; gaps are allowed. */
  sequence?: bigint;
}

/** What `Log.append` assigned. */
export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  /** The time stamped into records that had no timestamp, in ms. */
  logAppendTimeMs: number;
  /** An idempotent retry: these are the original batch's offsets, nothing was appended. */
  duplicate: boolean;
  /** Resolves when the promise of an ack holds (after the OS write; also after fsync for
   * fsyncPolicy "always"); rejects with StorageFullError or UnavailableError STORAGE_ERROR.
   * Already guarded against unhandled rejection: ignoring it is allowed. */
  durable: Promise<void>;
}
