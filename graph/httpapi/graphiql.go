package httpapi

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
)

//go:embed graphiql/index.html
var graphiqlHTML string

//go:embed graphiql/app.js
var graphiqlApp []byte

// asset is one file GraphiQL's page loads: its path under node_modules, its
// address on the CDN, and the Subresource Integrity hash of that version, so
// that a CDN serving anything else is refused by the browser.
type asset struct {
	path, cdn, integrity string
}

// graphiqlAssets are GraphiQL 4's UMD bundle with React 18, at the versions of
// e2e/package-lock.json (a test checks the hashes against the installed files).
func graphiqlAssets() map[string]asset {
	return map[string]asset{
		"react.js": {"react/umd/react.production.min.js", "https://unpkg.com/react@18.3.1/umd/react.production.min.js",
			"sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z"},
		"react-dom.js": {"react-dom/umd/react-dom.production.min.js", "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js",
			"sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1"},
		"graphiql.js": {"graphiql/graphiql.min.js", "https://unpkg.com/graphiql@4.1.2/graphiql.min.js",
			"sha384-9XdHu7ajgGJziD4J1zNBKQ842Q/+zZfDv+ib1eMhZWBH6hPAs806x+Jbcf0yNO6B"},
		"graphiql.css": {"graphiql/graphiql.min.css", "https://unpkg.com/graphiql@4.1.2/graphiql.min.css",
			"sha384-1el1QShFBnnXTx9x/Cprg82hZWKt0ry29OAYIXt05swbi0KcZDFoj0CWguMpopJr"},
	}
}

// link is an asset as the page refers to it.
type link struct{ URL, Integrity string }

// graphiqlHandlers serves the GraphiQL page at / and, when assetsDir (a
// node_modules folder installed from e2e/package-lock.json) is set, its assets
// from there, so the page works with no internet access and under a strict
// Content-Security-Policy. Without assetsDir the page loads them from a CDN.
func graphiqlHandlers(mux *http.ServeMux, assetsDir string) error {
	links := map[string]link{}
	local := assetsDir != ""
	for name, a := range graphiqlAssets() {
		links[name] = link{URL: a.cdn, Integrity: a.integrity}
		if !local {
			continue
		}
		path := filepath.Join(assetsDir, filepath.FromSlash(a.path))
		if _, err := os.Stat(path); err != nil {
			return err
		}
		links[name] = link{URL: "/graphiql/assets/" + name}
		mux.HandleFunc("GET /graphiql/assets/"+name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=86400")
			http.ServeFile(w, r, path)
		})
	}
	var page bytes.Buffer
	err := template.Must(template.New("graphiql").Parse(graphiqlHTML)).Execute(&page, map[string]link{
		"React": links["react.js"], "ReactDOM": links["react-dom.js"], "GraphiQL": links["graphiql.js"], "CSS": links["graphiql.css"],
	})
	if err != nil {
		return err
	}
	body := page.Bytes()
	// A strict policy either way: scripts only from here (or the CDN, whose
	// files must also match their integrity hashes); GraphiQL sets inline
	// styles and starts its editor workers from blob: URLs. No site may frame
	// the page (a framed GraphiQL with a token in its headers is a clickjacking
	// target).
	csp := "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
	if !local {
		csp = "default-src 'self'; script-src 'self' https://unpkg.com; style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data:; font-src 'self' data: https://unpkg.com; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY") // for browsers that predate frame-ancestors
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /graphiql/app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(graphiqlApp)
	})
	return nil
}
