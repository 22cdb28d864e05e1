package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/idempotency"
)

// TestReplay: a kept answer is written as it was kept, marked replayed; one
// kept without its body says so, in the service's error shape.
func TestReplay(t *testing.T) {
	for name, tc := range map[string]struct {
		a        idempotency.Answer
		wantCode string
	}{
		"kept":          {idempotency.Answer{Status: 200, ContentType: "application/graphql-response+json; charset=utf-8", Body: []byte(`{"data":{"x":1}}`)}, ""},
		"without body":  {idempotency.Answer{Status: 200, ContentType: "application/json; charset=utf-8", Omitted: true}, errcode.ResponseTooLarge},
		"an error kept": {idempotency.Answer{Status: 400, ContentType: "application/graphql-response+json; charset=utf-8", Body: []byte(`{"errors":[]}`)}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			replay(w, tc.a)
			if got, want := w.Code, tc.a.Status; got != want {
				t.Errorf("status %d, want %d", got, want)
			}
			if got, want := w.Header().Get("Content-Type"), tc.a.ContentType; got != want {
				t.Errorf("Content-Type %q, want %q", got, want)
			}
			if got := w.Header().Get(idempotency.ReplayedHeader); got != "true" {
				t.Errorf("%s: %q", idempotency.ReplayedHeader, got)
			}
			if tc.wantCode == "" {
				if got, want := w.Body.String(), string(tc.a.Body); got != want {
					t.Errorf("body %s, want %s", got, want)
				}
				return
			}
			var body struct {
				Data   any `json:"data"`
				Errors []struct {
					Extensions map[string]any `json:"extensions"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 || body.Errors[0].Extensions["code"] != tc.wantCode || body.Data != nil {
				t.Errorf("body %s (%v), want one %s error and no data", w.Body, err, tc.wantCode)
			}
		})
	}
}
