package servicetest_test

import (
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
)

// TestRedisLayouts: each layout EachRedis starts answers through the
// service's own client, and keeps what is written to it.
func TestRedisLayouts(t *testing.T) {
	servicetest.EachRedis(t, func(t *testing.T, url string) {
		c := servicetest.RedisClient(t, url)
		for _, k := range []string{"a", "b", "c", "d", "e", "f"} { // in several slots of a cluster
			if err := c.Set(t.Context(), k, "v"+k, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
		keys := servicetest.RedisKeys(t, c)
		if len(keys) != 6 || keys["d"] != "vd" {
			t.Errorf("the keys written: %v", keys)
		}
	})
}
