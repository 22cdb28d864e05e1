package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestExpandPath(t *testing.T) {
	const base = "https://apis.example.org"
	tests := []struct {
		name, tmpl string
		args       []string
		want       string // "" with wantErr
		wantErr    string
	}{
		{name: "one", tmpl: "/quran-reflect/v1/rooms/{id}", args: []string{"42"}, want: base + "/quran-reflect/v1/rooms/42"},
		{name: "in the middle", tmpl: "/v1/rooms/{id}/members", args: []string{"7"}, want: base + "/v1/rooms/7/members"},
		{name: "two", tmpl: "/v1/{kind}/{slug}", args: []string{"group", "my-room"}, want: base + "/v1/group/my-room"},
		{name: "none", tmpl: "/v1/rooms/joined-rooms", want: base + "/v1/rooms/joined-rooms"},
		// An argument stays one segment: no slash, query or fragment gets through.
		{name: "escaped", tmpl: "/v1/users/{username}/profile", args: []string{"a/b?c=d#e f"},
			want: base + "/v1/users/a%2Fb%3Fc=d%23e%20f/profile"},
		{name: "unicode", tmpl: "/v1/users/{username}/profile", args: []string{"عائشة"},
			want: base + "/v1/users/%D8%B9%D8%A7%D8%A6%D8%B4%D8%A9/profile"},
		{name: "too few", tmpl: "/v1/{a}/{b}", args: []string{"1"}, wantErr: "needs more than 1 arguments"},
		{name: "too many", tmpl: "/v1/{a}", args: []string{"1", "2"}, wantErr: "takes 1 arguments, not 2"},
		{name: "unclosed", tmpl: "/v1/{a", args: []string{"1"}, wantErr: "unclosed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expandPath(base, tt.tmpl, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("expandPath = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCallWithWrongPathArgumentsSendsNothing: a descriptor and its method that
// disagree are a bug, reported as an *Error before any request.
func TestCallWithWrongPathArgumentsSendsNothing(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.APIBaseURL, cfg.ClientID = srv.URL, "c"
	c := New(cfg, srv.Client())
	ep := Endpoint{Name: "pair", Method: http.MethodGet, Path: "/v1/{a}/{b}", MaxBody: 1 << 10}
	err := c.call(context.Background(), ep, "tok", "k", inPath("1"), func(context.Context, []byte) error { return nil })
	var ue *Error
	if !errors.As(err, &ue) || ue.Endpoint != "pair" || ue.Key != "k" {
		t.Fatalf("err = %v, want an *Error for pair k", err)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("upstream calls = %d, want 0", n)
	}
}

// TestCallRefusesABodyOverMaxBody, whether the answer announces its length or
// comes in chunks; an answer shorter than it announced is malformed too.
func TestCallRefusesABodyOverMaxBody(t *testing.T) {
	for _, tt := range []struct {
		name    string
		chunked bool
	}{{"with a Content-Length", false}, {"chunked", true}} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.chunked {
					w.(http.Flusher).Flush()
				}
				w.Write([]byte(strings.Repeat("x", 101)))
			}))
			defer srv.Close()
			cfg := DefaultConfig()
			cfg.APIBaseURL, cfg.ClientID, cfg.MaxRetries = srv.URL, "c", 0
			c := New(cfg, srv.Client())
			var decoded []byte
			decode := func(_ context.Context, b []byte) error { decoded = b; return nil }
			ep := Endpoint{Name: "small", Method: http.MethodGet, Path: "/small", MaxBody: 100}
			if err := c.call(context.Background(), ep, "tok", "", request{}, decode); !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
			if decoded != nil {
				t.Error("an over-long body was decoded")
			}
			ep.MaxBody = 101
			if err := c.call(context.Background(), ep, "tok", "", request{}, decode); err != nil || string(decoded) != strings.Repeat("x", 101) {
				t.Errorf("a body of exactly MaxBody: err = %v, decoded %q; want nil and the body", err, decoded)
			}
		})
	}
	t.Run("announced and longer than read at once", func(t *testing.T) {
		long := strings.Repeat("y", exactBodyMax+1) // read as it arrives, not allocated up front
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(long)))
			w.Write([]byte(long))
		}))
		defer srv.Close()
		cfg := DefaultConfig()
		cfg.APIBaseURL, cfg.ClientID, cfg.MaxRetries = srv.URL, "c", 0
		c := New(cfg, srv.Client())
		var got []byte
		ep := Endpoint{Name: "long", Method: http.MethodGet, Path: "/long", MaxBody: 1 << 20}
		err := c.call(context.Background(), ep, "tok", "", request{}, func(_ context.Context, b []byte) error { got = b; return nil })
		if err != nil || string(got) != long {
			t.Errorf("err = %v, read %d bytes; want nil and all %d", err, len(got), len(long))
		}
	})
	t.Run("shorter than announced", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "101")
			w.Write([]byte(strings.Repeat("x", 50)))
		}))
		defer srv.Close()
		cfg := DefaultConfig()
		cfg.APIBaseURL, cfg.ClientID, cfg.MaxRetries = srv.URL, "c", 0
		c := New(cfg, srv.Client())
		ep := Endpoint{Name: "small", Method: http.MethodGet, Path: "/small", MaxBody: 200}
		err := c.call(context.Background(), ep, "tok", "", request{}, func(context.Context, []byte) error { return nil })
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("err = %v, want ErrMalformed", err)
		}
	})
}

// BenchmarkExpandPath is the URL building every call does.
func BenchmarkExpandPath(b *testing.B) {
	args := []string{"1234567890123456789"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := expandPath("https://apis.quran.foundation", EndpointRoom.Path, args); err != nil {
			b.Fatal(err)
		}
	}
}

func TestEnvelopeMessage(t *testing.T) {
	tests := []struct {
		name, message, details, want string
	}{
		{"none", "Room not found", ``, "Room not found"},
		{"validation", "Validation Error",
			`{"success":false,"error":{"code":"ValidationError","message":"Validation Error","details":{"sortBy":"INVALID","limit":"MAX"}}}`,
			"Validation Error (ValidationError; limit: MAX; sortBy: INVALID)"},
		{"nested code", "Bad Request", `{"error":{"code":"ALREADY_A_MEMBER"}}`, "Bad Request (ALREADY_A_MEMBER)"},
		{"nested message only", "", `{"message":"boom"}`, "boom"},
		{"error as a string", "Bad Request", `{"error":"NOT_FOLLOWING"}`, "Bad Request (NOT_FOLLOWING)"},
		{"details not an object", "Bad Request", `"text"`, "Bad Request"},
		{"odd shapes ignored", "m", `{"message":7,"error":{"code":[1],"details":{"a":1}}}`, "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := envelopeMessage(tt.message, []byte(tt.details)); got != tt.want {
				t.Errorf("envelopeMessage = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestQueryNeverLeavesTheCall: a list's query (a caller's search text) is sent,
// but stays out of errors and spans, which keep the path template.
func TestQueryNeverLeavesTheCall(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	cfg := DefaultConfig()
	cfg.APIBaseURL, cfg.ClientID, cfg.MaxRetries, cfg.Tracer = "http://127.0.0.1:1", "c", 0, tp.Tracer("t")
	// Nothing listens on port 1: the transport error would name the URL.
	c := New(cfg, &http.Client{})
	_, err := c.SearchRooms(context.Background(), SearchQuery{Query: "secret words", Page: 1, Limit: 1}, "tok")
	if err == nil || strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "query=") {
		t.Errorf("err = %v, want a transport error without the query", err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("spans = %d, want 1", len(spans))
	}
	if got, want := spans[0].Name, "GET /quran-reflect/v1/rooms/search"; got != want {
		t.Errorf("span name = %q, want %q", got, want)
	}
	for _, a := range spans[0].Attributes {
		if strings.Contains(a.Value.String(), "secret") {
			t.Errorf("span attribute %s = %q holds the query", a.Key, a.Value.String())
		}
	}
}
