from tributary.v1 import record_pb2 as _record_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

CLEANUP_POLICY_COMPACT: CleanupPolicy
CLEANUP_POLICY_DELETE: CleanupPolicy
CLEANUP_POLICY_UNSPECIFIED: CleanupPolicy
DESCRIPTOR: _descriptor.FileDescriptor
FSYNC_POLICY_ALWAYS: FsyncPolicy
FSYNC_POLICY_INTERVAL: FsyncPolicy
FSYNC_POLICY_NEVER: FsyncPolicy
FSYNC_POLICY_UNSPECIFIED: FsyncPolicy

class AclBinding(_message.Message):
    __slots__ = ["name", "operations", "prefix", "principal", "resource_type"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    operations: _containers.RepeatedScalarFieldContainer[str]
    prefix: str
    principal: str
    resource_type: str
    def __init__(self, principal: _Optional[str] = ..., resource_type: _Optional[str] = ..., name: _Optional[str] = ..., prefix: _Optional[str] = ..., operations: _Optional[_Iterable[str]] = ...) -> None: ...

class BrokerDescription(_message.Message):
    __slots__ = ["address", "host", "id", "port", "rack", "shutting_down", "supported_features", "version"]
    class SupportedFeaturesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    RACK_FIELD_NUMBER: _ClassVar[int]
    SHUTTING_DOWN_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_FEATURES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    address: str
    host: str
    id: int
    port: int
    rack: str
    shutting_down: bool
    supported_features: _containers.ScalarMap[str, int]
    version: str
    def __init__(self, id: _Optional[int] = ..., host: _Optional[str] = ..., port: _Optional[int] = ..., version: _Optional[str] = ..., address: _Optional[str] = ..., rack: _Optional[str] = ..., supported_features: _Optional[_Mapping[str, int]] = ..., shutting_down: bool = ...) -> None: ...

class CreateAclsRequest(_message.Message):
    __slots__ = ["acls"]
    ACLS_FIELD_NUMBER: _ClassVar[int]
    acls: _containers.RepeatedCompositeFieldContainer[AclBinding]
    def __init__(self, acls: _Optional[_Iterable[_Union[AclBinding, _Mapping]]] = ...) -> None: ...

class CreateAclsResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class CreatePartitionsRequest(_message.Message):
    __slots__ = ["name", "total_count"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    total_count: int
    def __init__(self, name: _Optional[str] = ..., total_count: _Optional[int] = ...) -> None: ...

class CreatePartitionsResponse(_message.Message):
    __slots__ = ["topic"]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    topic: TopicDescription
    def __init__(self, topic: _Optional[_Union[TopicDescription, _Mapping]] = ...) -> None: ...

class CreateTokenRequest(_message.Message):
    __slots__ = ["principal", "sha256"]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    principal: str
    sha256: str
    def __init__(self, principal: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class CreateTokenResponse(_message.Message):
    __slots__ = ["sha256", "token"]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    sha256: str
    token: str
    def __init__(self, token: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class CreateTopicRequest(_message.Message):
    __slots__ = ["config", "name", "partitions", "replication_factor"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    REPLICATION_FACTOR_FIELD_NUMBER: _ClassVar[int]
    config: TopicConfig
    name: str
    partitions: int
    replication_factor: int
    def __init__(self, name: _Optional[str] = ..., partitions: _Optional[int] = ..., config: _Optional[_Union[TopicConfig, _Mapping]] = ..., replication_factor: _Optional[int] = ...) -> None: ...

class CreateTopicResponse(_message.Message):
    __slots__ = ["topic"]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    topic: TopicDescription
    def __init__(self, topic: _Optional[_Union[TopicDescription, _Mapping]] = ...) -> None: ...

class DeleteAclsRequest(_message.Message):
    __slots__ = ["acls"]
    ACLS_FIELD_NUMBER: _ClassVar[int]
    acls: _containers.RepeatedCompositeFieldContainer[AclBinding]
    def __init__(self, acls: _Optional[_Iterable[_Union[AclBinding, _Mapping]]] = ...) -> None: ...

class DeleteAclsResponse(_message.Message):
    __slots__ = ["deleted"]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...

class DeleteGroupRequest(_message.Message):
    __slots__ = ["group_id"]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    def __init__(self, group_id: _Optional[str] = ...) -> None: ...

class DeleteGroupResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteQuotaRequest(_message.Message):
    __slots__ = ["principal"]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    principal: str
    def __init__(self, principal: _Optional[str] = ...) -> None: ...

class DeleteQuotaResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DeleteRecordsRequest(_message.Message):
    __slots__ = ["before_offset", "partition", "topic"]
    BEFORE_OFFSET_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    before_offset: int
    partition: int
    topic: str
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., before_offset: _Optional[int] = ...) -> None: ...

class DeleteRecordsResponse(_message.Message):
    __slots__ = ["log_start_offset"]
    LOG_START_OFFSET_FIELD_NUMBER: _ClassVar[int]
    log_start_offset: int
    def __init__(self, log_start_offset: _Optional[int] = ...) -> None: ...

class DeleteTokenRequest(_message.Message):
    __slots__ = ["principal", "sha256"]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    principal: str
    sha256: str
    def __init__(self, sha256: _Optional[str] = ..., principal: _Optional[str] = ...) -> None: ...

class DeleteTokenResponse(_message.Message):
    __slots__ = ["deleted"]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...

class DeleteTopicRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeleteTopicResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DescribeClusterRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class DescribeClusterResponse(_message.Message):
    __slots__ = ["brokers", "cluster_id", "controller_id", "finalized_features"]
    class FinalizedFeaturesEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BROKERS_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_ID_FIELD_NUMBER: _ClassVar[int]
    FINALIZED_FEATURES_FIELD_NUMBER: _ClassVar[int]
    brokers: _containers.RepeatedCompositeFieldContainer[BrokerDescription]
    cluster_id: str
    controller_id: int
    finalized_features: _containers.ScalarMap[str, int]
    def __init__(self, cluster_id: _Optional[str] = ..., brokers: _Optional[_Iterable[_Union[BrokerDescription, _Mapping]]] = ..., controller_id: _Optional[int] = ..., finalized_features: _Optional[_Mapping[str, int]] = ...) -> None: ...

class DescribeGroupRequest(_message.Message):
    __slots__ = ["group_id"]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    def __init__(self, group_id: _Optional[str] = ...) -> None: ...

class DescribeGroupResponse(_message.Message):
    __slots__ = ["assignor", "generation", "group_id", "members", "offsets", "state"]
    ASSIGNOR_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    OFFSETS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    assignor: str
    generation: int
    group_id: str
    members: _containers.RepeatedCompositeFieldContainer[GroupMember]
    offsets: _containers.RepeatedCompositeFieldContainer[GroupPartitionLag]
    state: str
    def __init__(self, group_id: _Optional[str] = ..., state: _Optional[str] = ..., generation: _Optional[int] = ..., assignor: _Optional[str] = ..., members: _Optional[_Iterable[_Union[GroupMember, _Mapping]]] = ..., offsets: _Optional[_Iterable[_Union[GroupPartitionLag, _Mapping]]] = ...) -> None: ...

class DescribeTopicRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DescribeTopicResponse(_message.Message):
    __slots__ = ["topic"]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    topic: TopicDescription
    def __init__(self, topic: _Optional[_Union[TopicDescription, _Mapping]] = ...) -> None: ...

class FindCoordinatorRequest(_message.Message):
    __slots__ = ["group_id"]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    def __init__(self, group_id: _Optional[str] = ...) -> None: ...

class FindCoordinatorResponse(_message.Message):
    __slots__ = ["address", "broker_id", "partition"]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BROKER_ID_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    address: str
    broker_id: int
    partition: int
    def __init__(self, broker_id: _Optional[int] = ..., address: _Optional[str] = ..., partition: _Optional[int] = ...) -> None: ...

class GroupListing(_message.Message):
    __slots__ = ["group_id", "members", "state"]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    group_id: str
    members: int
    state: str
    def __init__(self, group_id: _Optional[str] = ..., state: _Optional[str] = ..., members: _Optional[int] = ...) -> None: ...

class GroupMember(_message.Message):
    __slots__ = ["assignment", "client_id", "host", "instance_id", "member_id"]
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    assignment: _containers.RepeatedCompositeFieldContainer[_record_pb2.TopicPartition]
    client_id: str
    host: str
    instance_id: str
    member_id: str
    def __init__(self, member_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., client_id: _Optional[str] = ..., host: _Optional[str] = ..., assignment: _Optional[_Iterable[_Union[_record_pb2.TopicPartition, _Mapping]]] = ...) -> None: ...

class GroupPartitionLag(_message.Message):
    __slots__ = ["committed_offset", "lag", "log_end_offset", "member_id", "partition", "topic"]
    COMMITTED_OFFSET_FIELD_NUMBER: _ClassVar[int]
    LAG_FIELD_NUMBER: _ClassVar[int]
    LOG_END_OFFSET_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    committed_offset: int
    lag: int
    log_end_offset: int
    member_id: str
    partition: int
    topic: str
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., committed_offset: _Optional[int] = ..., log_end_offset: _Optional[int] = ..., lag: _Optional[int] = ..., member_id: _Optional[str] = ...) -> None: ...

class ListAclsRequest(_message.Message):
    __slots__ = ["principal"]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    principal: str
    def __init__(self, principal: _Optional[str] = ...) -> None: ...

class ListAclsResponse(_message.Message):
    __slots__ = ["acls"]
    ACLS_FIELD_NUMBER: _ClassVar[int]
    acls: _containers.RepeatedCompositeFieldContainer[AclBinding]
    def __init__(self, acls: _Optional[_Iterable[_Union[AclBinding, _Mapping]]] = ...) -> None: ...

class ListGroupsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListGroupsResponse(_message.Message):
    __slots__ = ["groups"]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    groups: _containers.RepeatedCompositeFieldContainer[GroupListing]
    def __init__(self, groups: _Optional[_Iterable[_Union[GroupListing, _Mapping]]] = ...) -> None: ...

class ListOffsetsRequest(_message.Message):
    __slots__ = ["earliest", "latest", "partition", "timestamp_ms", "topic"]
    EARLIEST_FIELD_NUMBER: _ClassVar[int]
    LATEST_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    earliest: bool
    latest: bool
    partition: int
    timestamp_ms: int
    topic: str
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., timestamp_ms: _Optional[int] = ..., earliest: bool = ..., latest: bool = ...) -> None: ...

class ListOffsetsResponse(_message.Message):
    __slots__ = ["offset", "timestamp_ms"]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    offset: int
    timestamp_ms: int
    def __init__(self, offset: _Optional[int] = ..., timestamp_ms: _Optional[int] = ...) -> None: ...

class ListQuotasRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListQuotasResponse(_message.Message):
    __slots__ = ["quotas"]
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    quotas: _containers.RepeatedCompositeFieldContainer[QuotaRule]
    def __init__(self, quotas: _Optional[_Iterable[_Union[QuotaRule, _Mapping]]] = ...) -> None: ...

class ListTokensRequest(_message.Message):
    __slots__ = ["principal"]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    principal: str
    def __init__(self, principal: _Optional[str] = ...) -> None: ...

class ListTokensResponse(_message.Message):
    __slots__ = ["tokens"]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[TokenInfo]
    def __init__(self, tokens: _Optional[_Iterable[_Union[TokenInfo, _Mapping]]] = ...) -> None: ...

class ListTopicsRequest(_message.Message):
    __slots__ = ["include_internal"]
    INCLUDE_INTERNAL_FIELD_NUMBER: _ClassVar[int]
    include_internal: bool
    def __init__(self, include_internal: bool = ...) -> None: ...

class ListTopicsResponse(_message.Message):
    __slots__ = ["topics"]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    topics: _containers.RepeatedCompositeFieldContainer[TopicListing]
    def __init__(self, topics: _Optional[_Iterable[_Union[TopicListing, _Mapping]]] = ...) -> None: ...

class PartitionDescription(_message.Message):
    __slots__ = ["high_watermark", "isr", "leader", "leader_epoch", "log_end_offset", "log_start_offset", "partition", "replicas", "segment_count", "size_bytes"]
    HIGH_WATERMARK_FIELD_NUMBER: _ClassVar[int]
    ISR_FIELD_NUMBER: _ClassVar[int]
    LEADER_EPOCH_FIELD_NUMBER: _ClassVar[int]
    LEADER_FIELD_NUMBER: _ClassVar[int]
    LOG_END_OFFSET_FIELD_NUMBER: _ClassVar[int]
    LOG_START_OFFSET_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    high_watermark: int
    isr: _containers.RepeatedScalarFieldContainer[int]
    leader: int
    leader_epoch: int
    log_end_offset: int
    log_start_offset: int
    partition: int
    replicas: _containers.RepeatedScalarFieldContainer[int]
    segment_count: int
    size_bytes: int
    def __init__(self, partition: _Optional[int] = ..., log_start_offset: _Optional[int] = ..., log_end_offset: _Optional[int] = ..., high_watermark: _Optional[int] = ..., size_bytes: _Optional[int] = ..., segment_count: _Optional[int] = ..., leader: _Optional[int] = ..., replicas: _Optional[_Iterable[int]] = ..., isr: _Optional[_Iterable[int]] = ..., leader_epoch: _Optional[int] = ...) -> None: ...

class QuotaRule(_message.Message):
    __slots__ = ["fetch_bytes_per_second", "principal", "produce_bytes_per_second"]
    FETCH_BYTES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    PRODUCE_BYTES_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    fetch_bytes_per_second: int
    principal: str
    produce_bytes_per_second: int
    def __init__(self, principal: _Optional[str] = ..., produce_bytes_per_second: _Optional[int] = ..., fetch_bytes_per_second: _Optional[int] = ...) -> None: ...

class ResetGroupOffsetsRequest(_message.Message):
    __slots__ = ["earliest", "group_id", "latest", "offset", "partitions", "timestamp_ms", "topic"]
    EARLIEST_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    LATEST_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    earliest: bool
    group_id: str
    latest: bool
    offset: int
    partitions: _containers.RepeatedScalarFieldContainer[int]
    timestamp_ms: int
    topic: str
    def __init__(self, group_id: _Optional[str] = ..., topic: _Optional[str] = ..., partitions: _Optional[_Iterable[int]] = ..., earliest: bool = ..., latest: bool = ..., timestamp_ms: _Optional[int] = ..., offset: _Optional[int] = ...) -> None: ...

class ResetGroupOffsetsResponse(_message.Message):
    __slots__ = ["offsets"]
    OFFSETS_FIELD_NUMBER: _ClassVar[int]
    offsets: _containers.RepeatedCompositeFieldContainer[_record_pb2.PartitionOffset]
    def __init__(self, offsets: _Optional[_Iterable[_Union[_record_pb2.PartitionOffset, _Mapping]]] = ...) -> None: ...

class SetQuotaRequest(_message.Message):
    __slots__ = ["quota"]
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    quota: QuotaRule
    def __init__(self, quota: _Optional[_Union[QuotaRule, _Mapping]] = ...) -> None: ...

class SetQuotaResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class TokenInfo(_message.Message):
    __slots__ = ["principal", "sha256"]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    principal: str
    sha256: str
    def __init__(self, principal: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class TopicConfig(_message.Message):
    __slots__ = ["cleanup_policy", "flush_interval_ms", "fsync_policy", "max_record_bytes", "min_insync_replicas", "retention_bytes", "retention_ms", "segment_bytes", "segment_ms", "unclean_leader_election"]
    CLEANUP_POLICY_FIELD_NUMBER: _ClassVar[int]
    FLUSH_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    FSYNC_POLICY_FIELD_NUMBER: _ClassVar[int]
    MAX_RECORD_BYTES_FIELD_NUMBER: _ClassVar[int]
    MIN_INSYNC_REPLICAS_FIELD_NUMBER: _ClassVar[int]
    RETENTION_BYTES_FIELD_NUMBER: _ClassVar[int]
    RETENTION_MS_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_BYTES_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_MS_FIELD_NUMBER: _ClassVar[int]
    UNCLEAN_LEADER_ELECTION_FIELD_NUMBER: _ClassVar[int]
    cleanup_policy: CleanupPolicy
    flush_interval_ms: int
    fsync_policy: FsyncPolicy
    max_record_bytes: int
    min_insync_replicas: int
    retention_bytes: int
    retention_ms: int
    segment_bytes: int
    segment_ms: int
    unclean_leader_election: bool
    def __init__(self, retention_ms: _Optional[int] = ..., retention_bytes: _Optional[int] = ..., segment_bytes: _Optional[int] = ..., segment_ms: _Optional[int] = ..., cleanup_policy: _Optional[_Union[CleanupPolicy, str]] = ..., fsync_policy: _Optional[_Union[FsyncPolicy, str]] = ..., flush_interval_ms: _Optional[int] = ..., max_record_bytes: _Optional[int] = ..., min_insync_replicas: _Optional[int] = ..., unclean_leader_election: bool = ...) -> None: ...

class TopicDescription(_message.Message):
    __slots__ = ["config", "created_time_ms", "internal", "name", "partitions", "replication_factor", "topic_id"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    CREATED_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    REPLICATION_FACTOR_FIELD_NUMBER: _ClassVar[int]
    TOPIC_ID_FIELD_NUMBER: _ClassVar[int]
    config: TopicConfig
    created_time_ms: int
    internal: bool
    name: str
    partitions: _containers.RepeatedCompositeFieldContainer[PartitionDescription]
    replication_factor: int
    topic_id: str
    def __init__(self, name: _Optional[str] = ..., config: _Optional[_Union[TopicConfig, _Mapping]] = ..., partitions: _Optional[_Iterable[_Union[PartitionDescription, _Mapping]]] = ..., internal: bool = ..., created_time_ms: _Optional[int] = ..., topic_id: _Optional[str] = ..., replication_factor: _Optional[int] = ...) -> None: ...

class TopicListing(_message.Message):
    __slots__ = ["internal", "name", "partitions"]
    INTERNAL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    internal: bool
    name: str
    partitions: int
    def __init__(self, name: _Optional[str] = ..., partitions: _Optional[int] = ..., internal: bool = ...) -> None: ...

class UpdateTopicConfigRequest(_message.Message):
    __slots__ = ["config", "name"]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    config: TopicConfig
    name: str
    def __init__(self, name: _Optional[str] = ..., config: _Optional[_Union[TopicConfig, _Mapping]] = ...) -> None: ...

class UpdateTopicConfigResponse(_message.Message):
    __slots__ = ["topic"]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    topic: TopicDescription
    def __init__(self, topic: _Optional[_Union[TopicDescription, _Mapping]] = ...) -> None: ...

class CleanupPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class FsyncPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
