package pubsub_test

import (
	"context"
	"fmt"

	"github.com/echo-liveview/liveview/pubsub"
)

func Example() {
	ctx := context.Background()
	broker := pubsub.NewMemory()
	defer broker.Close()

	done := make(chan struct{})
	sub, err := broker.Subscribe(ctx, "room:lobby", func(payload []byte) {
		fmt.Printf("lobby: %s\n", payload)
		if string(payload) == "bye" {
			close(done)
		}
	})
	if err != nil {
		panic(err)
	}
	defer sub.Unsubscribe()

	// Messages from one goroutine arrive in order; nobody listens to "room:attic".
	broker.Publish(ctx, "room:lobby", []byte("hello"))
	broker.Publish(ctx, "room:attic", []byte("unheard"))
	broker.Publish(ctx, "room:lobby", []byte("bye"))
	<-done
	// Output:
	// lobby: hello
	// lobby: bye
}
