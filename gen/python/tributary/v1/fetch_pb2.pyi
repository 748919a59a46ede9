from tributary.v1 import record_pb2 as _record_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

ASSIGNOR_RANGE: Assignor
ASSIGNOR_ROUND_ROBIN: Assignor
ASSIGNOR_STICKY: Assignor
ASSIGNOR_UNSPECIFIED: Assignor
DESCRIPTOR: _descriptor.FileDescriptor

class Assignment(_message.Message):
    __slots__ = ["generation", "member_id", "partitions"]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    generation: int
    member_id: str
    partitions: _containers.RepeatedCompositeFieldContainer[_record_pb2.TopicPartition]
    def __init__(self, generation: _Optional[int] = ..., member_id: _Optional[str] = ..., partitions: _Optional[_Iterable[_Union[_record_pb2.TopicPartition, _Mapping]]] = ...) -> None: ...

class FetchRequest(_message.Message):
    __slots__ = ["last_fetched_epoch", "max_bytes", "max_wait_ms", "min_bytes", "offset", "partition", "topic"]
    LAST_FETCHED_EPOCH_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    MIN_BYTES_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    last_fetched_epoch: int
    max_bytes: int
    max_wait_ms: int
    min_bytes: int
    offset: int
    partition: int
    topic: str
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ..., max_bytes: _Optional[int] = ..., max_wait_ms: _Optional[int] = ..., min_bytes: _Optional[int] = ..., last_fetched_epoch: _Optional[int] = ...) -> None: ...

class FetchResponse(_message.Message):
    __slots__ = ["high_watermark", "leader_epoch", "log_start_offset", "next_offset", "offset_reset", "records"]
    HIGH_WATERMARK_FIELD_NUMBER: _ClassVar[int]
    LEADER_EPOCH_FIELD_NUMBER: _ClassVar[int]
    LOG_START_OFFSET_FIELD_NUMBER: _ClassVar[int]
    NEXT_OFFSET_FIELD_NUMBER: _ClassVar[int]
    OFFSET_RESET_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    high_watermark: int
    leader_epoch: int
    log_start_offset: int
    next_offset: int
    offset_reset: OffsetReset
    records: _containers.RepeatedCompositeFieldContainer[_record_pb2.ConsumerRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[_record_pb2.ConsumerRecord, _Mapping]]] = ..., high_watermark: _Optional[int] = ..., log_start_offset: _Optional[int] = ..., next_offset: _Optional[int] = ..., leader_epoch: _Optional[int] = ..., offset_reset: _Optional[_Union[OffsetReset, _Mapping]] = ...) -> None: ...

class OffsetReset(_message.Message):
    __slots__ = ["partition", "requested_offset", "reset_offset", "topic", "truncated"]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_OFFSET_FIELD_NUMBER: _ClassVar[int]
    RESET_OFFSET_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    partition: int
    requested_offset: int
    reset_offset: int
    topic: str
    truncated: bool
    def __init__(self, topic: _Optional[str] = ..., partition: _Optional[int] = ..., requested_offset: _Optional[int] = ..., reset_offset: _Optional[int] = ..., truncated: bool = ...) -> None: ...

class PartitionRecords(_message.Message):
    __slots__ = ["high_watermark", "leader_epoch", "partition", "records", "topic"]
    HIGH_WATERMARK_FIELD_NUMBER: _ClassVar[int]
    LEADER_EPOCH_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    high_watermark: int
    leader_epoch: int
    partition: int
    records: _containers.RepeatedCompositeFieldContainer[_record_pb2.ConsumerRecord]
    topic: str
    def __init__(self, records: _Optional[_Iterable[_Union[_record_pb2.ConsumerRecord, _Mapping]]] = ..., topic: _Optional[str] = ..., partition: _Optional[int] = ..., high_watermark: _Optional[int] = ..., leader_epoch: _Optional[int] = ...) -> None: ...

class Revocation(_message.Message):
    __slots__ = ["generation", "partitions"]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    generation: int
    partitions: _containers.RepeatedCompositeFieldContainer[_record_pb2.TopicPartition]
    def __init__(self, generation: _Optional[int] = ..., partitions: _Optional[_Iterable[_Union[_record_pb2.TopicPartition, _Mapping]]] = ...) -> None: ...

class StartOffsets(_message.Message):
    __slots__ = ["offsets"]
    OFFSETS_FIELD_NUMBER: _ClassVar[int]
    offsets: _containers.RepeatedCompositeFieldContainer[_record_pb2.PartitionOffset]
    def __init__(self, offsets: _Optional[_Iterable[_Union[_record_pb2.PartitionOffset, _Mapping]]] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ["assignor", "client_id", "earliest", "group_id", "instance_id", "last_fetched_epoch", "latest", "max_bytes", "offset", "offsets", "partitions", "timestamp_ms", "topic", "topics"]
    ASSIGNOR_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    EARLIEST_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_FETCHED_EPOCH_FIELD_NUMBER: _ClassVar[int]
    LATEST_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    OFFSETS_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    assignor: Assignor
    client_id: str
    earliest: bool
    group_id: str
    instance_id: str
    last_fetched_epoch: int
    latest: bool
    max_bytes: int
    offset: int
    offsets: StartOffsets
    partitions: _containers.RepeatedScalarFieldContainer[int]
    timestamp_ms: int
    topic: str
    topics: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, topic: _Optional[str] = ..., partitions: _Optional[_Iterable[int]] = ..., earliest: bool = ..., latest: bool = ..., offset: _Optional[int] = ..., timestamp_ms: _Optional[int] = ..., offsets: _Optional[_Union[StartOffsets, _Mapping]] = ..., group_id: _Optional[str] = ..., topics: _Optional[_Iterable[str]] = ..., instance_id: _Optional[str] = ..., client_id: _Optional[str] = ..., assignor: _Optional[_Union[Assignor, str]] = ..., max_bytes: _Optional[int] = ..., last_fetched_epoch: _Optional[int] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ["assignment", "offset_reset", "records", "revoked"]
    ASSIGNMENT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_RESET_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    assignment: Assignment
    offset_reset: OffsetReset
    records: PartitionRecords
    revoked: Revocation
    def __init__(self, records: _Optional[_Union[PartitionRecords, _Mapping]] = ..., assignment: _Optional[_Union[Assignment, _Mapping]] = ..., revoked: _Optional[_Union[Revocation, _Mapping]] = ..., offset_reset: _Optional[_Union[OffsetReset, _Mapping]] = ...) -> None: ...

class Assignor(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
