package redisserver

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clusterTimeout bounds the time a cluster takes to agree that every slot
// is served (after its creation, or after a node came back).
const clusterTimeout = 30 * time.Second

// NodeTimeout is the cluster-node-timeout of the nodes StartCluster starts:
// a node that does not answer its peers for this long is marked as failed
// by them. The default of redis-server is 15s; tests that kill a node want
// to see both sides of it sooner.
const NodeTimeout = 2 * time.Second

// Cluster is a Redis Cluster of private redis-server nodes, each a master
// without replicas, on loopback. Its methods must be called from the test's
// goroutine (they may call t.Fatal).
type Cluster struct {
	t     testing.TB
	nodes []*Server
}

// StartCluster starts n redis-server nodes in cluster mode (n >= 3, as
// redis-cli --cluster create demands), each on a free loopback port with
// its own directory and cluster configuration file (nodes.conf) and no
// persistence, joins them into one cluster with redis-cli --cluster create
// (the 16384 slots split evenly, no replicas) and waits until every node
// reports cluster_state:ok. The nodes are stopped when the test ends.
//
// The nodes run with cluster-require-full-coverage no: while a node is
// down, the others keep serving their own slots. A node restarted with
// [Server.Restart] keeps its port and its nodes.conf, so it rejoins the
// cluster with its slots (but without its data: nothing is persisted);
// call [Cluster.WaitOK] to wait until the cluster agrees again.
//
// Without redis-server or redis-cli it skips the test, or fails it when
// the CI environment variable is set, as [Start] does.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 3 {
		t.Fatalf("redisserver: StartCluster(%d): a cluster needs at least 3 masters", n)
	}
	bin := lookPath(t, "redis-server")
	cli := lookPath(t, "redis-cli")
	c := &Cluster{t: t}
	for range n {
		c.nodes = append(c.nodes, startServer(t, bin, []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", strconv.Itoa(int(NodeTimeout / time.Millisecond)),
			"--cluster-require-full-coverage", "no",
		}))
	}
	args := []string{"--cluster", "create"}
	args = append(args, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	c.WaitOK()
	return c
}

// Addrs returns the nodes' addresses, "127.0.0.1:PORT", in the order of
// Node. They do not change when a node is restarted.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		addrs[i] = s.Addr()
	}
	return addrs
}

// Node returns the i-th node, 0 <= i < n: Kill, Pause, Resume, Restart and
// Do act on that node alone.
func (c *Cluster) Node(i int) *Server { return c.nodes[i] }

// NodeFor returns the index (for Node) of the node that serves the slot of
// key, a key or a sharded channel name, as the first running node reports
// it (CLUSTER KEYSLOT and CLUSTER NODES).
func (c *Cluster) NodeFor(key string) int {
	c.t.Helper()
	var errs []string
	for _, s := range c.nodes {
		i, err := c.nodeFor(s, key)
		if err == nil {
			return i
		}
		errs = append(errs, err.Error())
	}
	c.t.Fatalf("redisserver: no node for %q: %s", key, strings.Join(errs, "; "))
	return -1
}

func (c *Cluster) nodeFor(s *Server, key string) (int, error) {
	reply, err := do(s.addr, "CLUSTER", "KEYSLOT", key)
	if err != nil {
		return -1, err
	}
	slot, err := strconv.Atoi(reply)
	if err != nil {
		return -1, fmt.Errorf("CLUSTER KEYSLOT: %q", reply)
	}
	nodes, err := do(s.addr, "CLUSTER", "NODES")
	if err != nil {
		return -1, err
	}
	// <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot> <slot>...
	for line := range strings.SplitSeq(nodes, "\n") {
		f := strings.Fields(line)
		if len(f) < 9 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		for _, r := range f[8:] {
			lo, hi, isRange := strings.Cut(r, "-")
			if !isRange {
				hi = lo
			}
			l, err1 := strconv.Atoi(lo)
			h, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || slot < l || slot > h {
				continue
			}
			for i, n := range c.nodes {
				if n.addr == addr {
					return i, nil
				}
			}
			return -1, fmt.Errorf("slot %d served by %s, not a node of this cluster", slot, addr)
		}
	}
	return -1, fmt.Errorf("no node serves slot %d", slot)
}

// WaitOK waits until every running node reports cluster_state:ok and
// knows every other node, and fails the test after 30 seconds.
func (c *Cluster) WaitOK() {
	c.t.Helper()
	deadline := time.Now().Add(clusterTimeout)
	for {
		bad := c.notOK()
		if bad == "" {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("redisserver: cluster not ok within %v: %s", clusterTimeout, bad)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitFailed waits until every other running node flags node i as failed
// (after NodeTimeout without an answer from it, the nodes agree on "fail"
// in CLUSTER NODES), and fails the test after 30 seconds. Node i is
// normally killed or paused.
func (c *Cluster) WaitFailed(i int) {
	c.t.Helper()
	deadline := time.Now().Add(clusterTimeout)
	for {
		failed := true
		for j, s := range c.nodes {
			s.mu.Lock()
			running := s.cmd != nil
			s.mu.Unlock()
			if j == i || !running {
				continue
			}
			nodes, err := do(s.addr, "CLUSTER", "NODES")
			if err != nil || !flagged(nodes, c.nodes[i].addr, "fail") {
				failed = false
			}
		}
		if failed {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("redisserver: node %s not flagged as failed within %v", c.nodes[i].addr, clusterTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// flagged reports whether the CLUSTER NODES line of addr has flag.
func flagged(nodes, addr, flag string) bool {
	for line := range strings.SplitSeq(nodes, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		if a, _, _ := strings.Cut(f[1], "@"); a == addr {
			return slices.Contains(strings.Split(f[2], ","), flag)
		}
	}
	return false
}

// notOK returns why the cluster is not ok yet, "" if it is.
func (c *Cluster) notOK() string {
	var why bytes.Buffer
	for _, s := range c.nodes {
		s.mu.Lock()
		running := s.cmd != nil
		s.mu.Unlock()
		if !running {
			continue
		}
		info, err := do(s.addr, "CLUSTER", "INFO")
		if err != nil {
			fmt.Fprintf(&why, "%s: %v; ", s.addr, err)
			continue
		}
		if !strings.Contains(info, "cluster_state:ok") ||
			!strings.Contains(info, "cluster_slots_ok:16384") ||
			!strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(c.nodes))) {
			fmt.Fprintf(&why, "%s: %q; ", s.addr, strings.ReplaceAll(info, "\r\n", " "))
		}
	}
	return why.String()
}
