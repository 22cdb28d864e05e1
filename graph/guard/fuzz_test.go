package guard

import (
	"os"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// seeds adds the documents of testdata/seeds.graphql, one per line.
func seeds(f *testing.F, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, "#") {
			f.Add(strings.TrimSuffix(line, "\n"))
		}
	}
}

// FuzzQueryGuard: the guard measures any parsed document without panicking, and
// runs in time linear in the document (a hang here shows as a fuzz timeout).
func FuzzQueryGuard(f *testing.F) {
	seeds(f, "testdata/seeds.graphql")
	g := Guard{Limits: DefaultLimits(), Lookups: []Lookup{{Field: "rooms", Arg: "ids", List: true, Noun: "rooms"}}}
	f.Fuzz(func(t *testing.T, q string) {
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q}, 5000)
		if err != nil {
			return
		}
		_ = g.Check(doc)
	})
}
