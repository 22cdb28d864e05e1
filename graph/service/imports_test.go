package service

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsFlowOneWay holds the code map to the code: main → graph/service →
// graph and its subpackages → upstream. Only the wiring (graph/service) may
// import the schema package, besides the load command's floor, which measures
// gqlgen's executor without the service (and so without the wiring); upstream
// knows nothing of GraphQL.
func TestImportsFlowOneWay(t *testing.T) {
	const mod = "github.com/quranfoundation/reflect-graphql"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, mod+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		pkg, imports := strings.TrimPrefix(fields[0], mod), fields[1:]
		for _, imp := range imports {
			imp, ok := strings.CutPrefix(imp, mod)
			if !ok {
				continue
			}
			switch {
			case imp == "/graph" && pkg != "/graph/service" && pkg != "/graph/service/servicetest" && pkg != "/cmd/load":
				t.Errorf("%s imports the schema package: only graph/service wires it in", pkg)
			case strings.HasPrefix(pkg, "/upstream") && strings.HasPrefix(imp, "/graph"):
				t.Errorf("%s imports %s: upstream knows nothing of GraphQL", pkg, imp)
			case strings.HasPrefix(pkg, "/graph") && pkg != "/graph/service" && pkg != "/graph/service/servicetest" &&
				strings.HasPrefix(imp, "/graph/service"):
				t.Errorf("%s imports the wiring (%s): the wiring imports it, not the other way", pkg, imp)
			}
		}
	}
}
