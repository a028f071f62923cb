package presence_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/echo-liveview/liveview/presence"
)

func Example() {
	ctx := context.Background()
	tr := presence.NewMemory(presence.Limits{})
	defer tr.Close()

	// fn runs on a goroutine of the tracker, one call at a time.
	var log []string
	done := make(chan struct{})
	w, _ := tr.Watch(ctx, "room:lobby", func(d presence.Diff) {
		for _, e := range d.Leaves {
			log = append(log, "leave "+e.Key+" "+e.Ref)
		}
		for _, e := range d.Joins {
			log = append(log, "join "+e.Key+" "+e.Ref+" "+string(e.Meta))
		}
		if len(d.Leaves) == 1 && len(d.Joins) == 0 {
			close(done)
		}
	})
	defer w.Stop()

	// Two tabs of alice: one key, two entries.
	_ = tr.Track(ctx, "room:lobby", presence.Entry{Key: "alice", Ref: "conn-1", Meta: json.RawMessage(`{"tab":1}`)})
	_ = tr.Track(ctx, "room:lobby", presence.Entry{Key: "alice", Ref: "conn-2", Meta: json.RawMessage(`{"tab":2}`)})
	l, _ := tr.List(ctx, "room:lobby")
	fmt.Println(len(l), "entries")
	_ = tr.Untrack(ctx, "room:lobby", "conn-1")
	<-done
	for _, line := range log {
		fmt.Println(line)
	}
	// Output:
	// 2 entries
	// join alice conn-1 {"tab":1}
	// join alice conn-2 {"tab":2}
	// leave alice conn-1
}
