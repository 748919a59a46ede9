import { InvalidArgumentError } from "../errors.js";

const legalName = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Kafka's topic-name rule: 1 to 249 of [a-zA-Z0-9._-], not "." or "..". A name
 * becomes a directory (`<name>-<partition>`) and a file, so nothing else may
 * pass: no separators, nothing that escapes the data directory.
 */
export function validateTopicName(name: string): void {
  if (!legalName.test(name) || name === "." || name === "..") {
    throw new InvalidArgumentError(
      "INVALID_TOPIC_NAME",
      `topic name must be 1 to 249 characters of [a-zA-Z0-9._-] and not "." or ".."`,
    );
  }
}

/** Names starting with "__" belong to the broker (__consumer_offsets). */
export function isInternalTopic(name: string): boolean {
  return name.startsWith("__");
}

/**
 * The one check between a client and an internal topic: every client mutation
 * (Produce, DeleteRecords, DeleteTopic, CreatePartitions, UpdateTopicConfig,
 * CreateTopic) goes through it, by TopicManager.create and TopicManager.mutable.
 * Issue 14: DeleteRecords on __consumer_offsets was accepted and wiped every
 * group's commits at the next restart, because only some handlers checked.
 * @throws InvalidArgumentError INTERNAL_TOPIC; clients may read such topics, not change them
 */
export function refuseInternalTopic(name: string): void {
  if (isInternalTopic(name)) {
    throw new InvalidArgumentError(
      "INTERNAL_TOPIC",
      `topic ${name} is reserved for the broker (names starting with "__"); clients may read it, not change it`,
    );
  }
}
