package persisted_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quranfoundation/reflect-graphql/graph/persisted"
	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// testLimits are small shares: three open documents, two proven ones.
var testLimits = persisted.Limits{
	Open:   persisted.Limit{Documents: 3, MaxBytes: 100, TTL: 10 * time.Minute},
	Proven: persisted.Limit{Documents: 2, MaxBytes: 1000, TTL: 24 * time.Hour},
}

// hashN is a stand-in hash: the store keeps what it is given.
func hashN(i int) string { return fmt.Sprintf("%064x", i) }

// TestAFullShareRefusesAndEvictsNothing: once a share holds all it may, a new
// document is refused (ErrFull) and every document in it is still served; the
// other share is not touched; a document already there may be registered
// again. In memory and in each layout of Redis.
func TestAFullShareRefusesAndEvictsNothing(t *testing.T) {
	check := func(t *testing.T, s persisted.Store) {
		ctx := context.Background()
		for i := range 3 {
			if err := s.Add(ctx, hashN(i), fmt.Sprintf("query Open%d { __typename }", i), false); err != nil {
				t.Fatalf("open document %d: %v", i, err)
			}
		}
		if err := s.Add(ctx, hashN(3), "query Open3 { __typename }", false); !errors.Is(err, persisted.ErrFull) {
			t.Errorf("a fourth open document: %v, want ErrFull", err)
		}
		if err := s.Add(ctx, hashN(1), "query Open1 { __typename }", false); err != nil {
			t.Errorf("an open document registered again: %v", err)
		}
		for i := range 2 {
			if err := s.Add(ctx, hashN(10+i), fmt.Sprintf("query Proven%d { __typename }", i), true); err != nil {
				t.Errorf("proven document %d beside a full open share: %v", i, err)
			}
		}
		if err := s.Add(ctx, hashN(12), "query Proven2 { __typename }", true); !errors.Is(err, persisted.ErrFull) {
			t.Errorf("a third proven document: %v, want ErrFull", err)
		}
		for _, i := range []int{0, 1, 2, 10, 11} {
			if q, ok, err := s.Get(ctx, hashN(i)); !ok || err != nil || q == "" {
				t.Errorf("document %d after the refusals: %q %v %v", i, q, ok, err)
			}
		}
		for _, i := range []int{3, 12} {
			if _, ok, _ := s.Get(ctx, hashN(i)); ok {
				t.Errorf("refused document %d is served", i)
			}
		}
	}
	t.Run("memory", func(t *testing.T) { check(t, persisted.NewMemoryStore(testLimits, time.Now)) })
	servicetest.EachRedis(t, func(t *testing.T, url string) {
		check(t, persisted.NewRedisStore(servicetest.RedisClient(t, url), testLimits, time.Second))
	})
}

// TestMemoryDocumentsLiveOnWhileUsed: an open document lives ten minutes
// after its registration or its last use; expired documents make room in a
// full share, documents in use do not.
func TestMemoryDocumentsLiveOnWhileUsed(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := persisted.NewMemoryStore(testLimits, func() time.Time { return now })
	ctx := context.Background()
	for i := range 3 {
		if err := s.Add(ctx, hashN(i), "{ __typename }", false); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(9 * time.Minute)
	if _, ok, _ := s.Get(ctx, hashN(0)); !ok {
		t.Fatal("an open document is gone after 9 minutes")
	}
	now = now.Add(2 * time.Minute) // 11 minutes after registration, 2 after the use
	if _, ok, _ := s.Get(ctx, hashN(1)); ok {
		t.Error("an unused open document outlived its ten minutes")
	}
	for i := 3; i < 5; i++ {
		if err := s.Add(ctx, hashN(i), "{ __typename }", false); err != nil {
			t.Errorf("a new open document once two expired: %v", err)
		}
	}
	if err := s.Add(ctx, hashN(5), "{ __typename }", false); !errors.Is(err, persisted.ErrFull) {
		t.Errorf("a document over the share with the used one still live: %v, want ErrFull", err)
	}
	if _, ok, _ := s.Get(ctx, hashN(0)); !ok {
		t.Error("the document in use was pushed out")
	}
}

// TestRedisSharesFollowTheDocuments: in Redis a share is counted by an index
// the documents' own expiry corrects: a document used since its registration
// (its expiry pushed on) still counts once its first expiry is due, one gone
// (expired, or evicted) stops counting, and a lookup extends a document by
// its share's TTL.
func TestRedisSharesFollowTheDocuments(t *testing.T) {
	servicetest.EachRedis(t, func(t *testing.T, url string) {
		c := servicetest.RedisClient(t, url)
		limits := testLimits
		limits.Open.TTL = 300 * time.Millisecond
		s := persisted.NewRedisStore(c, limits, time.Second)
		ctx := context.Background()
		key := func(i int) string { return "{reflect-graphql:apq}:doc:" + hashN(i) }
		for i := range 3 {
			if err := s.Add(ctx, hashN(i), "{ __typename }", false); err != nil {
				t.Fatal(err)
			}
		}
		// Document 0 is used for an hour, as many lookups would keep it.
		if err := c.PExpire(ctx, key(0), time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
		waitGone(t, c, key(1), key(2))
		if err := s.Add(ctx, hashN(3), "{ __typename }", false); err != nil {
			t.Errorf("a document once two expired: %v", err)
		}
		if err := s.Add(ctx, hashN(4), "{ __typename }", false); err != nil {
			t.Errorf("a second document once two expired: %v", err)
		}
		if err := s.Add(ctx, hashN(5), "{ __typename }", false); !errors.Is(err, persisted.ErrFull) {
			t.Errorf("a document over the share, the used one counted: %v, want ErrFull", err)
		}
		// A lookup gives a proven document its share's whole TTL again.
		if err := s.Add(ctx, hashN(10), "{ __typename }", true); err != nil {
			t.Fatal(err)
		}
		if err := c.PExpire(ctx, key(10), time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.Get(ctx, hashN(10)); !ok || err != nil {
			t.Fatalf("the proven document: %v %v", ok, err)
		}
		if left := c.PTTL(ctx, key(10)).Val(); left < 23*time.Hour {
			t.Errorf("a proven document looked up has %v to live, want its 24h again", left)
		}
	})
}

// waitGone waits for Redis to expire keys, which only Redis sees happen;
// ten seconds is a guard, not a timing.
func waitGone(t *testing.T, c redis.UniversalClient, keys ...string) {
	t.Helper()
	guard := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for _, k := range keys {
		for c.Exists(context.Background(), k).Val() != 0 {
			if time.Now().After(guard) {
				t.Fatalf("%s has not expired", k)
			}
			<-tick.C
		}
	}
}
