package graph

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
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Codes of persisted queries: Apollo's, so that its links react to them.
const (
	CodePersistedNotFound  = "PERSISTED_QUERY_NOT_FOUND"
	CodePersistedNotInList = "PERSISTED_QUERY_NOT_IN_LIST"
)

// QueryStore keeps automatic persisted queries by their sha256 hash.
type QueryStore interface {
	Get(ctx context.Context, hash string) (query string, ok bool, err error)
	Add(ctx context.Context, hash, query string) error
}

// maxPersistedQuery is the largest document kept for automatic persisted queries.
const maxPersistedQuery = 16 << 10

// MemoryStore is an in-memory LRU QueryStore: the default, for one replica.
type MemoryStore struct{ cache *lru.Cache[string, string] }

// NewMemoryStore keeps up to size queries.
func NewMemoryStore(size int) *MemoryStore {
	c, _ := lru.New[string, string](max(size, 1))
	return &MemoryStore{cache: c}
}

// Get implements QueryStore.
func (m *MemoryStore) Get(_ context.Context, hash string) (string, bool, error) {
	q, ok := m.cache.Get(hash)
	return q, ok, nil
}

// Add implements QueryStore.
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

func hashOf(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:])
}

// persistedQueries serves Apollo's automatic persisted queries (a hash in
// extensions.persistedQuery; PERSISTED_QUERY_NOT_FOUND on a miss, after which the
// client sends the document with its hash) and trusted documents from a
// manifest. With onlyTrusted, any operation not in the manifest is refused.
//
// gqlgen's own APQ extension stores a document before it is validated, and
// answers a malformed extension without a code; this one stores a document only
// once it has passed the guard and validation, so the store never holds a
// document the service would refuse.
type persistedQueries struct {
	store       QueryStore
	manifest    Manifest
	onlyTrusted bool
	metrics     *Metrics
	logger      *slog.Logger
	limits      *callerLimits
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = persistedQueries{}

func (persistedQueries) ExtensionName() string                   { return "PersistedQueries" }
func (persistedQueries) Validate(graphql.ExecutableSchema) error { return nil }

// toStore is a document to add to the store once it has validated.
type toStore struct{ hash, query string }

func (p persistedQueries) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	raw, ok := params.Extensions["persistedQuery"]
	if !ok || raw == nil {
		if p.onlyTrusted {
			return codedError(CodePersistedNotInList, "this service runs only trusted documents: send a persisted query hash")
		}
		return nil
	}
	ext, ok := raw.(map[string]any)
	if !ok {
		return codedError(CodeBadRequest, "extensions.persistedQuery must be an object")
	}
	if v := fmt.Sprint(ext["version"]); v != "1" {
		return codedError(CodeBadRequest, "extensions.persistedQuery.version must be 1")
	}
	hash, _ := ext["sha256Hash"].(string)
	hash = strings.ToLower(hash)
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return codedError(CodeBadRequest, "extensions.persistedQuery.sha256Hash must be 64 hex digits")
	}
	if q, ok := p.manifest[hash]; ok {
		if params.Query != "" && params.Query != q {
			return codedError(CodeBadRequest, "the query does not match its sha256Hash")
		}
		params.Query = q
		p.metrics.persisted("trusted")
		return nil
	}
	if p.onlyTrusted {
		return codedError(CodePersistedNotInList, "this operation is not in the list of trusted documents")
	}
	if params.Query == "" {
		q, found, err := p.store.Get(ctx, hash)
		if err != nil {
			p.logger.WarnContext(ctx, "graphql: persisted query store", "err", err.Error())
		}
		if !found {
			p.metrics.persisted("miss")
			return codedError(CodePersistedNotFound, "PersistedQueryNotFound")
		}
		params.Query = q
		p.metrics.persisted("hit")
		return nil
	}
	if hashOf(params.Query) != hash {
		return codedError(CodeBadRequest, "the query does not match its sha256Hash")
	}
	if len(params.Query) <= maxPersistedQuery {
		// Each registration costs the caller one call of its budget: the store
		// (shared Redis) must not be filled for free.
		if err := p.limits.take(viewerFrom(ctx).Key); err != nil {
			return codedError(CodeRateLimited, "too many persisted-query registrations from this caller; retry later")
		}
		// Stored in registerPersisted, once it has validated.
		graphql.GetOperationContext(ctx).Stats.SetExtension("persistedQueryToStore", toStore{hash, params.Query})
	}
	return nil
}

// registerPersisted stores a document sent with its hash. It is the last
// extension to run before execution: a document reaches the store only after
// the guard, validation, the id cap and the complexity limit have all passed it.
type registerPersisted struct {
	store   QueryStore
	logger  *slog.Logger
	metrics *Metrics
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = registerPersisted{}

func (registerPersisted) ExtensionName() string                   { return "RegisterPersisted" }
func (registerPersisted) Validate(graphql.ExecutableSchema) error { return nil }

func (r registerPersisted) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if s, ok := opCtx.Stats.GetExtension("persistedQueryToStore").(toStore); ok {
		if err := r.store.Add(ctx, s.hash, s.query); err != nil {
			r.logger.WarnContext(ctx, "graphql: persisted query store", "err", err.Error())
		} else {
			r.metrics.persisted("register")
		}
	}
	return nil
}
