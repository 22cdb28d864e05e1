package errcode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// TestPresenter pins what a client sees of each kind of error: the code, the
// message (named by the endpoint, so that it reads right for rooms today and for
// users and posts later), and the extensions; and what never reaches the log.
func TestPresenter(t *testing.T) {
	room := func(err error) error {
		return &upstream.Error{Endpoint: "room", Resource: "room", Key: "7777777", Err: err}
	}
	tests := []struct {
		name      string
		err       error
		code, msg string
		ext       map[string]any
	}{
		{"bad input", Inputf("invalid room id %q", "x"), BadUserInput, `invalid room id "x"`, nil},
		{"404", room(&upstream.StatusError{Status: 404}), NotFound, "room not found", nil},
		{"404 of a user", &upstream.Error{Endpoint: "user", Resource: "user", Err: &upstream.StatusError{Status: 404}}, NotFound, "user not found", nil},
		{"403 of a write", &upstream.Error{Endpoint: "leave", Resource: "room", Err: &upstream.StatusError{Status: 403}}, Forbidden, "Quran Reflect refused access to this room", nil},
		{"404 of a list", &upstream.Error{Endpoint: "room members", Resource: "room", Err: &upstream.StatusError{Status: 404}}, NotFound, "room not found", nil},
		{"404 of nothing named", &upstream.StatusError{Status: 404}, NotFound, "item not found", nil},
		{"401", room(&upstream.StatusError{Status: 401}), Unauthenticated, "Quran Reflect refused the access token: it is invalid or expired", nil},
		{"403", room(&upstream.StatusError{Status: 403}), Forbidden, "Quran Reflect refused access to this room", nil},
		{"429", room(&upstream.StatusError{Status: 429, RetryAfter: 1500 * time.Millisecond}), RateLimited,
			"Quran Reflect is rate limiting requests; retry later", map[string]any{"retryAfter": 2}},
		{"502", room(&upstream.StatusError{Status: 502}), Upstream, "Quran Reflect answered with HTTP 502", nil},
		{"422", room(&upstream.StatusError{Status: 422, Message: "Validation Error (limit: MAX)"}), Upstream, "Quran Reflect answered with HTTP 422", nil},
		{"400", &upstream.Error{Endpoint: "follow", Err: &upstream.StatusError{Status: 400, Message: "Cannot follow yourself"}}, BadUserInput, "Quran Reflect refused this request as invalid", nil},
		{"400 with the endpoint's refusal", &upstream.Error{Endpoint: "create post", Resource: "post",
			Refusal: "Quran Reflect refused this reflection: it needs a body", Err: &upstream.StatusError{Status: 400, Message: "body too short"}},
			BadUserInput, "Quran Reflect refused this reflection: it needs a body", nil},
		{"403 with a refusal", &upstream.Error{Endpoint: "update post", Resource: "post", Refusal: "refused",
			Err: &upstream.StatusError{Status: 403}}, Forbidden, "Quran Reflect refused access to this post", nil},
		{"malformed", room(fmt.Errorf("%w: truncated", upstream.ErrMalformed)), Upstream, "Quran Reflect sent an answer that could not be read", nil},
		{"circuit open", room(upstream.ErrCircuitOpen), Upstream, "Quran Reflect is failing; calls are paused for a moment", map[string]any{"circuitOpen": true}},
		{"busy", room(upstream.ErrBusy), Upstream, "the service is too busy to reach Quran Reflect; retry later", nil},
		{"no credentials", room(upstream.ErrNoCredentials), Unauthenticated, `sign-in required: send the user's access token as "Authorization: Bearer <token>"`, nil},
		{"token endpoint", room(&upstream.TokenError{Status: 500}), Upstream, "could not obtain an access token from the Quran Foundation", nil},
		{"transport", room(errors.New("dial tcp: connection refused")), Upstream, "Quran Reflect could not be reached", nil},
		{"caller's budget", &LimitedError{Code: RateLimited, Msg: "too many upstream calls from this caller; retry later", RetryAfter: time.Second},
			RateLimited, "too many upstream calls from this caller; retry later", map[string]any{"retryAfter": 1}},
		{"out of time before a call", context.DeadlineExceeded, Upstream, "Quran Reflect could not be reached in time", nil},
		{"a bug", errors.New("nil map"), Internal, "internal server error", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			got := Presenter(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))(context.Background(), tt.err)
			if got.Message != tt.msg || got.Extensions["code"] != tt.code {
				t.Errorf("got %s %q, want %s %q", got.Extensions["code"], got.Message, tt.code, tt.msg)
			}
			for k, want := range tt.ext {
				if got.Extensions[k] != want {
					t.Errorf("extensions.%s = %v, want %v", k, got.Extensions[k], want)
				}
			}
			if len(got.Extensions) != 1+len(tt.ext) {
				t.Errorf("extensions = %v, want code and %v only", got.Extensions, tt.ext)
			}
			if strings.Contains(logs.String(), "7777777") {
				t.Errorf("the log carries the key, which may be a variable's value: %s", logs.String())
			}
		})
	}
}

// TestPresenterKeepsGraphQLErrors: parse and validation errors keep their own
// code; an error made without one becomes INTERNAL_SERVER_ERROR.
func TestPresenterKeepsGraphQLErrors(t *testing.T) {
	present := Presenter(slog.New(slog.DiscardHandler))
	if got := present(context.Background(), New(ValidationFailed, "bad")); got.Extensions["code"] != ValidationFailed || got.Message != "bad" {
		t.Errorf("a coded error became %v %q", got.Extensions, got.Message)
	}
	if got := present(context.Background(), &gqlerror.Error{Message: "secret detail"}); got.Extensions["code"] != Internal || got.Message != "internal server error" {
		t.Errorf("an uncoded error became %v %q", got.Extensions, got.Message)
	}
}

// TestAnUpstreamRefusalReachesTheClient: a 400 from a write, through the real
// client, is BAD_USER_INPUT with the endpoint's message for a person, never
// the upstream's own words.
func TestAnUpstreamRefusalReachesTheClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"message":"body must be longer than or equal to 6 characters","type":"invalid_request","success":false}`)
	}))
	t.Cleanup(srv.Close)
	cfg := upstream.DefaultConfig()
	cfg.APIBaseURL, cfg.ClientID = srv.URL, "c"
	_, err := upstream.New(cfg, srv.Client()).CreatePost(context.Background(), upstream.NewPost{Body: "short"}, "tok")
	code, msg, _ := Classify(err)
	if code != BadUserInput || msg != upstream.EndpointCreatePost.Refusal || msg == "" || strings.Contains(msg, "longer than") {
		t.Errorf("Classify = %s %q, want %s %q", code, msg, BadUserInput, upstream.EndpointCreatePost.Refusal)
	}
}
