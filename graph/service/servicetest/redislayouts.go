package servicetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quranfoundation/reflect-graphql/graph/service"
)

// EachRedis runs f as a subtest against each layout of Redis the service
// supports, each started afresh for it: one redis-server ("server"), a
// three-node Redis Cluster ("cluster") and a primary found through Sentinel
// ("sentinel"). f gets the URL REDIS_URL would name it by.
func EachRedis(t *testing.T, f func(t *testing.T, redisURL string)) {
	for _, l := range []struct {
		name  string
		start func(*testing.T) string
	}{{"server", StartRedis}, {"cluster", StartRedisCluster}, {"sentinel", StartRedisSentinel}} {
		t.Run(l.name, func(t *testing.T) { f(t, l.start(t)) })
	}
}

// StartRedisCluster runs a Redis Cluster of three primaries (no replicas) on
// loopback for the test, made with redis-cli --cluster create, and returns
// its URL in go-redis's cluster form: redis://h1:p1?addr=h2:p2&addr=h3:p3.
func StartRedisCluster(t *testing.T) string {
	t.Helper()
	return StartRedisClusterServers(t).URL
}

// RedisCluster is a Redis Cluster the test runs: its URL, and its nodes
// (each Node's URL is its own redis://127.0.0.1:port).
type RedisCluster struct {
	URL   string
	Nodes []Redis
}

// StartRedisClusterServers is StartRedisCluster, with a handle on each node.
func StartRedisClusterServers(t *testing.T) RedisCluster {
	t.Helper()
	dir := redisDir(t)
	var (
		addrs []string
		nodes []Redis
	)
	for i := range 3 {
		port, bus := freePort(t), freePort(t)
		node := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(node, 0o700); err != nil {
			t.Fatal(err)
		}
		cmd := startRedisProcess(t, node, "ready to accept connections", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus), "--cluster-config-file", "nodes.conf",
			"--save", "", "--appendonly", "no", "--dir", node)
		addrs = append(addrs, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		nodes = append(nodes, Redis{URL: "redis://" + addrs[i], process: cmd.Process})
	}
	create := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Each node learns the others' slots by gossip; the cluster serves every
	// slot once each node says so.
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		waitFor(t, "cluster_state:ok on "+a, func(ctx context.Context) bool {
			info, err := c.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
		c.Close()
	}
	return RedisCluster{URL: "redis://" + addrs[0] + "?addr=" + addrs[1] + "&addr=" + addrs[2], Nodes: nodes}
}

// StartRedisSentinel runs a primary and one Sentinel watching it (as
// "primary", quorum 1) on loopback for the test, and returns the URL in
// go-redis's failover form: redis://sentinel?master_name=primary.
func StartRedisSentinel(t *testing.T) string {
	t.Helper()
	dir := redisDir(t)
	port, sentinel := freePort(t), freePort(t)
	startRedisProcess(t, dir, "ready to accept connections", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir)
	// Sentinel rewrites its configuration file: it must be its own.
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, "bind 127.0.0.1\nport %d\nsentinel monitor primary 127.0.0.1 %d 1\n", sentinel, port), 0o600); err != nil {
		t.Fatal(err)
	}
	startRedisProcess(t, dir, "+monitor master primary", conf, "--sentinel")
	return fmt.Sprintf("redis://127.0.0.1:%d?master_name=primary", sentinel)
}

// freePort is a loopback TCP port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor asks ok until it says yes, for an outside process whose state
// cannot be waited on otherwise; ten seconds is a guard, not a timing.
func waitFor(t *testing.T, what string, ok func(context.Context) bool) {
	t.Helper()
	guard := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		done := ok(ctx)
		cancel()
		if done {
			return
		}
		if time.Now().After(guard) {
			t.Fatalf("no %s after 10s", what)
		}
		<-tick.C
	}
}

// RedisClient connects to the Redis at url (any layout), as the service does,
// for the test.
func RedisClient(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	c, err := service.NewRedis(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// RedisKeys are every key Redis holds, with their values, from every primary
// of a cluster.
func RedisKeys(t *testing.T, c redis.UniversalClient) map[string]string {
	t.Helper()
	ctx := context.Background()
	var (
		mu    sync.Mutex
		nodes []redis.Cmdable
	)
	if cc, ok := c.(*redis.ClusterClient); ok {
		err := cc.ForEachMaster(ctx, func(_ context.Context, n *redis.Client) error {
			mu.Lock() // ForEachMaster calls at once
			defer mu.Unlock()
			nodes = append(nodes, n)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		nodes = append(nodes, c)
	}
	out := map[string]string{}
	for _, n := range nodes {
		keys, err := n.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			out[k], _ = n.Get(ctx, k).Result() // "" for what is not a string
		}
	}
	return out
}
