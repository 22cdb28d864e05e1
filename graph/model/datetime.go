// Package model holds the GraphQL scalars this schema adds and gqlgen's generated
// models. The object types are bound to the upstream package's own types.
package model

import (
	"fmt"
	"io"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalDateTime writes t as an RFC 3339 string in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		// RFC 3339 needs no escaping in JSON: the quotes are all there is to add.
		b := make([]byte, 0, len(`"`+time.RFC3339Nano+`"`))
		b = append(b, '"')
		b = t.UTC().AppendFormat(b, time.RFC3339Nano)
		_, _ = w.Write(append(b, '"'))
	})
}

// UnmarshalDateTime reads an RFC 3339 string.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("DateTime must be an RFC 3339 string, not %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("DateTime must be an RFC 3339 string: %q", s)
	}
	return t.UTC(), nil
}
