import type { Clock } from "../clock.js";
import { TributaryError } from "../errors.js";

/** Per-principal byte rates. `principal` "*" applies to principals without a rule of their own. */
export interface QuotaRule {
  readonly principal: string;
  /** Bytes of Produce requests per second. */
  readonly produceBytesPerSecond?: number;
  /** Bytes of Fetch answers and Subscribe messages per second. */
  readonly fetchBytesPerSecond?: number;
}

export type QuotaKind = "produce" | "fetch";

/** Which methods are metered, and how. */
export const methodQuotas: Readonly<Record<string, QuotaKind>> = {
  "tributary.v1.ProduceService/Produce": "produce",
  "tributary.v1.ProduceService/ProduceStream": "produce",
  "tributary.v1.FetchService/Fetch": "fetch",
  "tributary.v1.FetchService/Subscribe": "fetch",
};

/** A principal so far over its quota that delaying would not do: RESOURCE_EXHAUSTED. */
export class QuotaExceededError extends TributaryError {
  override name = "QuotaExceededError";
  constructor(message: string) {
    super("exhausted", "QUOTA_EXCEEDED", message);
  }
}

export function validateQuotas(value: unknown, where: string): readonly QuotaRule[] {
  if (!Array.isArray(value)) throw new Error(`${where} must be a list of { principal, produceBytesPerSecond?, fetchBytesPerSecond? }`);
  const seen = new Set<string>();
  return Object.freeze(
    value.map((entry: unknown, i) => {
      const at = `${where}[${i}]`;
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new Error(`${at} must be an object`);
      const e = entry as Record<string, unknown>;
      for (const key of Object.keys(e)) {
        if (!["principal", "produceBytesPerSecond", "fetchBytesPerSecond"].includes(key)) {
          throw new Error(`${at}: unknown field "${key}"`);
        }
      }
      if (typeof e.principal !== "string" || e.principal === "") throw new Error(`${at}.principal must be a non-empty string`);
      if (seen.has(e.principal)) throw new Error(`${at}: a second rule for principal "${e.principal}"`);
      seen.add(e.principal);
      for (const key of ["produceBytesPerSecond", "fetchBytesPerSecond"]) {
        const rate = e[key];
        if (rate !== undefined && (typeof rate !== "number" || !Number.isInteger(rate) || rate < 1)) {
          throw new Error(`${at}.${key} must be a positive integer`);
        }
      }
      return Object.freeze({ ...e }) as unknown as QuotaRule;
    }),
  );
}

interface Bucket {
  tokens: number;
  at: number;
}

/** performance.now(): buckets refill by elapsed time, which a wall clock stepped back
 * or forward (NTP) would get wrong. */
const monotonicClock: Clock = { nowMs: () => performance.now() };

/**
 * Token buckets per principal and kind, holding at most one second of bytes.
 * A call that takes the bucket below zero is admitted and its answer delayed
 * until the debt is repaid (as Kafka throttles); a call arriving while the
 * debt is worth more than `maxDelayMs` is refused with QUOTA_EXCEEDED.
 */
export class QuotaManager {
  private readonly buckets = new Map<string, Bucket>();
  private rules: ReadonlyMap<string, QuotaRule>;

  constructor(
    rules: readonly QuotaRule[],
    private readonly maxDelayMs = 5_000,
    private readonly clock: Clock = monotonicClock,
  ) {
    this.rules = new Map(rules.map((r) => [r.principal, r]));
  }

  /** New rules (cluster mode: a change in etcd); buckets keep their level, capped at a
   * new, lower rate on their next use. */
  setRules(rules: readonly QuotaRule[]): void {
    this.rules = new Map(rules.map((r) => [r.principal, r]));
  }

  private rate(principal: string, kind: QuotaKind): number | undefined {
    const rule = this.rules.get(principal) ?? this.rules.get("*");
    return kind === "produce" ? rule?.produceBytesPerSecond : rule?.fetchBytesPerSecond;
  }

  private bucket(principal: string, kind: QuotaKind, rate: number): Bucket {
    const key = `${kind}\0${principal}`;
    const now = this.clock.nowMs();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: rate, at: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) * rate) / 1000);
      bucket.at = now;
    }
    return bucket;
  }

  /** Whether the principal has a quota of this kind. */
  metered(principal: string, kind: QuotaKind): boolean {
    return this.rate(principal, kind) !== undefined;
  }

  /** Throws QuotaExceededError when the principal's debt is worth more than maxDelayMs. */
  admit(principal: string, kind: QuotaKind): void {
    const rate = this.rate(principal, kind);
    if (rate === undefined) return;
    const { tokens } = this.bucket(principal, kind, rate);
    if (tokens < 0 && (-tokens / rate) * 1000 > this.maxDelayMs) {
      throw new QuotaExceededError(`principal "${principal}" is over its ${kind} quota of ${rate} bytes/s`);
    }
  }

  /** Takes `bytes`; returns how long to delay the answer, ms. */
  charge(principal: string, kind: QuotaKind, bytes: number): number {
    const rate = this.rate(principal, kind);
    if (rate === undefined) return 0;
    const bucket = this.bucket(principal, kind, rate);
    bucket.tokens -= bytes;
    return bucket.tokens < 0 ? Math.ceil((-bucket.tokens / rate) * 1000) : 0;
  }
}
