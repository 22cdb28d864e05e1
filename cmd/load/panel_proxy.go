// The verse panel's one-hop proxy: the feed call the service makes for a
// verse, and nothing else.

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// feedPaths are the path and query of each verse's feed page (by verse index,
// 0 unused), exactly as the upstream client sends them: each query goes
// through Client.Feed once, to a transport that notes the request and answers
// 404, so that the proxy's calls cannot drift from the service's encoding.
func feedPaths() ([]string, error) {
	rec := &recorder{}
	cfg := upstream.DefaultConfig()
	cfg.APIBaseURL, cfg.ClientID, cfg.MaxRetries = "http://upstream.invalid", fake.DemoClientID, 0
	cfg.ServiceTokens = fixedToken("recorder")
	c := upstream.New(cfg, &http.Client{Transport: rec})
	paths := make([]string, upstream.Verses+1)
	for i := 1; i <= upstream.Verses; i++ {
		k, _ := upstream.VerseAt(i)
		q, err := verseFeedQuery(k)
		if err != nil {
			return nil, fmt.Errorf("verse %s: %w", k, err)
		}
		rec.uri = ""
		_, _ = c.Feed(context.Background(), q, "")
		if rec.uri == "" {
			return nil, fmt.Errorf("verse %s: the upstream client sent no request", k)
		}
		paths[i] = rec.uri
	}
	return paths, nil
}

// recorder is a transport that notes the last request's path and query and
// answers 404 (a 4xx is neither retried nor held against the host).
type recorder struct{ uri string }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.uri = req.URL.RequestURI()
	return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")),
		Request: req}, nil
}

// fixedToken is a token provider that always has the same token.
type fixedToken string

func (t fixedToken) Token(context.Context) (string, error) { return string(t), nil }

// servePanelProxy serves panelProxy on loopback.
func servePanelProxy(upstreamURL string) error {
	paths, err := feedPaths()
	if err != nil {
		return err
	}
	tokens := upstream.NewServiceTokens(context.Background(), upstream.ServiceTokensConfig{
		AuthBaseURL: upstreamURL, ClientID: fake.DemoClientID, ClientSecret: fake.DemoClientSecret,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, FetchTimeout: 5 * time.Second,
	})
	return serveOnLoopback(panelProxy(upstreamURL, paths, tokens, upstreamClient()))
}

// panelProxy is the bare one-hop facade of the verse panel: it takes the
// service's POST, reads the verse key from its variables, makes the feed call
// the service would make (paths, from feedPaths) with the same kind of token
// (the service's own, client credentials) and copies the bytes back. It does
// none of the rest (verse text, translation, shaping the answer).
func panelProxy(upstreamURL string, paths []string, tokens upstream.TokenProvider, client *http.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var op struct {
			Variables struct {
				Key string `json:"key"`
			} `json:"variables"`
		}
		if err := json.NewDecoder(r.Body).Decode(&op); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		k, err := upstream.ParseVerseKey(op.Variables.Key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		token, err := tokens.Token(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		forward(w, r, client, upstreamURL+paths[k.Index()], token)
	})
}
