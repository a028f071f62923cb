package redisserver_test

import (
	"testing"

	"github.com/echo-liveview/liveview/internal/redisserver"
)

// TestCluster: the nodes serve every slot; a node killed and restarted
// rejoins with its slots.
func TestCluster(t *testing.T) {
	c := redisserver.StartCluster(t, 3)
	if got := len(c.Addrs()); got != 3 {
		t.Fatalf("Addrs: %d nodes, want 3", got)
	}
	seen := make(map[int]bool)
	for _, key := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		seen[c.NodeFor(key)] = true
	}
	if len(seen) < 2 {
		t.Errorf("8 keys all on node %v: slots not split", seen)
	}
	i := c.NodeFor("a")
	c.Node(i).Kill()
	c.Node(i).Restart()
	c.WaitOK()
	if got := c.NodeFor("a"); got != i {
		t.Errorf("after a restart, key a is on node %d, want %d", got, i)
	}
	if got := c.Node(i).Do("CLUSTER", "COUNTKEYSINSLOT", "0"); got != "0" {
		t.Errorf("COUNTKEYSINSLOT 0 = %q after a restart, want 0", got)
	}
}
