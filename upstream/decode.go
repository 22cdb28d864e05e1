package upstream

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"
)

// Helpers every endpoint's decoding shares.

// errMissing is wrapped with the name of a field the docs mark as always present.
var errMissing = errors.New("missing required field")

// orDefault is *p, or def when the upstream omitted the field: the docs give
// defaults for some of the fields they let it leave out.
func orDefault[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// parseTime reads the forms the upstream uses: ISO 8601 for rooms, and for users
// "2000-01-21 00:00:00" with no zone, which the docs say is UTC.
func parseTime(s string) (time.Time, error) {
	layouts := [...]string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04:05Z07:00"}
	if len(s) > 10 && s[10] == ' ' {
		// A user's date, with a space: its layouts first, since a failed
		// time.Parse costs more than a successful one.
		layouts = [...]string{"2006-01-02 15:04:05", "2006-01-02 15:04:05Z07:00", time.RFC3339Nano, "2006-01-02T15:04:05"}
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date-time")
}

// truncate bounds a value from the upstream before it goes into a log or an error.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// numericID reads an id the upstream sends as a JSON number (or a string of
// digits) as its digits, never through a float. Absent, null and 0 are "": no
// id (a post in no room has roomId 0 or null).
func numericID(raw json.RawMessage) (string, error) {
	s := string(bytes.TrimSpace(raw))
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if s == "" || s == "null" || (strings.Trim(s, "0") == "") {
		return "", nil
	}
	id, ok := canonicalID(s)
	if !ok {
		return "", fmt.Errorf("id %q is not a positive integer", truncate(s, 32))
	}
	return id, nil
}

// requiredID is numericID for an id without which there is nothing to show.
func requiredID(raw json.RawMessage) (string, error) {
	id, err := numericID(raw)
	if err == nil && id == "" {
		err = fmt.Errorf("%w: id", errMissing)
	}
	return id, err
}

// wholeNumber reads an optional number that the docs type only as a number:
// an integer, or a fraction rounded to the nearest one. Absent or null is nil;
// anything else is nil too, with a warning, so that it costs only itself.
func wholeNumber(raw json.RawMessage, name string, warn func(msg string, args ...any)) *int {
	if isNull(raw) {
		return nil
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
	if err != nil || math.IsInf(f, 0) || math.Abs(f) > math.MaxInt32 {
		warn("unreadable "+name+"; serving null", name, truncate(string(raw), 20))
		return nil
	}
	n := int(math.Round(f))
	return &n
}

// isNull reports whether raw is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw)
	return len(s) == 0 || string(s) == "null"
}

// optional reads a nested object with parse, or is nil when it is absent, null
// or unreadable (with a warning): an odd author does not cost its post.
func optional[T any](raw json.RawMessage, name string, warn func(msg string, args ...any),
	parse func([]byte) (T, error)) *T {
	if isNull(raw) {
		return nil
	}
	v, err := parse(raw)
	if err != nil {
		warn("unreadable "+name+"; serving null", "err", err)
		return nil
	}
	return &v
}

// each reads every element of a nested array with parse, leaving out (with a
// warning) the ones it cannot read: one odd tag does not cost its post.
func each[T any](raw []json.RawMessage, name string, warn func(msg string, args ...any),
	parse func([]byte) (T, error)) []T {
	if raw == nil {
		return nil
	}
	out := make([]T, 0, len(raw))
	for i, r := range raw {
		v, err := parse(r)
		if err != nil {
			warn("unreadable "+name+"; leaving it out", "index", i, "err", err)
			continue
		}
		out = append(out, v)
	}
	return out
}

// about checks that an answer is about what was asked for: a gateway or cache
// that confuses two resources must not serve one as the other. The error names
// neither id (either may be a caller's variable).
func about[T any](decode func([]byte, func(string, ...any)) (T, error), want string, idOf func(T) string) func([]byte, func(string, ...any)) (T, error) {
	return func(body []byte, warn func(string, ...any)) (T, error) {
		v, err := decode(body, warn)
		if err == nil && !strings.EqualFold(idOf(v), want) {
			var zero T
			return zero, fmt.Errorf("%w: the answer is about another id than the one asked for", ErrMalformed)
		}
		return v, err
	}
}
