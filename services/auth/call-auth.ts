import type { ResourceType } from "./config.js";

/** What a handler may know of its call's principal, once the call is admitted. */
export interface CallAuth {
  readonly principal: string;
  /** Whether a listing (ListTopics, ListGroups) may show the resource to this principal:
   * decided by the Authorizer (`Authorizer.visible`), never by the handler. */
  visible(type: ResourceType, name: string): boolean;
}

const byCall = new WeakMap<object, CallAuth>();

/** Called by bindService's guard (services/rpc/bind-service.ts) for every admitted call. */
export function attachCallAuth(call: object, auth: CallAuth): void {
  byCall.set(call, auth);
}

/**
 * The listing filter of a call, for handlers that answer with a list of
 * resources. With authentication off no call has a CallAuth and everything is
 * visible; with it on, the guard attached one before the handler ran.
 */
export function visibleTo(call: object): (type: ResourceType, name: string) => boolean {
  const auth = byCall.get(call);
  return auth === undefined ? () => true : (type, name) => auth.visible(type, name);
}
