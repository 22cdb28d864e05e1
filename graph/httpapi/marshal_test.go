package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
)

// TestMarshalResponseIsJSONMarshal: the hand-written answer says what
// json.Marshal says of the same response, member for member and in the same
// order, and is valid JSON.
func TestMarshalResponseIsJSONMarshal(t *testing.T) {
	yes := true
	tests := []struct {
		name string
		resp graphql.Response
	}{
		{"data", graphql.Response{Data: json.RawMessage(`{"room":{"id":"1","name":"<b>Tom & Jerry</b> \u2028 ٱلْحَمْدُ"}}`)}},
		{"no data", graphql.Response{}},
		{"errors and null data", graphql.Response{Errors: gqlerror.List{errcode.New(errcode.NotFound, "room not found")}, Data: json.RawMessage(`null`)}},
		{"errors, data and extensions", graphql.Response{
			Errors:     gqlerror.List{{Message: "partial", Path: ast.Path{ast.PathName("room"), ast.PathIndex(2)}}},
			Data:       json.RawMessage(`{"room":null}`),
			Extensions: map[string]any{"cost": 3, "note": "<&>"},
		}},
		{"incremental", graphql.Response{Data: json.RawMessage(`{"a":1}`), Label: "l", Path: ast.Path{ast.PathName("x")}, HasNext: &yes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := marshalResponse(&tt.resp)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(&tt.resp)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got) {
				t.Fatalf("not JSON: %s", got)
			}
			var g, w any
			_ = json.Unmarshal(got, &g)
			_ = json.Unmarshal(want, &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("marshalResponse = %s\njson.Marshal   = %s", got, want)
			}
			if !bytes.Equal(memberOrder(t, got), memberOrder(t, want)) {
				t.Errorf("members in order %s, want %s", memberOrder(t, got), memberOrder(t, want))
			}
		})
	}
}

// memberOrder lists the top-level member names of a JSON object, in order.
func memberOrder(t *testing.T, b []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	var names []byte
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tok.(string)+" "...)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return names
}
