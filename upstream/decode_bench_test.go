package upstream

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// BenchmarkDecodeRoom decodes the fake's answer for room 1 as a signed-in
// viewer (with mutual followers): the upstream JSON the hot path reads.
func BenchmarkDecodeRoom(b *testing.B) {
	f := fake.New(fake.Options{})
	req := httptest.NewRequest("GET", "/quran-reflect/v1/rooms/1", nil)
	req.Header.Set("x-auth-token", "demo-aisha")
	req.Header.Set("x-client-id", fake.DemoClientID)
	w := httptest.NewRecorder()
	f.ServeHTTP(w, req)
	body, _ := io.ReadAll(w.Body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeRoom(body, func(string, ...any) {}); err != nil {
			b.Fatal(err)
		}
	}
}
