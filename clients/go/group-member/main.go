// Command group-member is a consumer group member for a Tributary cluster, over
// the generated stubs in gen/go (package tributary.dev/gen/go/tributary/v1).
//
// It asks any bootstrap broker where the group's coordinator is
// (FindCoordinator), joins the group there with a Subscribe stream (from the
// earliest record where nothing is committed), and commits after each batch of
// records it processes: at least once. If the coordinator goes away, moves or
// is still loading (UNAVAILABLE: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS,
// ...), it finds it again and rejoins, resuming at the group's commits. It
// stops, leaving the group, when its standard input closes.
//
// It prints one JSON line per event:
//
//	{"event": "coordinator", "brokerId": 2, "address": "host:port", "askedAt": "host:port"}
//	{"event": "assignment", "memberId": ..., "generation": 3, "partitions": [0, 1, 2]}
//	{"event": "records", "partition": 1, "values": [...], "committed": true}
//	{"event": "revoked", "generation": 4, "partitions": [2]}
//
// Usage: group-member HOST:PORT[,HOST:PORT...] GROUP TOPIC
//
// Built in GOPATH mode against Debian's golang-google-grpc-dev (grpc-go 1.33),
// see docs/clients.md.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	tributaryv1 "tributary.dev/gen/go/tributary/v1"
)

const (
	callTimeout = 10 * time.Second
	maxAttempts = 10
)

func say(fields map[string]interface{}) {
	line, err := json.Marshal(fields)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(line))
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: group-member HOST:PORT[,HOST:PORT...] GROUP TOPIC")
		os.Exit(2)
	}
	bootstrap, group, topic := strings.Split(os.Args[1], ","), os.Args[2], os.Args[3]

	// Cancelled when standard input closes: the stream ends, which leaves the group.
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		io.Copy(ioutil.Discard, os.Stdin)
		stop()
	}()

	for attempt := 0; ; attempt++ {
		err := join(ctx, bootstrap, group, topic)
		if ctx.Err() != nil {
			return // stopped
		}
		// The coordinator moved, is loading, or is gone: back off, find it, rejoin.
		if status.Code(err) != codes.Unavailable || attempt+1 == maxAttempts {
			log.Fatalf("member: %v", err)
		}
		time.Sleep(time.Duration(1<<attempt) * 100 * time.Millisecond)
	}
}

// findCoordinator asks each bootstrap broker in turn until one names the group's coordinator.
func findCoordinator(ctx context.Context, bootstrap []string, group string) (string, error) {
	var last error
	for _, address := range bootstrap {
		answer, err := askCoordinator(ctx, address, group)
		if err == nil {
			say(map[string]interface{}{"event": "coordinator", "brokerId": answer.BrokerId, "address": answer.Address, "askedAt": address})
			return answer.Address, nil
		}
		if code := status.Code(err); code != codes.Unavailable && code != codes.DeadlineExceeded {
			return "", err
		}
		last = err
	}
	return "", last
}

func askCoordinator(ctx context.Context, address, group string) (*tributaryv1.FindCoordinatorResponse, error) {
	// grpc-go 1.33 predates credentials/insecure: WithInsecure is plaintext.
	conn, err := grpc.DialContext(ctx, address, grpc.WithInsecure())
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return tributaryv1.NewAdminServiceClient(conn).FindCoordinator(callCtx, &tributaryv1.FindCoordinatorRequest{GroupId: group})
}

// join is one membership at the coordinator: it reads and commits until the stream ends.
func join(ctx context.Context, bootstrap []string, group, topic string) error {
	address, err := findCoordinator(ctx, bootstrap, group)
	if err != nil {
		return err
	}
	conn, err := grpc.DialContext(ctx, address, grpc.WithInsecure())
	if err != nil {
		return err
	}
	defer conn.Close()
	committer := tributaryv1.NewCommitServiceClient(conn)
	stream, err := tributaryv1.NewFetchServiceClient(conn).Subscribe(ctx, &tributaryv1.SubscribeRequest{
		GroupId:       group,
		Topics:        []string{topic},
		StartPosition: &tributaryv1.SubscribeRequest_Earliest{Earliest: true},
		ClientId:      "group-member-go",
	})
	if err != nil {
		return err
	}
	m := &member{committer: committer, group: group, topic: topic, pending: map[int32]int64{}}
	for {
		event, err := stream.Recv()
		if err != nil {
			return err
		}
		switch e := event.Event.(type) {
		case *tributaryv1.SubscribeResponse_Assignment:
			m.id, m.generation = e.Assignment.MemberId, e.Assignment.Generation
			owned := partitionsOf(e.Assignment.Partitions)
			for p := range m.pending {
				if !contains(owned, p) {
					delete(m.pending, p)
				}
			}
			if err := m.commitPending(ctx); err != nil {
				return err
			}
			say(map[string]interface{}{"event": "assignment", "memberId": m.id, "generation": m.generation, "partitions": owned})
		case *tributaryv1.SubscribeResponse_Revoked:
			// A commit with the revocation's generation acknowledges it, so the rebalance
			// need not wait for its timeout (with no offsets when all is committed).
			m.generation = e.Revoked.Generation
			if err := m.commitPending(ctx); err != nil {
				return err
			}
			say(map[string]interface{}{"event": "revoked", "generation": m.generation, "partitions": partitionsOf(e.Revoked.Partitions)})
		case *tributaryv1.SubscribeResponse_Records:
			records := e.Records.Records
			if len(records) == 0 {
				continue
			}
			values := make([]string, len(records)) // "processing"
			for i, r := range records {
				values[i] = string(r.Value)
			}
			m.pending[e.Records.Partition] = records[len(records)-1].Offset + 1
			if err := m.commitPending(ctx); err != nil {
				return err
			}
			say(map[string]interface{}{"event": "records", "partition": e.Records.Partition, "values": values, "committed": len(m.pending) == 0})
		}
	}
}

// member is one membership's state: its id, the generation of its last event and
// what it processed and has not committed yet.
type member struct {
	committer  tributaryv1.CommitServiceClient
	group      string
	topic      string
	id         string
	generation int32
	pending    map[int32]int64 // partition -> next offset to read
}

// commitPending commits what was processed. A stale generation means a newer event
// is on its way: the offsets stay pending until it comes.
func (m *member) commitPending(ctx context.Context) error {
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	request := &tributaryv1.CommitRequest{GroupId: m.group, MemberId: m.id, Generation: m.generation}
	for partition, offset := range m.pending {
		request.Offsets = append(request.Offsets, &tributaryv1.CommitOffset{Topic: m.topic, Partition: partition, Offset: offset})
	}
	var trailer metadata.MD
	_, err := m.committer.Commit(callCtx, request, grpc.Trailer(&trailer))
	if err == nil {
		m.pending = map[int32]int64{}
		return nil
	}
	if reason := trailer.Get("tributary-reason"); len(reason) == 1 && reason[0] == "STALE_GENERATION" {
		return nil
	}
	return err
}

func partitionsOf(list []*tributaryv1.TopicPartition) []int32 {
	partitions := make([]int32, len(list))
	for i, p := range list {
		partitions[i] = p.Partition
	}
	sort.Slice(partitions, func(i, j int) bool { return partitions[i] < partitions[j] })
	return partitions
}

func contains(list []int32, value int32) bool {
	for _, v := range list {
		if v == value {
			return true
		}
	}
	return false
}
