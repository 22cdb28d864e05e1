// Package persisted serves persisted queries: Apollo's automatic persisted
// queries (a hash, then the document once), from memory or a Redis shared by
// replicas, and trusted documents from a manifest, optionally refusing every
// other operation. A document is stored only after it has passed the guard and
// validation.
package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

// Store keeps automatic persisted queries by their sha256 hash.
type Store interface {
	Get(ctx context.Context, hash string) (query string, ok bool, err error)
	Add(ctx context.Context, hash, query string) error
}

// maxPersistedQuery is the largest document kept for automatic persisted queries.
const maxPersistedQuery = 16 << 10

// MemoryStore is an in-memory LRU Store: the default, for one replica.
type MemoryStore struct{ cache *lru.Cache[string, string] }

// NewMemoryStore keeps up to size queries.
func NewMemoryStore(size int) *MemoryStore {
	c, _ := lru.New[string, string](max(size, 1))
	return &MemoryStore{cache: c}
}

// Get implements Store.
func (m *MemoryStore) Get(_ context.Context, hash string) (string, bool, error) {
	q, ok := m.cache.Get(hash)
	return q, ok, nil
}

// Add implements Store.
func (m *MemoryStore) Add(_ context.Context, hash, query string) error {
	m.cache.Add(hash, query)
	return nil
}

// Manifest is a list of trusted documents by sha256 hash.
type Manifest map[string]string

// LoadManifest reads a persisted-operation manifest: Apollo's
// apollo-persisted-query-manifest format, or a plain {"hash": "query"} object.
// Every hash is checked against its document.
func LoadManifest(path string) (Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var apollo struct {
		Format     string `json:"format"`
		Version    int    `json:"version"`
		Operations []struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		} `json:"operations"`
	}
	m := Manifest{}
	if err := json.Unmarshal(b, &apollo); err == nil && apollo.Format == "apollo-persisted-query-manifest" {
		if apollo.Version != 1 {
			return nil, fmt.Errorf("manifest version %d: only version 1 is known", apollo.Version)
		}
		for _, op := range apollo.Operations {
			m[strings.ToLower(op.ID)] = op.Body
		}
	} else {
		var plain map[string]string
		if err := json.Unmarshal(b, &plain); err != nil {
			return nil, errors.New("neither an apollo-persisted-query-manifest nor a {\"hash\": \"query\"} object")
		}
		for h, q := range plain {
			m[strings.ToLower(h)] = q
		}
	}
	for h, q := range m {
		if hashOf(q) != h {
			return nil, fmt.Errorf("the document listed as %s has another sha256", h)
		}
	}
	return m, nil
}

// OperationNames are the names of the manifest's operations.
func (m Manifest) OperationNames() []string {
	var names []string
	for _, q := range m {
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			continue
		}
		for _, op := range doc.Operations {
			if op.Name != "" {
				names = append(names, op.Name)
			}
		}
	}
	return names
}

func hashOf(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:])
}

// Queries serves Apollo's automatic persisted queries (a hash in
// extensions.persistedQuery; PERSISTED_QUERY_NOT_FOUND on a miss, after which the
// client sends the document with its hash) and trusted documents from a
// manifest. With onlyTrusted, any operation not in the manifest is refused.
//
// gqlgen's own APQ extension stores a document before it is validated, and
// answers a malformed extension without a code; this one stores a document only
// once it has passed the guard and validation, so the store never holds a
// document the service would refuse.
type Queries struct {
	Store       Store
	Manifest    Manifest
	OnlyTrusted bool
	Metrics     *telemetry.Metrics
	Logger      *slog.Logger
	// Callers is the per-caller budget: each registration spends one call of it.
	Callers *guard.CallerLimits
	// Addresses is a budget of registrations per client address (nil: none):
	// a caller that invents a token per request gets a fresh per-token bucket
	// each time, but not a fresh address.
	Addresses *guard.CallerLimits
	// Proofs say whose budget a registration spends: a token's own once the
	// upstream has accepted it, else its address's.
	Proofs *guard.Proofs
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = Queries{}

func (Queries) ExtensionName() string                   { return "PersistedQueries" }
func (Queries) Validate(graphql.ExecutableSchema) error { return nil }

// toStore is a document to add to the store once it has validated.
type toStore struct{ hash, query string }

func (p Queries) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	raw, ok := params.Extensions["persistedQuery"]
	if !ok || raw == nil {
		if p.OnlyTrusted {
			return errcode.New(errcode.PersistedNotInList, "this service runs only trusted documents: send a persisted query hash")
		}
		return nil
	}
	ext, ok := raw.(map[string]any)
	if !ok {
		return errcode.New(errcode.BadRequest, "extensions.persistedQuery must be an object")
	}
	if v := fmt.Sprint(ext["version"]); v != "1" {
		return errcode.New(errcode.BadRequest, "extensions.persistedQuery.version must be 1")
	}
	hash, _ := ext["sha256Hash"].(string)
	hash = strings.ToLower(hash)
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return errcode.New(errcode.BadRequest, "extensions.persistedQuery.sha256Hash must be 64 hex digits")
	}
	if q, ok := p.Manifest[hash]; ok {
		if params.Query != "" && params.Query != q {
			return errcode.New(errcode.BadRequest, "the query does not match its sha256Hash")
		}
		params.Query = q
		p.Metrics.Persisted("trusted")
		return nil
	}
	if p.OnlyTrusted {
		return errcode.New(errcode.PersistedNotInList, "this operation is not in the list of trusted documents")
	}
	if params.Query == "" {
		q, found, err := p.Store.Get(ctx, hash)
		if err != nil {
			p.Logger.WarnContext(ctx, "graphql: persisted query store", "err", err.Error())
		}
		if !found {
			p.Metrics.Persisted("miss")
			return errcode.New(errcode.PersistedNotFound, "PersistedQueryNotFound")
		}
		params.Query = q
		p.Metrics.Persisted("hit")
		return nil
	}
	if hashOf(params.Query) != hash {
		return errcode.New(errcode.BadRequest, "the query does not match its sha256Hash")
	}
	if len(params.Query) <= maxPersistedQuery {
		// Each registration costs the caller one call of its budget, and its
		// address one registration: the store (shared Redis) must not be
		// filled for free.
		v := viewer.From(ctx)
		if p.Addresses != nil {
			if err := p.Addresses.Take(v.IP); err != nil {
				return errcode.New(errcode.RateLimited, "too many persisted-query registrations from this address; retry later")
			}
		}
		if err := p.Callers.Take(p.Proofs.CallerKey(v)); err != nil {
			return errcode.New(errcode.RateLimited, "too many persisted-query registrations from this caller; retry later")
		}
		// Stored in Register, once it has validated.
		graphql.GetOperationContext(ctx).Stats.SetExtension("persistedQueryToStore", toStore{hash, params.Query})
	}
	return nil
}

// Register stores a document sent with its hash. It is the last
// extension to run before execution: a document reaches the store only after
// the guard, validation, the id cap and the complexity limit have all passed it.
type Register struct {
	Store   Store
	Logger  *slog.Logger
	Metrics *telemetry.Metrics
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = Register{}

func (Register) ExtensionName() string                   { return "RegisterPersisted" }
func (Register) Validate(graphql.ExecutableSchema) error { return nil }

func (r Register) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if s, ok := opCtx.Stats.GetExtension("persistedQueryToStore").(toStore); ok {
		if err := r.Store.Add(ctx, s.hash, s.query); err != nil {
			r.Logger.WarnContext(ctx, "graphql: persisted query store", "err", err.Error())
		} else {
			r.Metrics.Persisted("register")
		}
	}
	return nil
}
