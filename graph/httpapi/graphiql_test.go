package httpapi

import (
	"crypto/sha512"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

// TestIntegrityHashesMatchTheInstalledAssets: the CDN hashes are those of the
// files e2e/package-lock.json installs, so a version bump without new hashes
// fails here (./e2e/test installs them before the Go tests, and sets
// REQUIRE_E2E_ASSETS).
func TestIntegrityHashesMatchTheInstalledAssets(t *testing.T) {
	dir := filepath.Join("..", "..", "e2e", "node_modules")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("REQUIRE_E2E_ASSETS") != "" {
			t.Fatal("e2e/node_modules is not installed")
		}
		t.Skip("e2e/node_modules is not installed (npm ci --prefix e2e)")
	}
	for name, a := range graphiqlAssets() {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(a.path)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha512.Sum384(b)
		if got := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); got != a.integrity {
			t.Errorf("%s: the installed file hashes to %s, the page says %s", name, got, a.integrity)
		}
	}
}
