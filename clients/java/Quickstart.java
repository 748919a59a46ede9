import com.google.gson.Gson;
import com.google.protobuf.ByteString;
import dev.tributary.v1.AdminServiceGrpc;
import dev.tributary.v1.Assignment;
import dev.tributary.v1.CommitOffset;
import dev.tributary.v1.CommitRequest;
import dev.tributary.v1.CommitServiceGrpc;
import dev.tributary.v1.ConsumerRecord;
import dev.tributary.v1.CreateTopicRequest;
import dev.tributary.v1.FetchServiceGrpc;
import dev.tributary.v1.PartitionRecords;
import dev.tributary.v1.ProduceRequest;
import dev.tributary.v1.ProduceServiceGrpc;
import dev.tributary.v1.ProducerRecord;
import dev.tributary.v1.SubscribeRequest;
import dev.tributary.v1.SubscribeResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Produces and consumes with Tributary from Java, over the generated stubs in gen/java
 * (package dev.tributary.v1).
 *
 * <p>Creates TOPIC (3 partitions) unless it exists, produces 12 keyed records in one Produce,
 * reads them back as a member of consumer group GROUP (a Subscribe stream), commits what it read,
 * leaves the group and prints a JSON summary:
 *
 * <pre>{"topic": ..., "group": ..., "consumed": [sorted values], "committed": {"partition": offset}}</pre>
 *
 * <p>Usage: {@code java Quickstart HOST:PORT TOPIC [GROUP]}. Built with javac against Debian's
 * grpc-java 1.41 jars, see docs/clients.md. The API's records are ProducerRecord and
 * ConsumerRecord: a message named Record would clash with java.lang.Record.
 */
public final class Quickstart {
  private static final int RECORD_COUNT = 12;
  private static final long TIMEOUT_SECONDS = 30;

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 2 && args.length != 3) {
      System.err.println("usage: Quickstart HOST:PORT TOPIC [GROUP]");
      System.exit(2);
    }
    String address = args[0];
    String topic = args[1];
    String group = args.length == 3 ? args[2] : "quickstart";

    ManagedChannel channel = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      createTopic(channel, topic);
      produce(channel, topic);
      Consumed consumed = consume(channel, topic, group);

      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("topic", topic);
      summary.put("group", group);
      summary.put("consumed", consumed.values());
      Map<String, Long> committed = new TreeMap<>();
      consumed.nextOffsets().forEach((partition, offset) -> committed.put(partition.toString(), offset));
      summary.put("committed", committed);
      System.out.println(new Gson().toJson(summary));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static void createTopic(ManagedChannel channel, String topic) {
    try {
      AdminServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .createTopic(CreateTopicRequest.newBuilder().setName(topic).setPartitions(3).build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) throw e;
    }
  }

  /** Sends key-i/value-i in one request; the broker picks each record's partition from its key. */
  private static void produce(ManagedChannel channel, String topic) {
    ProduceRequest.Builder request = ProduceRequest.newBuilder().setTopic(topic);
    for (int i = 0; i < RECORD_COUNT; i++) {
      request.addRecords(
          ProducerRecord.newBuilder()
              .setKey(ByteString.copyFromUtf8("key-" + i))
              .setValue(ByteString.copyFromUtf8("value-" + i)));
    }
    ProduceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .produce(request.build());
  }

  /** What a member read: the values sorted, and the next offset to read per partition. */
  private record Consumed(TreeSet<String> values, TreeMap<Integer, Long> nextOffsets) {}

  /**
   * Joins the group, reads until every value is seen, commits as the member of the last
   * assignment, then cancels the stream, which leaves the group.
   */
  private static Consumed consume(ManagedChannel channel, String topic, String group) {
    SubscribeRequest request =
        SubscribeRequest.newBuilder()
            .setGroupId(group)
            .addTopics(topic)
            .setEarliest(true)
            .setClientId("quickstart-java")
            .build();
    // A blocking server stream ends when its context is cancelled.
    Context.CancellableContext membership = Context.current().withCancellation();
    try {
      return membership.call(
          () -> {
            Iterator<SubscribeResponse> stream =
                FetchServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                    .subscribe(request);
            Consumed consumed = new Consumed(new TreeSet<>(), new TreeMap<>());
            Assignment assignment = null;
            while (consumed.values().size() < RECORD_COUNT) {
              if (!stream.hasNext()) throw new IllegalStateException("the stream ended early");
              SubscribeResponse event = stream.next();
              switch (event.getEventCase()) {
                case ASSIGNMENT -> assignment = event.getAssignment();
                case RECORDS -> {
                  PartitionRecords batch = event.getRecords();
                  for (ConsumerRecord record : batch.getRecordsList()) {
                    consumed.values().add(record.getValue().toString(StandardCharsets.UTF_8));
                    consumed.nextOffsets().put(batch.getPartition(), record.getOffset() + 1);
                  }
                }
                default -> {}
              }
            }
            if (assignment == null) throw new IllegalStateException("records before any assignment");
            commit(channel, topic, group, assignment, consumed.nextOffsets());
            return consumed;
          });
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      membership.cancel(null);
    }
  }

  /** Stores the next offset to read per partition, while still a member of the group. */
  private static void commit(
      ManagedChannel channel,
      String topic,
      String group,
      Assignment assignment,
      Map<Integer, Long> nextOffsets) {
    CommitRequest.Builder request =
        CommitRequest.newBuilder()
            .setGroupId(group)
            .setMemberId(assignment.getMemberId())
            .setGeneration(assignment.getGeneration());
    nextOffsets.forEach(
        (partition, offset) ->
            request.addOffsets(
                CommitOffset.newBuilder()
                    .setTopic(topic)
                    .setPartition(partition)
                    .setOffset(offset)));
    CommitServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .commit(request.build());
  }
}
