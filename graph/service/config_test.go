package service

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadRefusesBadValues(t *testing.T) {
	tests := []struct {
		vars    map[string]string
		wantVar string
	}{
		{map[string]string{"QF_ENV": "staging"}, "QF_ENV"},
		{map[string]string{"QF_API_BASE_URL": "not a url"}, "QF_API_BASE_URL"},
		{map[string]string{"QF_API_BASE_URL": "ftp://example.org"}, "QF_API_BASE_URL"},
		{map[string]string{"QF_AUTH_BASE_URL": "http://"}, "QF_AUTH_BASE_URL"},
		{map[string]string{"QF_AUTH_BASE_URL": "https://user:pw@example.org"}, "QF_AUTH_BASE_URL"},
		{map[string]string{"PORT": "http"}, "PORT"},
		{map[string]string{"UPSTREAM_CONCURRENCY": "-1"}, "UPSTREAM_CONCURRENCY"},
		{map[string]string{"UPSTREAM_MAX_IN_FLIGHT": "0"}, "UPSTREAM_MAX_IN_FLIGHT"},
		{map[string]string{"UPSTREAM_BUDGET": "3"}, "UPSTREAM_BUDGET"},
		{map[string]string{"INTROSPECTION": "maybe"}, "INTROSPECTION"},
		{map[string]string{"UPSTREAM_RETRIES": "-1"}, "UPSTREAM_RETRIES"},
		{map[string]string{"MAX_DEPTH": "0"}, "MAX_DEPTH"},
		{map[string]string{"SHUTDOWN_TIMEOUT": "10s", "REQUEST_TIMEOUT": "20s"}, "SHUTDOWN_TIMEOUT"},
		{map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{map[string]string{"REDIS_URL": "http://x"}, "REDIS_URL"},
		{map[string]string{"REDIS_URL": "redis://h1:6379?addr=h2:6379&shards=3"}, "REDIS_URL"},
		{map[string]string{"SESSION_REDIS_URL": "redis://s1:26379?master_name=m&addr=s2"}, "SESSION_REDIS_URL"},
		{map[string]string{"CORS_ALLOWED_ORIGINS": "app.example.org"}, "CORS_ALLOWED_ORIGINS"},
		{map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example.org, http://*.example"}, "CORS_ALLOWED_ORIGINS"},
		{map[string]string{"CORS_ALLOWED_ORIGINS": "*, https://app.example.org"}, "CORS_ALLOWED_ORIGINS"},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, lb.internal"}, "TRUSTED_PROXIES"},
		{map[string]string{"SIGNIN_RETURN_ORIGINS": "*"}, "SIGNIN_RETURN_ORIGINS"},
		{map[string]string{"SIGNIN_RETURN_ORIGINS": "https://app.example.org/"}, "SIGNIN_RETURN_ORIGINS"},
		{map[string]string{"SIGNIN_RETURN_ORIGINS": "https://*.example.org"}, "SIGNIN_RETURN_ORIGINS"},
		{map[string]string{"SIGNIN_RETURN_ORIGINS": "https://user@app.example.org"}, "SIGNIN_RETURN_ORIGINS"},
		{map[string]string{"SIGNIN_RETURN_ORIGINS": "ftp://app.example.org"}, "SIGNIN_RETURN_ORIGINS"},
		{map[string]string{"SIGNIN_RETURN_ORIGINS": "app.example.org"}, "SIGNIN_RETURN_ORIGINS"},
		{map[string]string{"METRICS_ADDR": "9090"}, "METRICS_ADDR"},
		{map[string]string{"PPROF": "true"}, "PPROF"},
		{map[string]string{"TRUSTED_DOCUMENTS_ONLY": "true"}, "TRUSTED_DOCUMENTS_ONLY"},
		{map[string]string{"GRAPHIQL_ASSETS": "/nonexistent"}, "GRAPHIQL_ASSETS"},
	}
	for _, tt := range tests {
		t.Run(tt.wantVar, func(t *testing.T) {
			_, err := Load(env(tt.vars))
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantVar+":") || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line starting with %s:", err, tt.wantVar)
			}
		})
	}
}

func TestLoadEnvironments(t *testing.T) {
	tests := []struct {
		vars          map[string]string
		wantAPI, auth string
		demo          bool
	}{
		{map[string]string{}, "https://apis-prelive.quran.foundation", "https://prelive-oauth2.quran.foundation", true},
		{map[string]string{"QF_ENV": "production", "QF_CLIENT_ID": "c"}, "https://apis.quran.foundation", "https://oauth2.quran.foundation", false},
		{map[string]string{"QF_CLIENT_ID": "c", "QF_API_BASE_URL": "http://127.0.0.1:9000/", "QF_AUTH_BASE_URL": "http://127.0.0.1:9001"},
			"http://127.0.0.1:9000", "http://127.0.0.1:9001", false},
		{map[string]string{"QF_ENV": "production", "QF_API_BASE_URL": "http://127.0.0.1:9000"},
			"http://127.0.0.1:9000", "https://oauth2.quran.foundation", true},
	}
	for _, tt := range tests {
		c, err := Load(env(tt.vars))
		if err != nil {
			t.Fatal(err)
		}
		if c.APIBaseURL != tt.wantAPI || c.AuthBaseURL != tt.auth || c.Demo() != tt.demo {
			t.Errorf("%v: api %q auth %q demo %v; want %q %q %v", tt.vars, c.APIBaseURL, c.AuthBaseURL, c.Demo(), tt.wantAPI, tt.auth, tt.demo)
		}
	}
}

// TestLoadDerivedValues: the settings that depend on others, and zero where
// zero means something.
func TestLoadDerivedValues(t *testing.T) {
	c, err := Load(env(map[string]string{"REQUEST_TIMEOUT": "30s", "UPSTREAM_RETRIES": "0", "QF_SCOPES": "a, b c"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.ShutdownTimeout.String(), "35s"; got != want {
		t.Errorf("SHUTDOWN_TIMEOUT = %s, want %s (REQUEST_TIMEOUT + 5s)", got, want)
	}
	if c.Upstream.MaxRetries != 0 {
		t.Errorf("UPSTREAM_RETRIES=0 gave %d retries, want none", c.Upstream.MaxRetries)
	}
	if got := strings.Join(c.Scopes, "|"); got != "a|b|c" {
		t.Errorf("QF_SCOPES = %q", got)
	}
}

// TestReturnOrigins: SIGNIN_RETURN_ORIGINS are written as browsers write
// origins (lowercase, no default port), and default to CORS_ALLOWED_ORIGINS'
// origins, never "*".
func TestReturnOrigins(t *testing.T) {
	for _, tt := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"CORS_ALLOWED_ORIGINS": "*"}, ""},
		{map[string]string{"CORS_ALLOWED_ORIGINS": "https://App.Example.org:443, http://localhost:5173"}, "https://app.example.org http://localhost:5173"},
		{map[string]string{"CORS_ALLOWED_ORIGINS": "https://app.example.org", "SIGNIN_RETURN_ORIGINS": "http://WWW.example.org:80,https://x.example:8443"},
			"http://www.example.org https://x.example:8443"},
	} {
		c, err := Load(env(tt.vars))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(c.returnOrigins(), " "); got != tt.want {
			t.Errorf("%v: return origins %q, want %q", tt.vars, got, tt.want)
		}
	}
}

func TestSecretNeverLogged(t *testing.T) {
	c, err := Load(env(map[string]string{"QF_CLIENT_ID": "id", "QF_CLIENT_SECRET": "s3cret-value",
		"REDIS_URL":         "redis://:s3cret-value@redis.internal:6379/0",
		"SESSION_REDIS_URL": "redis://:s3cret-value@s1:26379?master_name=sessions&password=s3cret-value&addr=s2:26379"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(env(map[string]string{"REDIS_URL": "redis://:s3cret-value@redis.internal:port"})); err == nil || strings.Contains(err.Error(), "s3cret-value") {
		t.Errorf("a bad REDIS_URL: %v, want an error without the password", err)
	}
	attrs := c.LogAttrs()
	for i := 0; i < len(attrs); i += 2 {
		if strings.Contains(format(attrs[i+1]), "s3cret-value") {
			t.Errorf("%v logs the secret", attrs[i])
		}
	}
}

// TestREADMEConfigurationTable: the README's table lists exactly the settings,
// in their order, with their defaults and docs.
func TestREADMEConfigurationTable(t *testing.T) {
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([A-Z0-9_*]+)` \\| (.*?) \\| (.*) \\|$")
	var rows [][]string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "## Configuration":
			in = true
		case in && strings.HasPrefix(line, "## "):
			in = false
		case in && line == "| variable | default | meaning |":
		case in:
			if m := row.FindStringSubmatch(line); m != nil {
				rows = append(rows, m[1:])
			}
		}
	}
	c := Defaults()
	settings := c.settings()
	for i, s := range settings {
		want := []string{s.name, s.Default(), s.doc}
		if i >= len(rows) {
			t.Errorf("README lacks the row: | `%s` | %s | %s |", want[0], want[1], want[2])
			continue
		}
		if got := rows[i]; strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Errorf("README row %d:\n got | `%s` | %s | %s |\nwant | `%s` | %s | %s |", i+1, got[0], got[1], got[2], want[0], want[1], want[2])
		}
	}
	for _, r := range rows[min(len(rows), len(settings)):] {
		t.Errorf("README lists %s, which is not a setting", r[0])
	}
}

// TestRedisURLForms: REDIS_URL and SESSION_REDIS_URL name one server, a
// cluster (go-redis's cluster URL: more seed nodes as addr=) or a
// Sentinel-managed primary (go-redis's failover URL: master_name=).
func TestRedisURLForms(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"redis://redis.internal:6379/0", "one server at redis.internal:6379"},
		{"unix:///run/redis.sock", "one server at /run/redis.sock"},
		{"redis://h1:7000?addr=h2:7001&addr=h3:7002", "a cluster seeded by [h1:7000 h2:7001 h3:7002]"},
		{"rediss://cfg.example:6379?addr=cfg.example:6379", "a cluster seeded by [cfg.example:6379 cfg.example:6379]"},
		{"redis://s1:26379?master_name=sessions&addr=s2:26379&password=p", "sessions, from the Sentinels [s1:26379 s2:26379]"},
	}
	for _, tt := range tests {
		r, err := redisURL(tt.url)
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		var got string
		switch {
		case r.cluster != nil:
			got = fmt.Sprintf("a cluster seeded by %v", r.cluster.Addrs)
		case r.failover != nil:
			got = fmt.Sprintf("%s, from the Sentinels %v", r.failover.MasterName, r.failover.SentinelAddrs)
		default:
			got = "one server at " + r.single.Addr
		}
		if got != tt.want {
			t.Errorf("%s is %s, want %s", tt.url, got, tt.want)
		}
		c, err := NewRedis(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		_, isCluster := c.(*redis.ClusterClient)
		if isCluster != (r.cluster != nil) {
			t.Errorf("%s: the client is %T", tt.url, c)
		}
		c.Close()
	}
}
