// Command quickstart produces and consumes with Tributary from Go, over the
// generated stubs in gen/go (package tributary.dev/gen/go/tributary/v1).
//
// It creates TOPIC (3 partitions) unless it exists, produces 12 keyed records
// in one Produce, reads them back as a member of consumer group GROUP (a
// Subscribe stream), commits what it read, leaves the group and prints a JSON
// summary:
//
//	{"topic": ..., "group": ..., "consumed": [sorted values], "committed": {"<partition>": offset}}
//
// Usage: quickstart HOST:PORT TOPIC [GROUP]
//
// Built in GOPATH mode against Debian's golang-google-grpc-dev (grpc-go 1.33),
// see docs/clients.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"sort"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	tributaryv1 "tributary.dev/gen/go/tributary/v1"
)

const recordCount = 12

type summary struct {
	Topic     string           `json:"topic"`
	Group     string           `json:"group"`
	Consumed  []string         `json:"consumed"`
	Committed map[string]int64 `json:"committed"`
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: quickstart HOST:PORT TOPIC [GROUP]")
		os.Exit(2)
	}
	address, topic, group := os.Args[1], os.Args[2], "quickstart"
	if len(os.Args) == 4 {
		group = os.Args[3]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// grpc-go 1.33 predates credentials/insecure: WithInsecure is plaintext.
	conn, err := grpc.DialContext(ctx, address, grpc.WithInsecure())
	if err != nil {
		log.Fatalf("dial %s: %v", address, err)
	}
	defer conn.Close()

	if err := createTopic(ctx, tributaryv1.NewAdminServiceClient(conn), topic); err != nil {
		log.Fatalf("create topic: %v", err)
	}
	if err := produce(ctx, tributaryv1.NewProduceServiceClient(conn), topic); err != nil {
		log.Fatalf("produce: %v", err)
	}

	// The stream is the group membership: cancelling its context leaves the group.
	streamCtx, leave := context.WithCancel(ctx)
	defer leave()
	stream, err := tributaryv1.NewFetchServiceClient(conn).Subscribe(streamCtx, &tributaryv1.SubscribeRequest{
		GroupId:       group,
		Topics:        []string{topic},
		StartPosition: &tributaryv1.SubscribeRequest_Earliest{Earliest: true},
		ClientId:      "quickstart-go",
	})
	if err != nil {
		log.Fatalf("subscribe: %v", err)
	}
	values, nextOffsets, assignment, err := readAll(stream)
	if err != nil {
		log.Fatalf("consume: %v", err)
	}
	// Commit while still a member, then leave.
	if err := commit(ctx, tributaryv1.NewCommitServiceClient(conn), topic, group, assignment, nextOffsets); err != nil {
		log.Fatalf("commit: %v", err)
	}
	leave()

	out := summary{Topic: topic, Group: group, Consumed: values, Committed: map[string]int64{}}
	for partition, offset := range nextOffsets {
		out.Committed[strconv.Itoa(int(partition))] = offset
	}
	line, err := json.Marshal(out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(line))
}

func createTopic(ctx context.Context, admin tributaryv1.AdminServiceClient, topic string) error {
	_, err := admin.CreateTopic(ctx, &tributaryv1.CreateTopicRequest{Name: topic, Partitions: 3})
	if status.Code(err) == codes.AlreadyExists {
		return nil
	}
	return err
}

// produce sends key-i/value-i in one request; the broker picks each record's partition from its key.
func produce(ctx context.Context, producer tributaryv1.ProduceServiceClient, topic string) error {
	records := make([]*tributaryv1.ProducerRecord, recordCount)
	for i := range records {
		records[i] = &tributaryv1.ProducerRecord{
			Key:   []byte(fmt.Sprintf("key-%d", i)),
			Value: []byte(fmt.Sprintf("value-%d", i)),
		}
	}
	_, err := producer.Produce(ctx, &tributaryv1.ProduceRequest{Topic: topic, Records: records})
	return err
}

// readAll reads events until every value is seen. It returns the values sorted,
// the next offset to read per partition and the last assignment.
func readAll(stream tributaryv1.FetchService_SubscribeClient) ([]string, map[int32]int64, *tributaryv1.Assignment, error) {
	seen := map[string]bool{}
	nextOffsets := map[int32]int64{}
	var assignment *tributaryv1.Assignment
	for len(seen) < recordCount {
		event, err := stream.Recv()
		if err != nil {
			return nil, nil, nil, err
		}
		switch e := event.Event.(type) {
		case *tributaryv1.SubscribeResponse_Assignment:
			assignment = e.Assignment
		case *tributaryv1.SubscribeResponse_Records:
			for _, record := range e.Records.Records {
				seen[string(record.Value)] = true
				nextOffsets[e.Records.Partition] = record.Offset + 1
			}
		}
	}
	if assignment == nil {
		return nil, nil, nil, errors.New("records arrived before any assignment")
	}
	values := make([]string, 0, len(seen))
	for value := range seen {
		values = append(values, value)
	}
	sort.Strings(values)
	return values, nextOffsets, assignment, nil
}

// commit stores the next offset to read per partition, as the member of the last assignment.
func commit(ctx context.Context, committer tributaryv1.CommitServiceClient, topic, group string, assignment *tributaryv1.Assignment, nextOffsets map[int32]int64) error {
	request := &tributaryv1.CommitRequest{
		GroupId:    group,
		MemberId:   assignment.MemberId,
		Generation: assignment.Generation,
	}
	for partition, offset := range nextOffsets {
		request.Offsets = append(request.Offsets, &tributaryv1.CommitOffset{Topic: topic, Partition: partition, Offset: offset})
	}
	sort.Slice(request.Offsets, func(i, j int) bool { return request.Offsets[i].Partition < request.Offsets[j].Partition })
	_, err := committer.Commit(ctx, request)
	return err
}
