"""A gRPC client that knows nothing of Tributary but its address.

It asks the broker's server reflection for the services and their file
descriptors, builds message classes from them at run time, then creates a
topic, produces keyed records, fetches them, reads them from a Subscribe
stream and prints a JSON report on stdout. It uses only Debian's python3-grpcio
and python3-protobuf: no generated code, no proto files.

Usage: python3 reflection_client.py HOST:PORT TOPIC
"""

import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

REFLECTION = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"


def varint(value):
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def read_varint(buf, pos):
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def fields(buf):
    """Yields (field number, value) of a message's length-delimited and varint fields."""
    pos = 0
    while pos < len(buf):
        tag, pos = read_varint(buf, pos)
        number, wire_type = tag >> 3, tag & 7
        if wire_type == 2:
            length, pos = read_varint(buf, pos)
            yield number, buf[pos : pos + length]
            pos += length
        elif wire_type == 0:
            value, pos = read_varint(buf, pos)
            yield number, value
        else:
            raise ValueError("unexpected wire type %d" % wire_type)


def reflect(channel, requests):
    """ServerReflectionRequest: list_services = 7, file_containing_symbol = 4."""
    call = channel.stream_stream(REFLECTION, request_serializer=lambda b: b, response_deserializer=lambda b: b)
    return list(call(iter(requests), timeout=10))


def message_class(pool, name):
    descriptor = pool.FindMessageTypeByName(name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


def main():
    address, topic = sys.argv[1], sys.argv[2]
    channel = grpc.insecure_channel(address)
    report = {}

    # 1. List services: ServerReflectionResponse.list_services_response = 6 { service = 1 { name = 1 } }.
    (listing,) = reflect(channel, [b"\x3a\x00"])
    services = []
    for number, value in fields(listing):
        if number == 6:
            for _, service in fields(value):
                services.extend(v.decode() for n, v in fields(service) if n == 1)
    report["services"] = sorted(services)

    # 2. File descriptors of every Tributary service: file_descriptor_response = 4 { file_descriptor_proto = 1 }.
    files = {}
    wanted = [s for s in services if s.startswith("tributary.")]
    for answer in reflect(channel, [b"\x22" + varint(len(s)) + s.encode() for s in wanted]):
        for number, value in fields(answer):
            if number == 4:
                for _, raw in fields(value):
                    proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
                    files[proto.name] = proto
    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(name):
        if name in added:
            return
        for dependency in files[name].dependency:
            add(dependency)
        pool.Add(files[name])
        added.add(name)

    for name in files:
        add(name)
    report["files"] = sorted(files)

    # Comments travel in source_code_info: find the one on AdminService.
    admin_file = next(f for f in files.values() if any(s.name == "AdminService" for s in f.service))
    service_index = [s.name for s in admin_file.service].index("AdminService")
    report["admin_comment"] = next(
        (loc.leading_comments.strip() for loc in admin_file.source_code_info.location if list(loc.path) == [6, service_index]),
        "",
    )

    def unary(service, method, request_name, response_name, **fields_):
        request_class = message_class(pool, "tributary.v1." + request_name)
        response_class = message_class(pool, "tributary.v1." + response_name)
        call = channel.unary_unary(
            "/tributary.v1.%s/%s" % (service, method),
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        return call(request_class(**fields_), timeout=10)

    unary("AdminService", "CreateTopic", "CreateTopicRequest", "CreateTopicResponse", name=topic, partitions=3)
    record_class = message_class(pool, "tributary.v1.ProducerRecord")
    records = [record_class(key=("key-%d" % i).encode(), value=("value-%d" % i).encode()) for i in range(12)]
    produced = unary("ProduceService", "Produce", "ProduceRequest", "ProduceResponse", topic=topic, records=records)
    report["produced"] = [
        {"partition": r.partition, "baseOffset": r.base_offset, "count": r.record_count, "indexes": list(r.record_indexes)}
        for r in produced.results
    ]

    fetched = {}
    for result in produced.results:
        answer = unary(
            "FetchService", "Fetch", "FetchRequest", "FetchResponse", topic=topic, partition=result.partition, offset=0
        )
        fetched[result.partition] = [[r.offset, r.key.decode(), r.value.decode()] for r in answer.records]
    report["fetched"] = {str(k): v for k, v in fetched.items()}

    subscribe_class = message_class(pool, "tributary.v1.SubscribeRequest")
    event_class = message_class(pool, "tributary.v1.SubscribeResponse")
    stream = channel.unary_stream(
        "/tributary.v1.FetchService/Subscribe",
        request_serializer=subscribe_class.SerializeToString,
        response_deserializer=event_class.FromString,
    )(subscribe_class(topic=topic, earliest=True), timeout=10)
    streamed = []
    for event in stream:
        if event.WhichOneof("event") == "records":
            streamed.extend(r.value.decode() for r in event.records.records)
        if len(streamed) >= len(records):
            stream.cancel()
            break
    report["streamed"] = sorted(streamed)

    described = unary("AdminService", "DescribeTopic", "DescribeTopicRequest", "DescribeTopicResponse", name=topic)
    report["described"] = [[p.partition, p.log_end_offset] for p in described.topic.partitions]
    print(json.dumps(report))


if __name__ == "__main__":
    main()
