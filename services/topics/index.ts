export { TopicManager, type Topic } from "./topic-manager.js";
export {
  effectiveTopicConfig,
  validateTopicConfig,
  type CleanupPolicy,
  type TopicConfigOverrides,
  type TopicConfigValues,
} from "./topic-config.js";
export { validateTopicName, isInternalTopic, refuseInternalTopic, partitionDirName } from "./topic-name.js";
