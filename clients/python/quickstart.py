"""Produce and consume with Tributary from Python, over the generated stubs in gen/python.

Creates TOPIC (3 partitions) unless it exists, produces 12 keyed records in one
Produce, reads them back as a member of consumer group GROUP (a Subscribe
stream), commits what it read, leaves the group and prints a JSON summary:

    {"topic": ..., "group": ..., "consumed": [sorted values], "committed": {"<partition>": offset}}

Usage: /usr/bin/python3 clients/python/quickstart.py HOST:PORT TOPIC [GROUP]
Needs Debian's python3-grpcio and python3-protobuf (docs/clients.md).
"""

import json
import os
import sys

# The generated modules import each other as `tributary.v1.*`: put gen/python on the path,
# and keep __pycache__ out of gen/ (it holds only generator output).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen", "python"))

import grpc  # noqa: E402
from tributary.v1 import admin_pb2, admin_pb2_grpc  # noqa: E402
from tributary.v1 import commit_pb2, commit_pb2_grpc  # noqa: E402
from tributary.v1 import fetch_pb2, fetch_pb2_grpc  # noqa: E402
from tributary.v1 import produce_pb2, produce_pb2_grpc  # noqa: E402
from tributary.v1 import record_pb2  # noqa: E402

RECORD_COUNT = 12
TIMEOUT_S = 30


def create_topic(channel, topic):
    admin = admin_pb2_grpc.AdminServiceStub(channel)
    try:
        admin.CreateTopic(admin_pb2.CreateTopicRequest(name=topic, partitions=3), timeout=TIMEOUT_S)
    except grpc.RpcError as err:
        if err.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise


def produce(channel, topic):
    """One Produce of key-i/value-i: the broker picks each record's partition from its key."""
    records = [
        record_pb2.ProducerRecord(key=b"key-%d" % i, value=b"value-%d" % i) for i in range(RECORD_COUNT)
    ]
    stub = produce_pb2_grpc.ProduceServiceStub(channel)
    return stub.Produce(produce_pb2.ProduceRequest(topic=topic, records=records), timeout=TIMEOUT_S)


def subscribe(channel, topic, group):
    """Joins the group: the stream is the membership, from the first unread record (earliest if none)."""
    stub = fetch_pb2_grpc.FetchServiceStub(channel)
    request = fetch_pb2.SubscribeRequest(group_id=group, topics=[topic], earliest=True, client_id="quickstart-python")
    return stub.Subscribe(request, timeout=TIMEOUT_S)


def read_all(stream):
    """Reads events until every value is seen; returns (values, next offset per partition, last assignment)."""
    values, next_offsets, assignment = set(), {}, None
    for event in stream:
        kind = event.WhichOneof("event")
        if kind == "assignment":
            assignment = event.assignment
        elif kind == "records":
            for record in event.records.records:
                values.add(record.value.decode())
                next_offsets[event.records.partition] = record.offset + 1
        if len(values) == RECORD_COUNT:
            if assignment is None:
                raise RuntimeError("records arrived before any assignment")
            return values, next_offsets, assignment
    raise RuntimeError("the stream ended before all records arrived")


def commit(channel, topic, group, assignment, next_offsets):
    """Commits the next offset to read per partition, as the member of the last assignment."""
    stub = commit_pb2_grpc.CommitServiceStub(channel)
    offsets = [
        commit_pb2.CommitOffset(topic=topic, partition=partition, offset=offset)
        for partition, offset in sorted(next_offsets.items())
    ]
    stub.Commit(
        commit_pb2.CommitRequest(
            group_id=group, member_id=assignment.member_id, generation=assignment.generation, offsets=offsets
        ),
        timeout=TIMEOUT_S,
    )


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: quickstart.py HOST:PORT TOPIC [GROUP]")
    address, topic = sys.argv[1], sys.argv[2]
    group = sys.argv[3] if len(sys.argv) == 4 else "quickstart"
    with grpc.insecure_channel(address) as channel:
        create_topic(channel, topic)
        produce(channel, topic)
        stream = subscribe(channel, topic, group)
        try:
            values, next_offsets, assignment = read_all(stream)
            # Commit while still a member; cancelling the stream then leaves the group.
            commit(channel, topic, group, assignment, next_offsets)
        finally:
            stream.cancel()
    summary = {
        "topic": topic,
        "group": group,
        "consumed": sorted(values),
        "committed": {str(p): o for p, o in sorted(next_offsets.items())},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
