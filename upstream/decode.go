package upstream

import (
	"errors"
	"time"
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
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00"} {
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
