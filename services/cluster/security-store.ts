/**
 * A cluster's tokens, ACLs and quotas in etcd (CLUSTER.md section 5, issue 17), the same
 * on every broker. One key per item, so concurrent changes of different items never
 * conflict:
 *
 *   config/tokens/<sha256>       TokenInfo   (principal, sha256)
 *   config/acls/<aclKey(rule)>   AclBinding  (the SHA-256 of the normalized rule)
 *   config/quotas/<principal>    QuotaRule
 *   config/bootstrap             {"brokerId": N}: config/ was seeded from a config file
 *
 * Values are the protobuf JSON of the tributary.v1 messages the Admin calls carry.
 * Every broker reads the prefix, then watches it from that read's revision + 1 (the
 * MetadataCache idiom) and hands each new rule set to its listener (the Authorizer's
 * replaceRules): a change made through one broker reaches the others as fast as etcd's
 * watch delivers it. A cancelled watch (compaction, a dead member) reads the prefix again.
 *
 * Bootstrap: the first broker with authentication writes its config file's authTokens,
 * acls and quotas together with config/bootstrap, in one transaction that requires
 * config/bootstrap to be absent. Later brokers, and later starts, leave config/ alone:
 * a token revoked through the Admin calls does not come back with a restart.
 */
import { create, fromJsonString, toJsonString, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { AclBindingSchema, QuotaRuleSchema, TokenInfoSchema } from "../../gen/ts/tributary/v1/admin_pb.js";
import {
  aclFromMessage,
  aclKey,
  aclToMessage,
  byPrincipal,
  quotaFromMessage,
  quotaToMessage,
  tokenFromRequest,
  type AclRule,
  type AuthToken,
  type QuotaRule,
  type SecurityRules,
} from "../auth/index.js";
import { InvalidArgumentError, UnavailableError } from "../errors.js";
import type { ClusterKeys } from "./cluster-keys.js";
import type { EtcdClient, KeyValue, TxnOp, WatchEvent } from "./etcd/index.js";

/** Pause before reading again after a failed read or a broken watch. */
const retryMs = 250;
/** How long a change waits to be seen by this broker's own watch before answering. */
const applyTimeoutMs = 10_000;
/** Operations per transaction: etcd allows 128 (--max-txn-ops); one is kept for a compare's branch. */
const txnOps = 127;

/** The rules, with each ACL's creation revision (ListAcls answers in the order added). */
export interface SecuritySnapshot extends SecurityRules {
  readonly authTokens: readonly AuthToken[];
  readonly acls: readonly AclRule[];
  readonly quotas: readonly QuotaRule[];
  /** The etcd revision this snapshot reflects. */
  readonly revision: bigint;
}

interface Items {
  tokens: Map<string, AuthToken>;
  acls: Map<string, { rule: AclRule; createRevision: bigint }>;
  quotas: Map<string, QuotaRule>;
}

export class SecurityStore {
  private items: Items = { tokens: new Map(), acls: new Map(), quotas: new Map() };
  private snapshot: SecuritySnapshot = Object.freeze({ authTokens: [], acls: [], quotas: [], revision: 0n });
  private watch: { close(): void } | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly listeners = new Set<(snapshot: SecuritySnapshot) => void>();
  private readonly waiters = new Set<() => void>();
  private readonly log: Logger;

  private constructor(
    private readonly etcd: EtcdClient,
    private readonly keys: ClusterKeys,
    logger: Logger,
  ) {
    this.log = logger.child({ component: "security" });
  }

  /** Reads config/ and starts watching it. @throws EtcdError when etcd does not answer */
  static async start(etcd: EtcdClient, keys: ClusterKeys, logger: Logger): Promise<SecurityStore> {
    const store = new SecurityStore(etcd, keys, logger);
    await store.read();
    store.startWatch();
    return store;
  }

  get current(): SecuritySnapshot {
    return this.snapshot;
  }

  /** Whether config/ was seeded by a broker with authentication (config/bootstrap exists). */
  async bootstrapped(): Promise<boolean> {
    return (await this.etcd.get(this.keys.securityBootstrap)) !== undefined;
  }

  /**
   * Writes `seed` (a config file's authTokens, acls and quotas) unless config/ was seeded
   * before; answers whether this call seeded it. The first transaction holds the marker,
   * so of brokers starting together exactly one seeds.
   */
  async seed(seed: SecurityRules, brokerId: number): Promise<boolean> {
    const puts: TxnOp[] = [
      ...seed.authTokens.map((t) => this.tokenPut(t)),
      ...seed.acls.map((r) => this.aclPut(r)),
      ...(seed.quotas ?? []).map((q) => this.quotaPut(q)),
    ];
    const marker = this.keys.securityBootstrap;
    const first = await this.etcd.txn({
      compare: [{ key: marker, target: "create", value: 0n }],
      success: [{ put: { key: marker, value: JSON.stringify({ brokerId }) } }, ...puts.slice(0, txnOps - 1)],
    });
    if (!first.succeeded) return false;
    let revision = first.revision;
    for (let i = txnOps - 1; i < puts.length; i += txnOps) {
      revision = (await this.etcd.txn({ compare: [], success: puts.slice(i, i + txnOps) })).revision;
    }
    await this.waitForRevision(revision);
    this.log.info({ tokens: seed.authTokens.length, acls: seed.acls.length, quotas: seed.quotas?.length ?? 0 }, "seeded the cluster's security settings from the config file");
    return true;
  }

  onChange(listener: (snapshot: SecuritySnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- changes (AdminService in cluster mode) ----

  /** Adds rules (a rule already present stays once). Answers once this broker applies them. */
  async createAcls(rules: readonly AclRule[]): Promise<void> {
    await this.write(rules.map((r) => this.aclPut(r)));
  }

  /** Removes the rules equal to `rules`; answers how many were there. */
  async deleteAcls(rules: readonly AclRule[]): Promise<number> {
    const keys = [...new Set(rules.map((r) => this.keys.acl(aclKey(r))))];
    return this.deleteKeys(keys);
  }

  /** Adds a token. @throws InvalidArgumentError TOKEN_EXISTS when its hash is another principal's */
  async createToken(token: AuthToken): Promise<void> {
    const key = this.keys.token(token.sha256);
    const result = await this.etcd.txn({
      compare: [{ key, target: "create", value: 0n }],
      success: [this.tokenPut(token)],
      failure: [{ range: { key } }],
    });
    if (!result.succeeded) {
      const existing = result.responses[0]?.kvs?.[0];
      const owner = existing === undefined ? undefined : this.decode(TokenInfoSchema, existing)?.principal;
      if (owner !== token.principal) {
        throw new InvalidArgumentError("TOKEN_EXISTS", "a token with this sha256 exists for another principal");
      }
    }
    await this.waitForRevision(result.revision);
  }

  /** Removes the token with `sha256`, or (sha256 empty) every token of `principal`. */
  async deleteTokens(filter: { sha256: string } | { principal: string }): Promise<number> {
    const keys =
      "sha256" in filter
        ? [this.keys.token(filter.sha256.toLowerCase())]
        : [...this.items.tokens.values()].filter((t) => t.principal === filter.principal).map((t) => this.keys.token(t.sha256));
    return this.deleteKeys(keys);
  }

  /** Sets (replaces) one principal's quota. */
  async setQuota(rule: QuotaRule): Promise<void> {
    await this.write([this.quotaPut(rule)]);
  }

  /** Removes one principal's quota; answers whether there was one. */
  async deleteQuota(principal: string): Promise<boolean> {
    return (await this.deleteKeys([this.keys.quota(principal)])) > 0;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.watch?.close();
    this.watch = undefined;
    for (const waiter of [...this.waiters]) waiter();
  }

  // ---- etcd ----

  private tokenPut(token: AuthToken): TxnOp {
    return { put: { key: this.keys.token(token.sha256), value: toJsonString(TokenInfoSchema, create(TokenInfoSchema, token)) } };
  }

  private aclPut(rule: AclRule): TxnOp {
    return { put: { key: this.keys.acl(aclKey(rule)), value: toJsonString(AclBindingSchema, create(AclBindingSchema, aclToMessage(rule))) } };
  }

  private quotaPut(rule: QuotaRule): TxnOp {
    return { put: { key: this.keys.quota(rule.principal), value: toJsonString(QuotaRuleSchema, create(QuotaRuleSchema, quotaToMessage(rule))) } };
  }

  /** Puts in transactions of at most 127 operations, then waits for this broker's watch. */
  private async write(ops: TxnOp[]): Promise<void> {
    let revision = 0n;
    for (let i = 0; i < ops.length; i += txnOps) {
      revision = (await this.etcd.txn({ compare: [], success: ops.slice(i, i + txnOps) })).revision;
    }
    if (ops.length > 0) await this.waitForRevision(revision);
  }

  private async deleteKeys(keys: string[]): Promise<number> {
    let deleted = 0;
    let revision = 0n;
    for (const key of keys) {
      const result = await this.etcd.delete(key);
      deleted += result.deleted;
      revision = result.revision;
    }
    if (deleted > 0) await this.waitForRevision(revision);
    return deleted;
  }

  /** Resolves once this broker's rules reflect `revision` (its own write is then in force here). */
  private waitForRevision(revision: bigint): Promise<void> {
    if (this.snapshot.revision >= revision || this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.snapshot.revision < revision && !this.closed) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new UnavailableError("METADATA_NOT_APPLIED", "the change is in etcd but not applied on this broker yet"));
      }, applyTimeoutMs);
      this.waiters.add(check);
    });
  }

  private async read(): Promise<void> {
    const { kvs, revision } = await this.etcd.range(this.keys.config, { prefix: true });
    const items: Items = { tokens: new Map(), acls: new Map(), quotas: new Map() };
    for (const kv of kvs) this.applyKv(items, "put", kv);
    this.items = items;
    this.publish(revision);
  }

  private startWatch(): void {
    if (this.closed) return;
    this.watch = this.etcd.watch(
      this.keys.config,
      { prefix: true, startRevision: this.snapshot.revision + 1n },
      {
        events: (events, revision) => this.apply(events, revision),
        cancelled: (reason, detail) => {
          this.log.info({ reason, err: detail.err }, "security watch ended; reading again");
          this.watch = undefined;
          this.reread();
        },
      },
    );
  }

  private reread(): void {
    if (this.closed) return;
    const before = this.snapshot.revision;
    this.read().then(
      () => {
        if (this.snapshot.revision < before) this.log.warn({ before, after: this.snapshot.revision }, "security settings read from a member behind");
        this.startWatch();
      },
      (err: unknown) => {
        this.log.warn({ err }, "reading security settings failed; retrying");
        this.retryTimer = setTimeout(() => this.reread(), retryMs);
      },
    );
  }

  private apply(events: WatchEvent[], revision: bigint): void {
    for (const event of events) this.applyKv(this.items, event.type, event.kv);
    this.publish(revision > this.snapshot.revision ? revision : this.snapshot.revision);
  }

  private applyKv(items: Items, type: "put" | "delete", kv: KeyValue): void {
    const { keys } = this;
    const id = (prefix: string) => (kv.key.startsWith(prefix) ? kv.key.slice(prefix.length) : undefined);
    const token = id(keys.tokens);
    const acl = id(keys.acls);
    const quota = id(keys.quotas);
    if (token !== undefined) {
      items.tokens.delete(token);
      const info = type === "put" ? this.decode(TokenInfoSchema, kv) : undefined;
      if (info !== undefined) this.valid(kv.key, () => items.tokens.set(token, tokenFromRequest(info.principal, info.sha256)));
    } else if (acl !== undefined) {
      items.acls.delete(acl);
      const binding = type === "put" ? this.decode(AclBindingSchema, kv) : undefined;
      if (binding !== undefined) this.valid(kv.key, () => items.acls.set(acl, { rule: aclFromMessage(binding), createRevision: kv.createRevision }));
    } else if (quota !== undefined) {
      items.quotas.delete(quota);
      const rule = type === "put" ? this.decode(QuotaRuleSchema, kv) : undefined;
      if (rule !== undefined) this.valid(kv.key, () => items.quotas.set(quota, quotaFromMessage(rule)));
    }
  }

  /** A value that does not parse (written by hand with etcdctl, or by a newer version) is
   * logged and left out, as the metadata cache does. */
  private decode<D extends DescMessage>(schema: D, kv: KeyValue): MessageShape<D> | undefined {
    try {
      return fromJsonString(schema, kv.value.toString("utf8"), { ignoreUnknownFields: true });
    } catch (err) {
      this.log.error({ err, key: kv.key }, "unreadable security setting; ignored");
      return undefined;
    }
  }

  private valid(key: string, add: () => void): void {
    try {
      add();
    } catch (err) {
      this.log.error({ err, key }, "invalid security setting; ignored");
    }
  }

  private publish(revision: bigint): void {
    const { tokens, acls, quotas } = this.items;
    this.snapshot = Object.freeze({
      authTokens: Object.freeze([...tokens.values()].sort(byPrincipal)),
      // In the order added: by creation revision; rules added by one call share it, and
      // are in the order of their keys.
      acls: Object.freeze(
        [...acls.entries()]
          .sort(([ka, a], [kb, b]) => (a.createRevision !== b.createRevision ? (a.createRevision < b.createRevision ? -1 : 1) : ka < kb ? -1 : ka > kb ? 1 : 0))
          .map(([, a]) => a.rule),
      ),
      quotas: Object.freeze([...quotas.values()].sort(byPrincipal)),
      revision,
    });
    for (const listener of this.listeners) {
      try {
        listener(this.snapshot);
      } catch (err) {
        this.log.error({ err }, "security listener failed");
      }
    }
    for (const waiter of [...this.waiters]) waiter();
  }
}
