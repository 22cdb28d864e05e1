package upstream

import (
	"fmt"
	"log/slog"
)

// UserToken is a user's access token, sent upstream as x-auth-token; "" means an
// anonymous caller, served with the service's own token. Its own type keeps it
// from being swapped with the id next to it in a call, and keeps it out of logs:
// fmt (every verb but %p), slog and JSON print it as "[redacted]" (or "" when
// empty). fmt cannot call methods on an unexported struct field, so never keep a
// token in one of a value that gets printed. Code that must send it converts
// with string(t).
type UserToken string

const redacted = "[redacted]"

// String returns "[redacted]", or "" for the anonymous caller.
func (t UserToken) String() string {
	if t == "" {
		return ""
	}
	return redacted
}

// GoString is String: %#v must not print the token either.
func (t UserToken) GoString() string { return t.String() }

// LogValue lets slog print the token as String does.
func (t UserToken) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalText is String, for JSON and slog's JSON handler.
func (t UserToken) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Format prints String for every verb. Without it, a verb that does not apply to
// strings (such as %d) would make fmt print the raw value.
func (t UserToken) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q', 'x', 'X':
	default:
		verb = 's'
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), t.String())
}
