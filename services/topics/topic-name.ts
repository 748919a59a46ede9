import { maxPartitionsPerTopicLimit } from "../config.js";
import { InvalidArgumentError } from "../errors.js";
import { atomicTmpSuffix } from "../log/index.js";

/**
 * The longest file name the data directory's file system takes, in bytes: NAME_MAX
 * on Linux's ext4, xfs, btrfs and tmpfs. Names are ASCII, so bytes are characters.
 */
const nameMaxBytes = 255;

/** A topic's metadata file in `<data>/meta/topics/`. */
const metadataSuffix = ".json";

/**
 * Every file name the broker makes from a topic name, beyond the name itself: the
 * metadata file while it is replaced (writeFileAtomic's temporary, the longest) and
 * the partition directories `<name>-<partition>` up to the highest partition number
 * any config allows. The files inside a partition directory have fixed names.
 */
const nameSuffixes = [metadataSuffix + atomicTmpSuffix, `-${maxPartitionsPerTopicLimit - 1}`];

/**
 * The longest topic name: NAME_MAX minus the longest suffix, so that every file the
 * broker creates for a topic can exist. Issue 14: Kafka's 249 let `<name>.json.tmp`
 * exceed NAME_MAX, and a topic whose metadata could not be written lost its data.
 */
export const maxTopicNameLength = nameMaxBytes - Math.max(...nameSuffixes.map((s) => s.length));

const legalName = new RegExp(`^[a-zA-Z0-9._-]{1,${maxTopicNameLength}}$`);

/**
 * Kafka's topic-name characters: [a-zA-Z0-9._-], not "." or "..", and at most
 * `maxTopicNameLength` of them. A name becomes a directory (`<name>-<partition>`) and
 * a file, so nothing else may pass: no separators, nothing that escapes the data
 * directory, nothing longer than a file name may be.
 * @throws InvalidArgumentError INVALID_TOPIC_NAME
 */
export function validateTopicName(name: string): void {
  if (!legalName.test(name) || name === "." || name === "..") {
    throw new InvalidArgumentError(
      "INVALID_TOPIC_NAME",
      `topic name must be 1 to ${maxTopicNameLength} characters of [a-zA-Z0-9._-] and not "." or ".."`,
    );
  }
}

/** `<name>.json`, the metadata file of a topic. */
export function metadataFileName(name: string): string {
  return `${name}${metadataSuffix}`;
}

/** The topic a metadata file name stands for, or null for other files. */
export function topicOfMetadataFile(file: string): string | null {
  return file.endsWith(metadataSuffix) ? file.slice(0, -metadataSuffix.length) : null;
}

/** `<name>-<partition>`, a partition's directory under the data directory. */
export function partitionDirName(name: string, partition: number): string {
  return `${name}-${partition}`;
}

/** The topic and partition a directory name stands for, or null. */
export function parsePartitionDirName(dir: string): { topic: string; partition: number } | null {
  const match = /^(.+)-(\d+)$/.exec(dir);
  return match === null ? null : { topic: match[1], partition: Number(match[2]) };
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
