package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/quranfoundation/reflect-graphql/graph"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/upstream"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// serveProxy is the bare one-hop facade: it takes the same POST as the service,
// makes the same single upstream GET, and copies the bytes back.
func serveProxy(upstream string) error {
	client := upstreamClient()
	target := upstream + "/quran-reflect/v1/rooms/1"
	return serveOnLoopback(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		forward(w, r, client, target, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
}

// forward is a one-hop proxy's whole work: one GET of target from the fake
// with token, its answer copied back as it came.
func forward(w http.ResponseWriter, r *http.Request, client *http.Client, target, token string) {
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, target, nil)
	req.Header.Set("x-auth-token", token)
	req.Header.Set("x-client-id", fake.DemoClientID)
	resp, err := client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// upstreamClient is the baselines' client to the fake, pooled as the
// service's: no churn of connections at 1,024 clients.
func upstreamClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}}
}

func serveOnLoopback(h http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening http://%s\n", ln.Addr())
	return (&http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}).Serve(ln)
}

// The floor is gqlgen alone: the service's schema and generated executor,
// with a room resolver that makes the one upstream GET itself and decodes it
// with the service's decoder, behind gqlgen's stock handler and nothing else
// (no viewer, limits, loader, breaker, retries, metrics, logs or deadline).
// It answers the load's query as the service does, and costs what the fixed
// stack (gqlgen, net/http, the decoder) costs: no facade built on it can beat
// it, so the service's distance to it is what its own layers cost.

const floorName = "gqlgen alone (the floor)"

type tokenKey struct{}

func serveFloor(upstreamURL string) error {
	// The service's own collector settings (server.go), so that the
	// comparison is of the work, not of the collector.
	debug.SetGCPercent(service.Defaults().GCPercent)
	debug.SetMemoryLimit(service.DefaultMemoryLimit)
	rooms := floorRooms{client: upstreamClient(), base: upstreamURL}
	h := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: floorRoot{graph.NewResolver(graph.Deps{}), rooms}}))
	h.AddTransport(transport.POST{})
	h.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	mux := http.NewServeMux()
	mux.Handle("POST /query", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, token)))
	}))
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) { // what the load reads of the service's
		fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	})
	return serveOnLoopback(mux)
}

// floorRoot is the service's resolvers with Query.room replaced.
type floorRoot struct {
	*graph.Resolver
	rooms floorRooms
}

func (r floorRoot) Query() graph.QueryResolver { return floorQuery{r.Resolver.Query(), r.rooms} }

type floorQuery struct {
	graph.QueryResolver
	floorRooms
}

type floorRooms struct {
	client *http.Client
	base   string
}

func (q floorQuery) Room(ctx context.Context, id, url, subdomain *string) (*upstream.Room, error) {
	if id == nil {
		return nil, fmt.Errorf("the floor reads rooms by id only")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, q.base+"/quran-reflect/v1/rooms/"+*id, nil)
	if err != nil {
		return nil, err
	}
	token, _ := ctx.Value(tokenKey{}).(string)
	req.Header["X-Auth-Token"] = []string{token}
	req.Header["X-Client-Id"] = []string{fake.DemoClientID}
	resp, err := q.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("upstream: %s", resp.Status)
	}
	return upstream.DecodeRoom(body)
}

// sameAnswers checks that the floor answers the load's query with the data
// the service answers it with: a floor that did less work would flatter it.
func sameAnswers(service, floor target) error {
	client := &http.Client{Timeout: 10 * time.Second}
	var data [2]any
	for i, t := range []target{service, floor} {
		resp, err := client.Do(t.request())
		if err != nil {
			return err
		}
		var answer struct {
			Data   any `json:"data"`
			Errors any `json:"errors"`
		}
		err = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if err != nil || answer.Errors != nil || answer.Data == nil {
			return fmt.Errorf("%s: no data in its answer (%v, errors %v)", t.name, err, answer.Errors)
		}
		data[i] = answer.Data
	}
	a, _ := json.Marshal(data[0])
	b, _ := json.Marshal(data[1])
	if !bytes.Equal(a, b) {
		return fmt.Errorf("the floor's answer differs from the service's:\n%s\n%s", b, a)
	}
	return nil
}
