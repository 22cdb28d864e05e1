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

// graphiqlAssets are the files GraphiQL's page loads: GraphiQL 4's UMD bundle
// with React 18, by their path under node_modules (and on the CDN).
func graphiqlAssets() map[string]string {
	return map[string]string{
		"react.js":     "react/umd/react.production.min.js",
		"react-dom.js": "react-dom/umd/react-dom.production.min.js",
		"graphiql.js":  "graphiql/graphiql.min.js",
		"graphiql.css": "graphiql/graphiql.min.css",
	}
}

// The versions of package.json, for the CDN fallback.
func cdnAssets() map[string]string {
	return map[string]string{
		"react.js":     "https://unpkg.com/react@18.3.1/umd/react.production.min.js",
		"react-dom.js": "https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js",
		"graphiql.js":  "https://unpkg.com/graphiql@4.1.2/graphiql.min.js",
		"graphiql.css": "https://unpkg.com/graphiql@4.1.2/graphiql.min.css",
	}
}

// graphiqlHandlers serves the GraphiQL page at / and, when assetsDir (a
// node_modules folder installed from e2e/package-lock.json) is set, its assets
// from there, so the page works with no internet access and under a strict
// Content-Security-Policy. Without assetsDir the page loads them from a CDN.
func graphiqlHandlers(mux *http.ServeMux, assetsDir string) error {
	urls := cdnAssets()
	local := assetsDir != ""
	if local {
		for name, rel := range graphiqlAssets() {
			path := filepath.Join(assetsDir, filepath.FromSlash(rel))
			if _, err := os.Stat(path); err != nil {
				return err
			}
			urls[name] = "/graphiql/assets/" + name
			mux.HandleFunc("GET /graphiql/assets/"+name, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "public, max-age=86400")
				http.ServeFile(w, r, path)
			})
		}
	}
	var page bytes.Buffer
	err := template.Must(template.New("graphiql").Parse(graphiqlHTML)).Execute(&page, map[string]string{
		"React": urls["react.js"], "ReactDOM": urls["react-dom.js"], "GraphiQL": urls["graphiql.js"], "CSS": urls["graphiql.css"],
	})
	if err != nil {
		return err
	}
	body := page.Bytes()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		if local {
			// Everything is served from here: a strict policy. GraphiQL sets
			// inline styles, and its editor workers come from blob: URLs.
			h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'")
		}
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /graphiql/app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(graphiqlApp)
	})
	return nil
}
