// The processes a run starts (the fake, the proxies, the service) and what the
// fake tells of its calls.

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// serveFake runs the fake upstream with 200 rooms and a stats endpoint.
func serveFake(latency time.Duration) error {
	f := fake.New(fake.Options{Latency: latency, Rooms: 200})
	mux := http.NewServeMux()
	mux.Handle("/", f)
	mux.HandleFunc("GET /__stats", func(w http.ResponseWriter, r *http.Request) {
		st := f.Stats()
		_ = json.NewEncoder(w).Encode(fakeCounts{Rooms: st.RoomCalls, Tokens: st.TokenRequests, Calls: st.Calls})
	})
	mux.HandleFunc("POST /__latency", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.SetLatency(d)
	})
	return serveOnLoopback(mux)
}

// child is a started process and the URL it announced.
type child struct {
	cmd *exec.Cmd
	url string
}

// start runs a child in this process group and waits for its URL line.
func start(ctx context.Context, env []string, name string, args ...string) (*child, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if u, ok := strings.CutPrefix(line, "listening "); ok {
			go io.Copy(io.Discard, out)
			return &child{cmd: cmd, url: u}, nil
		}
		if _, rest, ok := strings.Cut(line, "GraphQL: "); ok {
			go io.Copy(io.Discard, out)
			return &child{cmd: cmd, url: strings.Replace(strings.TrimSuffix(rest, "/query"), "localhost", "127.0.0.1", 1)}, nil
		}
	}
	_ = cmd.Process.Kill()
	return nil, fmt.Errorf("%s did not start", name)
}

func (c *child) stop() {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
}

// fakeCounts is what the fake's /__stats tells: its room lookups, token
// requests and API calls by route (fake.Stats.Calls).
type fakeCounts struct {
	Rooms  int            `json:"rooms"`
	Tokens int            `json:"tokens"`
	Calls  map[string]int `json:"calls"`
}

func readFakeCounts(url string) fakeCounts {
	var st fakeCounts
	resp, err := http.Get(url + "/__stats")
	if err != nil {
		return st
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return st
}

// fakeStats is the fake's room lookups so far.
func fakeStats(url string) int { return readFakeCounts(url).Rooms }

// fakeCalls is the fake's API calls so far, by route.
func fakeCalls(url string) map[string]int { return readFakeCounts(url).Calls }

// serviceEnv is the service's environment against the fake at upstream: the
// demo client, quiet logs, the per-caller limits lifted (one token drives all
// the load) and the per-address share of connections too (one address opens
// up to 1,024), and extra.
func serviceEnv(upstream string, extra ...string) []string {
	return append([]string{"HOST=127.0.0.1", "PORT=0", "QF_CLIENT_ID=" + fake.DemoClientID, "QF_CLIENT_SECRET=" + fake.DemoClientSecret,
		"QF_API_BASE_URL=" + upstream, "QF_AUTH_BASE_URL=" + upstream, "LOG_LEVEL=warn",
		"CALLER_RATE=1000000", "CALLER_BURST=1000000", "CALLER_MAX_IN_FLIGHT=1000000", "MAX_CONNECTIONS_PER_ADDRESS=4096",
		"GRAPHIQL=false"}, extra...)
}

// withFake builds the binaries, starts the fake upstream answering in
// latency, and runs f with them; everything it started stops when f returns.
func withFake(server string, latency time.Duration, f func(ctx context.Context, self, server string, up *child) error) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	self, server, cleanup, err := binaries(server)
	if err != nil {
		return err
	}
	defer cleanup()
	up, err := start(ctx, nil, self, "-role", "fake", "-latency", latency.String())
	if err != nil {
		return err
	}
	defer up.stop()
	return f(ctx, self, server, up)
}

// binaries are this program (which runs the fake and the proxy) and the
// service: server, or, when it is "", one built now into a temporary folder
// that cleanup removes.
func binaries(server string) (self, service string, cleanup func(), err error) {
	self, err = os.Executable()
	if err != nil || server != "" {
		return self, server, func() {}, err
	}
	dir, err := os.MkdirTemp("", "load")
	if err != nil {
		return "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	service = filepath.Join(dir, "server")
	build := exec.Command("go", "build", "-o", service, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		cleanup()
		return "", "", nil, fmt.Errorf("building the service (run from the repository's root): %w", err)
	}
	return self, service, cleanup, nil
}

func splitEnv(s string) []string {
	var out []string
	for kv := range strings.SplitSeq(s, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			out = append(out, kv)
		}
	}
	return out
}
