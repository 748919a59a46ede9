"""A consumer group member for a Tributary cluster, over the generated stubs in gen/python.

Asks any bootstrap broker where the group's coordinator is (FindCoordinator), joins
the group there with a Subscribe stream (from the earliest record where nothing is
committed), and commits after each batch of records it processes: at least once.
If the coordinator goes away, moves or is still loading (UNAVAILABLE: NOT_COORDINATOR,
COORDINATOR_LOAD_IN_PROGRESS, ...), it finds it again and rejoins, resuming at the
group's commits. It stops, leaving the group, when its standard input closes.

It prints one JSON line per event:

    {"event": "coordinator", "brokerId": 2, "address": "host:port", "askedAt": "host:port"}
    {"event": "assignment", "memberId": ..., "generation": 3, "partitions": [0, 1, 2]}
    {"event": "records", "partition": 1, "values": [...], "committed": true}
    {"event": "revoked", "generation": 4, "partitions": [2]}

Usage: /usr/bin/python3 clients/python/group_member.py HOST:PORT[,HOST:PORT...] GROUP TOPIC
Needs Debian's python3-grpcio and python3-protobuf (docs/clients.md).
"""

import json
import os
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gen", "python"))

import grpc  # noqa: E402
from tributary.v1 import admin_pb2, admin_pb2_grpc  # noqa: E402
from tributary.v1 import commit_pb2, commit_pb2_grpc  # noqa: E402
from tributary.v1 import fetch_pb2, fetch_pb2_grpc  # noqa: E402

TIMEOUT_S = 10
MAX_ATTEMPTS = 10


def say(**fields):
    print(json.dumps(fields), flush=True)


def find_coordinator(bootstrap, group):
    """Asks each bootstrap broker in turn until one names the group's coordinator."""
    last = None
    for address in bootstrap:
        with grpc.insecure_channel(address) as channel:
            try:
                answer = admin_pb2_grpc.AdminServiceStub(channel).FindCoordinator(
                    admin_pb2.FindCoordinatorRequest(group_id=group), timeout=TIMEOUT_S
                )
                say(event="coordinator", brokerId=answer.broker_id, address=answer.address, askedAt=address)
                return answer.address
            except grpc.RpcError as err:
                if err.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise
                last = err
    raise last


def consume(channel, group, topic, stopping):
    """One membership: reads and commits until the stream ends. Returns normally when stopped."""
    committer = commit_pb2_grpc.CommitServiceStub(channel)
    request = fetch_pb2.SubscribeRequest(group_id=group, topics=[topic], earliest=True, client_id="group-member-python")
    stream = fetch_pb2_grpc.FetchServiceStub(channel).Subscribe(request)
    stopping.add_done_callback(stream.cancel)  # cancelling the stream leaves the group
    member = {"id": "", "generation": 0}
    pending = {}  # partition -> next offset to read, processed and not yet committed

    def commit_pending():
        """Commits what was processed; a stale generation means a newer event is on its way."""
        offsets = [commit_pb2.CommitOffset(topic=topic, partition=p, offset=o) for p, o in sorted(pending.items())]
        try:
            committer.Commit(
                commit_pb2.CommitRequest(
                    group_id=group, member_id=member["id"], generation=member["generation"], offsets=offsets
                ),
                timeout=TIMEOUT_S,
            )
            pending.clear()
        except grpc.RpcError as err:
            if dict(err.trailing_metadata() or ()).get("tributary-reason") != "STALE_GENERATION":
                raise

    try:
        for event in stream:
            kind = event.WhichOneof("event")
            if kind == "assignment":
                member.update(id=event.assignment.member_id, generation=event.assignment.generation)
                partitions = sorted(p.partition for p in event.assignment.partitions)
                for p in [p for p in pending if p not in partitions]:
                    del pending[p]
                commit_pending()
                say(event="assignment", memberId=member["id"], generation=member["generation"], partitions=partitions)
            elif kind == "revoked":
                # A commit with the revocation's generation acknowledges it, so the rebalance
                # need not wait for its timeout (with no offsets when all is committed).
                member["generation"] = event.revoked.generation
                commit_pending()
                say(event="revoked", generation=member["generation"], partitions=sorted(p.partition for p in event.revoked.partitions))
            elif kind == "records" and event.records.records:
                records = event.records
                values = [r.value.decode() for r in records.records]  # "processing"
                pending[records.partition] = records.records[-1].offset + 1
                commit_pending()
                say(event="records", partition=records.partition, values=values, committed=pending == {})
    except grpc.RpcError as err:
        if not (stopping.is_set() and err.code() == grpc.StatusCode.CANCELLED):
            raise


class Stopping:
    """Set when standard input closes; runs the callbacks given (the stream's cancel)."""

    def __init__(self):
        self._event, self._callbacks = threading.Event(), []
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self):
        sys.stdin.read()
        self._event.set()
        for callback in self._callbacks:
            callback()

    def add_done_callback(self, callback):
        self._callbacks.append(callback)
        if self._event.is_set():
            callback()

    def is_set(self):
        return self._event.is_set()


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: group_member.py HOST:PORT[,HOST:PORT...] GROUP TOPIC")
    bootstrap, group, topic = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
    stopping = Stopping()
    for attempt in range(MAX_ATTEMPTS):
        try:
            with grpc.insecure_channel(find_coordinator(bootstrap, group)) as channel:
                consume(channel, group, topic, stopping)
            return
        except grpc.RpcError as err:
            # The coordinator moved, is loading, or is gone: back off, find it, rejoin.
            if err.code() != grpc.StatusCode.UNAVAILABLE or attempt + 1 == MAX_ATTEMPTS:
                raise
            time.sleep(min(5.0, 0.1 * 2**attempt))


if __name__ == "__main__":
    main()
