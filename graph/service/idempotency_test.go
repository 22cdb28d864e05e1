package service_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/idempotency"
	"github.com/quranfoundation/reflect-graphql/graph/service"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

const (
	asAisha = "Authorization: Bearer demo-aisha"
	asBilal = "Authorization: Bearer demo-bilal"
	follow  = `mutation Follow($id: ID!) { followUser(id: $id) { user { id followed followersCount } } }`
)

// userID is the id of the user with username, as aisha sees it.
func userID(t *testing.T, env *servicetest.Env, username string) string {
	t.Helper()
	resp := env.Post(t, `query($u: String!) { user(username: $u) { id } }`, map[string]any{"u": username}, asAisha)
	id, _ := servicetest.At(resp.Data, "user", "id").(string)
	if id == "" {
		t.Fatalf("no user %s: %s", username, resp.Raw)
	}
	return id
}

// groupToJoin is a public group bilal has not joined.
func groupToJoin(t *testing.T, env *servicetest.Env) string {
	t.Helper()
	resp := env.Post(t, `{ rooms(ids: ["2","3","4","5","6","7","8","9","11","12","13","14"]) { id roomType isPublic isMember } }`, nil, asBilal)
	for _, r := range resp.Data["rooms"].([]any) {
		if servicetest.At(r, "roomType") == "GROUP" && servicetest.At(r, "isPublic") == true && servicetest.At(r, "isMember") == false {
			return servicetest.At(r, "id").(string)
		}
	}
	t.Fatalf("no public group to join: %s", resp.Raw)
	return ""
}

// layouts are the service's stores of keys: one replica in memory, and two
// replicas on one real redis-server.
func layouts(t *testing.T, f func(t *testing.T, envs []*servicetest.Env)) {
	t.Run("memory", func(t *testing.T) {
		f(t, []*servicetest.Env{servicetest.New(t, servicetest.Options{})})
	})
	t.Run("redis, two replicas", func(t *testing.T) {
		f(t, servicetest.Replicas(t, 2, servicetest.StartRedis(t), servicetest.Options{}))
	})
}

func code(r servicetest.Response) string {
	if len(r.Errors) != 1 {
		return fmt.Sprintf("%d errors", len(r.Errors))
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// TestIdempotencyKeyReplays: a mutation sent twice with one key is one upstream
// write, and the second answer is the first, byte for byte, replayed (on the
// other replica too); a request by hash alone is the same request as the
// document with its hash; neither the token nor the key is logged, nor in
// Redis's key names.
func TestIdempotencyKeyReplays(t *testing.T) {
	layouts(t, func(t *testing.T, envs []*servicetest.Env) {
		vars := map[string]any{"id": userID(t, envs[0], "musa")}
		first := servicetest.CheckIdempotent(t, envs, fake.RouteToggleFollow, follow, vars, asAisha)
		if servicetest.At(first.Data, "followUser", "user", "followed") != true {
			t.Errorf("follow: %s", first.Raw)
		}

		// Without a key, the same write is a write again.
		before := envs[0].Fake.Stats().Calls[fake.RouteToggleFollow]
		if resp := envs[0].Post(t, follow, vars, asAisha); resp.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("a request without a key was replayed: %s", resp.Raw)
		}
		if n := envs[0].Fake.Stats().Calls[fake.RouteToggleFollow] - before; n != 1 {
			t.Errorf("a request without a key made %d writes, want 1", n)
		}

		// The document with its hash, then the hash alone, with one key.
		const unfollow = `mutation Unfollow { unfollowUser(id: "%s") { user { followed } } }`
		q := fmt.Sprintf(unfollow, vars["id"])
		before = envs[0].Fake.Stats().Calls[fake.RouteToggleFollow]
		full := envs[0].APQ(t, http.MethodPost, q, true, asAisha, "Idempotency-Key: by-hash")
		byHash := envs[len(envs)-1].APQ(t, http.MethodPost, q, false, asAisha, "Idempotency-Key: by-hash")
		if full.Raw != byHash.Raw || byHash.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("by hash: %s (replayed %q), with the document: %s", byHash.Raw, byHash.Header.Get("Idempotent-Replayed"), full.Raw)
		}
		if n := envs[0].Fake.Stats().Calls[fake.RouteToggleFollow] - before; n != 1 {
			t.Errorf("the document and its hash made %d writes, want 1", n)
		}

		for _, env := range envs {
			logs := env.Logs.String()
			for _, secret := range []string{"demo-aisha", "TestIdempotencyKeyReplays/", "by-hash"} {
				if strings.Contains(logs, secret) {
					t.Errorf("the log holds %q", secret)
				}
			}
		}
	})
}

// TestIdempotencyKeyReusedIs422: a key sent again with another document,
// operation or variables is refused with 422, without a call, and the first
// answer stays kept.
func TestIdempotencyKeyReusedIs422(t *testing.T) {
	layouts(t, func(t *testing.T, envs []*servicetest.Env) {
		last := envs[len(envs)-1]
		musa, vars := userID(t, envs[0], "musa"), map[string]any{}
		vars["id"] = musa
		key := "Idempotency-Key: reused"
		if resp := envs[0].Post(t, follow, vars, asAisha, key); len(resp.Errors) > 0 {
			t.Fatalf("first: %s", resp.Raw)
		}
		before := envs[0].Fake.Stats().APICalls
		for name, req := range map[string]struct {
			query string
			vars  map[string]any
		}{
			"variables": {follow, map[string]any{"id": userID(t, envs[0], "fatima")}},
			"document":  {strings.Replace(follow, "followersCount", "", 1), vars},
			"operation": {strings.Replace(follow, "Follow(", "FollowAgain(", 1), vars},
		} {
			resp := last.Post(t, req.query, req.vars, asAisha, key)
			if resp.Status != http.StatusUnprocessableEntity || code(resp) != errcode.IdempotencyKeyReused || resp.Data != nil {
				t.Errorf("%s changed: HTTP %d %s, want 422 %s", name, resp.Status, resp.Raw, errcode.IdempotencyKeyReused)
			}
		}
		// (userID's lookups aside.)
		if n := envs[0].Fake.Stats().Calls[fake.RouteToggleFollow]; n != 1 {
			t.Errorf("%d writes, want 1 (calls since the first: %d)", n, envs[0].Fake.Stats().APICalls-before)
		}
		if resp := last.Post(t, follow, vars, asAisha, key); resp.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("after the refusals, the first request is not replayed: %s", resp.Raw)
		}
	})
}

// TestIdempotencyKeyInFlightIs409: while the first request with a key is
// running (held at the upstream), the same request with the key is refused
// with 409 on any replica, another with it with 422; once it has answered, it
// is replayed. One upstream write in all.
func TestIdempotencyKeyInFlightIs409(t *testing.T) {
	layouts(t, func(t *testing.T, envs []*servicetest.Env) {
		last := envs[len(envs)-1]
		room := groupToJoin(t, envs[0])
		join := `mutation Join($id: ID!) { joinRoom(id: $id) { room { id isMember } } }`
		vars := map[string]any{"id": room}
		key := "Idempotency-Key: held"
		// joinRoom writes, then reads the room: that read is held.
		reached, release := envs[0].Fake.HoldRooms(1)
		defer release()
		firstDone := make(chan servicetest.Response, 1)
		var wg sync.WaitGroup
		wg.Go(func() { firstDone <- envs[0].Post(t, join, vars, asBilal, key) })
		<-reached
		resp := last.Post(t, join, vars, asBilal, key)
		if resp.Status != http.StatusConflict || code(resp) != errcode.IdempotencyKeyInFlight || resp.Header.Get("Retry-After") == "" {
			t.Errorf("while the first runs: HTTP %d %s (Retry-After %q), want 409 %s", resp.Status, resp.Raw, resp.Header.Get("Retry-After"), errcode.IdempotencyKeyInFlight)
		}
		other := last.Post(t, join, map[string]any{"id": "1"}, asBilal, key)
		if other.Status != http.StatusUnprocessableEntity || code(other) != errcode.IdempotencyKeyReused {
			t.Errorf("another request while the first runs: HTTP %d %s, want 422", other.Status, other.Raw)
		}
		release()
		wg.Wait()
		first := <-firstDone
		if servicetest.At(first.Data, "joinRoom", "room", "isMember") != true {
			t.Fatalf("first: %s", first.Raw)
		}
		again := last.Post(t, join, vars, asBilal, key)
		if again.Raw != first.Raw || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("after the first: %s (replayed %q), want %s", again.Raw, again.Header.Get("Idempotent-Replayed"), first.Raw)
		}
		if n := envs[0].Fake.Stats().Calls[fake.RouteJoinRoom]; n != 1 {
			t.Errorf("%d joins, want 1", n)
		}
	})
}

// TestIdempotencyKeyOfARefusedRequestIsFree: a mutation refused before any
// upstream call (validation, sign-in required, an invalid argument) keeps
// nothing under its key, so the corrected request with the same key runs.
func TestIdempotencyKeyOfARefusedRequestIsFree(t *testing.T) {
	layouts(t, func(t *testing.T, envs []*servicetest.Env) {
		last := envs[len(envs)-1]
		musa := userID(t, envs[0], "musa")
		key := "Idempotency-Key: corrected"
		invalid := envs[0].Post(t, `mutation { followUser(id: "x") { user { noSuchField } } }`, nil, asAisha, key)
		if code(invalid) != errcode.ValidationFailed {
			t.Fatalf("an invalid document: %s", invalid.Raw)
		}
		anonymous := envs[0].Post(t, follow, map[string]any{"id": musa}, key)
		if code(anonymous) != errcode.Unauthenticated {
			t.Fatalf("anonymous: %s", anonymous.Raw)
		}
		badID := envs[0].Post(t, follow, map[string]any{"id": "not-a-uuid"}, asAisha, key)
		if code(badID) != errcode.BadUserInput {
			t.Fatalf("a bad id: %s", badID.Raw)
		}
		if again := last.Post(t, follow, map[string]any{"id": "not-a-uuid"}, asAisha, key); again.Header.Get("Idempotent-Replayed") != "" ||
			code(again) != errcode.BadUserInput {
			t.Errorf("a refusal was kept: %s (replayed %q)", again.Raw, again.Header.Get("Idempotent-Replayed"))
		}
		if n := envs[0].Fake.Stats().Calls[fake.RouteToggleFollow]; n != 0 {
			t.Fatalf("the refusals made %d writes", n)
		}
		ok := last.Post(t, follow, map[string]any{"id": musa}, asAisha, key)
		if len(ok.Errors) > 0 || ok.Header.Get("Idempotent-Replayed") != "" || servicetest.At(ok.Data, "followUser", "user", "followed") != true {
			t.Errorf("the corrected request: %s (replayed %q)", ok.Raw, ok.Header.Get("Idempotent-Replayed"))
		}
		if n := envs[0].Fake.Stats().Calls[fake.RouteToggleFollow]; n != 1 {
			t.Errorf("the corrected request made %d writes, want 1", n)
		}
	})
}

// TestIdempotencyKeysAreTheCallers: two callers with one key each run their
// own request (two writes) and get their own answer, not a replay.
func TestIdempotencyKeysAreTheCallers(t *testing.T) {
	layouts(t, func(t *testing.T, envs []*servicetest.Env) {
		musa := userID(t, envs[0], "musa")
		key := "Idempotency-Key: shared-key"
		a := envs[0].Post(t, follow, map[string]any{"id": musa}, asAisha, key)
		b := envs[len(envs)-1].Post(t, follow, map[string]any{"id": musa}, asBilal, key)
		if b.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("bilal got aisha's answer replayed: %s", b.Raw)
		}
		for _, r := range []servicetest.Response{a, b} {
			if len(r.Errors) > 0 || servicetest.At(r.Data, "followUser", "user", "followed") != true {
				t.Errorf("follow: %s", r.Raw)
			}
		}
		if n := envs[0].Fake.Stats().Calls[fake.RouteToggleFollow]; n != 2 {
			t.Errorf("%d writes for two callers, want 2", n)
		}
	})
}

// TestIdempotencyKeyHeaderRules: queries ignore the header; a mutation with a
// malformed key is refused (400) without a call; GET still runs no mutation.
func TestIdempotencyKeyHeaderRules(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{})
	musa := userID(t, env, "musa")
	for _, k := range []string{"", strings.Repeat("k", 256), "caf\u00e9", "tab\there"} {
		q := env.Post(t, `{ room(id: "1") { id } }`, nil, asAisha, "Idempotency-Key: "+k)
		if len(q.Errors) > 0 || q.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("a query with the key %q: %s", k, q.Raw)
		}
		if k == "" {
			continue // net/http sends no empty header
		}
		m := env.Post(t, follow, map[string]any{"id": musa}, asAisha, "Idempotency-Key: "+k)
		if m.Status != http.StatusBadRequest || code(m) != errcode.BadRequest {
			t.Errorf("a mutation with the key %q: HTTP %d %s, want 400", k, m.Status, m.Raw)
		}
	}
	if ok := env.Post(t, follow, map[string]any{"id": musa}, asAisha, "Idempotency-Key: "+strings.Repeat("~", 255)); len(ok.Errors) > 0 {
		t.Errorf("a key of 255 characters: %s", ok.Raw)
	}
	if n := env.Fake.Stats().Calls[fake.RouteToggleFollow]; n != 1 {
		t.Errorf("%d writes, want 1 (the valid key's)", n)
	}
	req, _ := http.NewRequest(http.MethodGet, env.Endpoint+"?query="+strings.ReplaceAll(`mutation { joinRoom(id: "2") { room { id } } }`, " ", "+"), nil)
	req.Header.Set("Authorization", "Bearer demo-bilal")
	req.Header.Set("Idempotency-Key", "by-get")
	if resp := servicetest.Do(t, req); resp.Status != http.StatusMethodNotAllowed {
		t.Errorf("a GET mutation with a key: HTTP %d %s, want 405", resp.Status, resp.Raw)
	}
}

// TestIdempotencyKeyExpires: in memory, an answer is kept IDEMPOTENCY_TTL by
// the service's clock, then the key runs again.
func TestIdempotencyKeyExpires(t *testing.T) {
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.IdempotencyTTL = time.Hour }})
	vars := map[string]any{"id": userID(t, env, "musa")}
	key := "Idempotency-Key: expiring"
	env.Post(t, follow, vars, asAisha, key)
	env.Clock.Add(time.Hour - time.Second)
	if resp := env.Post(t, follow, vars, asAisha, key); resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("before the TTL: %s, not replayed", resp.Raw)
	}
	env.Clock.Add(time.Second)
	if resp := env.Post(t, follow, vars, asAisha, key); resp.Header.Get("Idempotent-Replayed") != "" || len(resp.Errors) > 0 {
		t.Errorf("after the TTL: %s, replayed %q", resp.Raw, resp.Header.Get("Idempotent-Replayed"))
	}
	if n := env.Fake.Stats().Calls[fake.RouteToggleFollow]; n != 2 {
		t.Errorf("%d writes, want 2", n)
	}
}

// TestIdempotencyKeyInRedis: one Redis key per caller and key, named by a
// hash (neither the token nor the key in it), expiring after IDEMPOTENCY_TTL;
// on a Redis Cluster too.
func TestIdempotencyKeyInRedis(t *testing.T) {
	servicetest.EachRedis(t, func(t *testing.T, redisURL string) {
		envs := servicetest.Replicas(t, 2, redisURL, servicetest.Options{Config: func(c *service.Config) { c.IdempotencyTTL = 2 * time.Hour }})
		vars := map[string]any{"id": userID(t, envs[0], "musa")}
		servicetest.CheckIdempotent(t, envs, fake.RouteToggleFollow, follow, vars, asAisha)
		envs[1].Post(t, follow, vars, asBilal, "Idempotency-Key: bilal's")
		client := servicetest.Must(service.NewRedis(redisURL))
		defer client.Close()
		ctx := context.Background()
		var keys []string
		scan := func(ctx context.Context, c *redis.Client) error {
			found, err := c.Keys(ctx, "reflect-graphql:idem:*").Result()
			keys = append(keys, found...)
			return err
		}
		var err error
		if cc, ok := client.(*redis.ClusterClient); ok {
			var mu sync.Mutex
			err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
				mu.Lock()
				defer mu.Unlock()
				return scan(ctx, c)
			})
		} else {
			err = scan(ctx, client.(*redis.Client))
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 {
			t.Fatalf("keys %v, want one per caller and key", keys)
		}
		for _, k := range keys {
			if strings.Contains(k, "demo-") || strings.Contains(k, "bilal") || strings.Contains(k, "Test") {
				t.Errorf("the key %s names its caller or key", k)
			}
			ttl, err := client.PTTL(ctx, k).Result()
			if err != nil || ttl <= time.Hour || ttl > 2*time.Hour {
				t.Errorf("%s expires in %v (%v), want within IDEMPOTENCY_TTL (2h) and longer than a lease", k, ttl, err)
			}
		}
	})
}

// TestIdempotencyFailsClosed: while Redis does not answer, a mutation with a
// key is refused (503, IDEMPOTENCY_UNAVAILABLE, Retry-After) and not run;
// without a key it runs; once Redis is back, keys work again.
func TestIdempotencyFailsClosed(t *testing.T) {
	r := servicetest.StartRedisServer(t)
	env := servicetest.New(t, servicetest.Options{Config: func(c *service.Config) { c.RedisURL = r.URL }})
	vars := map[string]any{"id": userID(t, env, "musa")}
	if err := r.Freeze(); err != nil {
		t.Fatal(err)
	}
	resp := env.Post(t, follow, vars, asAisha, "Idempotency-Key: frozen")
	if resp.Status != http.StatusServiceUnavailable || code(resp) != errcode.IdempotencyUnavailable ||
		resp.Header.Get("Retry-After") == "" || resp.Errors[0].Extensions["retryAfter"] == nil {
		t.Errorf("with Redis frozen: HTTP %d %s (Retry-After %q)", resp.Status, resp.Raw, resp.Header.Get("Retry-After"))
	}
	if n := env.Fake.Stats().Calls[fake.RouteToggleFollow]; n != 0 {
		t.Errorf("with Redis frozen, %d writes ran", n)
	}
	if resp := env.Post(t, follow, vars, asAisha); len(resp.Errors) > 0 {
		t.Errorf("without a key, with Redis frozen: %s", resp.Raw)
	}
	if err := r.Thaw(); err != nil {
		t.Fatal(err)
	}
	// The gate leaves a failed Redis alone for a while (the service's
	// clock does not move it): a fresh replica sees Redis at once.
	fresh := servicetest.New(t, servicetest.Options{Beside: env, Config: func(c *service.Config) { c.RedisURL = r.URL }})
	servicetest.CheckIdempotent(t, []*servicetest.Env{fresh}, fake.RouteToggleFollow, follow, vars, asAisha)
}

// TestIdempotencyRedisStore: the Redis store's claims belong to their
// request: another's Release leaves them, and a claim gone from Redis (its
// lease ended, or it was evicted) keeps nothing.
func TestIdempotencyRedisStore(t *testing.T) {
	url := servicetest.StartRedis(t)
	client := servicetest.Must(service.NewRedis(url))
	defer client.Close()
	ctx := context.Background()
	k := idempotency.New(idempotency.NewRedisStore(client, time.Second, nil), time.Hour, time.Minute)
	fp := idempotency.DocumentHash("a fingerprint")
	req, _, err := k.Begin(ctx, "user:a", "k", fp)
	if err != nil || req == nil {
		t.Fatalf("Begin: %v", err)
	}
	if _, _, err := k.Begin(ctx, "user:a", "k", fp); !errors.Is(err, idempotency.ErrInFlight) {
		t.Errorf("while running: %v, want ErrInFlight", err)
	}
	if _, _, err := k.Begin(ctx, "user:a", "k", idempotency.DocumentHash("another")); !errors.Is(err, idempotency.ErrReused) {
		t.Errorf("another request while running: %v, want ErrReused", err)
	}
	body := "{\"data\":\"line\\nbreak\"}\n"
	if err := req.Keep(ctx, idempotency.Answer{Status: 200, ContentType: "application/json; charset=utf-8", Body: []byte(body)}); err != nil {
		t.Fatal(err)
	}
	_, kept, err := k.Begin(ctx, "user:a", "k", fp)
	if err != nil || kept == nil || string(kept.Body) != body || kept.Status != 200 || kept.ContentType != "application/json; charset=utf-8" || kept.Omitted {
		t.Errorf("kept: %+v %v", kept, err)
	}

	lost, _, _ := k.Begin(ctx, "user:a", "lost", fp)
	keys, err := client.Keys(ctx, "reflect-graphql:idem:*").Result()
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys %v %v", keys, err)
	}
	for _, key := range keys {
		if v, _ := client.Get(ctx, key).Result(); strings.HasPrefix(v, "F") {
			client.Del(ctx, key) // as an expired lease would
		}
	}
	if err := lost.Keep(ctx, idempotency.Answer{Status: 200}); !errors.Is(err, idempotency.ErrLost) {
		t.Errorf("Keep of a lost claim: %v, want ErrLost", err)
	}
	again, _, _ := k.Begin(ctx, "user:a", "lost", fp)
	if err := lost.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := k.Begin(ctx, "user:a", "lost", fp); !errors.Is(err, idempotency.ErrInFlight) {
		t.Errorf("an old request's Release freed the new claim: %v", err)
	}
	if err := again.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if req, _, err := k.Begin(ctx, "user:a", "lost", fp); err != nil || req == nil {
		t.Errorf("after Release: %v", err)
	}
}

// keptSignal wraps a store: kept receives once for each answer kept.
type keptSignal struct {
	idempotency.Store
	kept chan struct{}
}

func (k keptSignal) Keep(ctx context.Context, key string, c idempotency.Claim, a idempotency.Answer, ttl time.Duration) error {
	err := k.Store.Keep(ctx, key, c, a, ttl)
	k.kept <- struct{}{}
	return err
}

// TestIdempotencyKeyOutlivesItsClient: a keyed write whose client goes away
// mid-request is not cancelled: it runs on to its answer, which is kept, and
// the client's retry gets it.
func TestIdempotencyKeyOutlivesItsClient(t *testing.T) {
	kept := make(chan struct{}, 1)
	env := servicetest.New(t, servicetest.Options{Deps: service.Deps{
		WrapIdempotency: func(s idempotency.Store) idempotency.Store { return keptSignal{s, kept} },
	}})
	room := groupToJoin(t, env)
	join := `mutation Join($id: ID!) { joinRoom(id: $id) { room { id isMember } } }`
	reached, release := env.Fake.HoldRooms(1) // the read after the write
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/query", strings.NewReader(servicetest.Body(join, map[string]any{"id": room})))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer demo-bilal")
	req.Header.Set("Idempotency-Key", "gone")
	var wg sync.WaitGroup
	wg.Go(func() { env.Handler.ServeHTTP(httptest.NewRecorder(), req) })
	<-reached
	cancel() // the client goes away
	release()
	<-kept
	wg.Wait()
	retry := env.Post(t, join, map[string]any{"id": room}, asBilal, "Idempotency-Key: gone")
	if retry.Header.Get("Idempotent-Replayed") != "true" || len(retry.Errors) > 0 || servicetest.At(retry.Data, "joinRoom", "room", "isMember") != true {
		t.Errorf("the retry: %s (replayed %q), want the write's whole answer", retry.Raw, retry.Header.Get("Idempotent-Replayed"))
	}
	if st := env.Fake.Stats(); st.Calls[fake.RouteJoinRoom] != 1 || st.Cancelled != 0 {
		t.Errorf("%d joins and %d cancelled calls, want 1 and 0", st.Calls[fake.RouteJoinRoom], st.Cancelled)
	}
}
