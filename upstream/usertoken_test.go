package upstream_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

const secretToken = "eyJhbGciOi.secret.token"

// TestUserTokenNeverPrints: whatever the verb or logger, the token's value
// never shows; only whether there is one.
func TestUserTokenNeverPrints(t *testing.T) {
	tok := upstream.UserToken(secretToken)
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%d", "%10s", "%T"} {
		got := fmt.Sprintf(verb, tok)
		if strings.Contains(got, "secret") || strings.Contains(got, fmt.Sprintf("%x", secretToken)) {
			t.Errorf("Sprintf(%q) = %q: the token shows", verb, got)
		}
	}
	inStruct := struct{ As upstream.UserToken }{tok}
	if got := fmt.Sprintf("%+v %#v", inStruct, inStruct); strings.Contains(got, "secret") {
		t.Errorf("a struct holding the token prints %q", got)
	}
	if got, want := tok.String(), "[redacted]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := tok.GoString(), "[redacted]"; got != want {
		t.Errorf("GoString() = %q, want %q", got, want)
	}
	if got := upstream.UserToken("").String(); got != "" {
		t.Errorf("anonymous String() = %q, want empty", got)
	}
	if got, want := string(tok), secretToken; got != want {
		t.Errorf("string(t) = %q, want the value itself", got)
	}

	// A struct with an exported token field, through encoding/json and slog's
	// JSON handler (which marshals structs with it).
	b, err := json.Marshal(struct{ Token upstream.UserToken }{tok})
	if err != nil || strings.Contains(string(b), "secret") || !strings.Contains(string(b), "[redacted]") {
		t.Errorf("json.Marshal of a struct holding the token = %s, %v", b, err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("call", "viewer", struct{ Token upstream.UserToken }{tok})
	if strings.Contains(logged.String(), "secret") {
		t.Errorf("slog's JSON handler logged %s", logged.String())
	}

	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("call", "as", tok, slog.Any("any", tok), slog.Group("g", "as", tok))
			if strings.Contains(buf.String(), "secret") || !strings.Contains(buf.String(), "[redacted]") {
				t.Errorf("logged %q", buf.String())
			}
		})
	}
}
