package upstream

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// TestReadBodyTrustsNoLargeAnnouncement: an answer that announces 4 MiB and
// sends ten bytes costs about what it sent, not the 4 MiB it announced.
func TestReadBodyTrustsNoLargeAnnouncement(t *testing.T) {
	resp := &http.Response{ContentLength: 4 << 20, Body: io.NopCloser(strings.NewReader("0123456789"))}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b, err := readBody(resp, 8<<20)
	runtime.ReadMemStats(&after)
	if err != nil || string(b) != "0123456789" {
		t.Fatalf("readBody = %q, %v; want the ten bytes", b, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("reading ten bytes announced as 4 MiB allocated %d bytes", grew)
	}
}
