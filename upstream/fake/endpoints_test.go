package fake

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// declaredEndpoints reads the upstream package's source for every Endpoint
// literal and returns its method and path as a route ("GET /quran-reflect/…"):
// what the client can call, found by walking the code, not from a list that
// must be kept.
func declaredEndpoints(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../*.go")
	if err != nil {
		t.Fatal(err)
	}
	methods := map[string]string{"MethodGet": "GET", "MethodPost": "POST", "MethodPut": "PUT", "MethodPatch": "PATCH", "MethodDelete": "DELETE"}
	found := map[string]string{} // route -> where
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "Endpoint" {
				return true
			}
			var method, path string
			for _, e := range lit.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				switch key := kv.Key.(*ast.Ident).Name; key {
				case "Method":
					if sel, ok := kv.Value.(*ast.SelectorExpr); ok {
						method = methods[sel.Sel.Name]
					}
				case "Path":
					if b, ok := kv.Value.(*ast.BasicLit); ok {
						path, _ = strconv.Unquote(b.Value)
					}
				}
			}
			if method == "" || path == "" {
				t.Errorf("%s: an Endpoint whose method or path is not a literal: this test cannot check it", fset.Position(lit.Pos()))
				return true
			}
			found[method+" "+path] = fset.Position(lit.Pos()).String()
			return true
		})
	}
	return found
}

// TestEveryDeclaredEndpointIsServed: the emulator has a route for every
// endpoint the client declares (method and path, whatever its parameters are
// called), so that a new endpoint cannot be added to the client and forgotten
// here.
func TestEveryDeclaredEndpointIsServed(t *testing.T) {
	param := regexp.MustCompile(`\{[^}]*\}`)
	served := map[string]bool{}
	for _, r := range New(Options{}).routeTable() {
		served[param.ReplaceAllString(r.pattern, "{}")] = true
	}
	declared := declaredEndpoints(t)
	if len(declared) < 21 {
		t.Fatalf("found %d endpoints in the client; it declares at least 21", len(declared))
	}
	for route, where := range declared {
		if !served[param.ReplaceAllString(route, "{}")] {
			t.Errorf("%s (declared at %s) has no route in the emulator", route, where)
		}
	}
}
