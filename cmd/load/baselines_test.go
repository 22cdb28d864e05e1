package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSameAnswers: the floor is measured only when it answers the load's
// query with the service's data; other data, or errors, stop the run.
func TestSameAnswers(t *testing.T) {
	serve := func(body string) target {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(s.Close)
		return target{name: body, method: http.MethodPost, url: s.URL, body: []byte(singleRoom)}
	}
	service := serve(`{"data":{"room":{"id":"1","mutualFollowers":[{"id":"2"}]}}}`)
	for _, tt := range []struct {
		floor string
		same  bool
	}{
		{`{"data":{"room":{"id":"1","mutualFollowers":[{"id":"2"}]}}}`, true},
		{`{"data":{"room":{"id":"1","mutualFollowers":[]}}}`, false},
		{`{"data":{"room":null},"errors":[{"message":"upstream: 502"}]}`, false},
		{`not json`, false},
	} {
		err := sameAnswers(service, serve(tt.floor))
		if (err == nil) != tt.same {
			t.Errorf("floor %s: err = %v, want same = %v", tt.floor, err, tt.same)
		}
	}
}
