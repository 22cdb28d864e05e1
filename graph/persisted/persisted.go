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
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

// Store keeps automatic persisted queries by their sha256 hash, within its
// Limits: a share for callers whose token is proven (the upstream accepted it,
// or it is a session's) and a smaller one for everyone else.
type Store interface {
	// Get is the document kept under hash; a hit extends its life.
	Get(ctx context.Context, hash string) (query string, ok bool, err error)
	// Add keeps query under hash in the proven or the open share; ErrFull when
	// that share holds all it may. Nothing is evicted to make room.
	Add(ctx context.Context, hash, query string, proven bool) error
}

// ErrFull refuses a document whose share of the store is full.
var ErrFull = errors.New("persisted: the store is full")

// Limit bounds one share of the store.
type Limit struct {
	// Documents is how many the share holds at once; past it, new ones are
	// refused (they still run, sent in full) until some expire.
	Documents int
	// MaxBytes is the largest document the share keeps.
	MaxBytes int
	// TTL is a document's life after its registration or its last use.
	TTL time.Duration
}

// Limits are the store's two shares. An anonymous caller, or one whose token
// nobody has accepted yet, registers for free (any document, no upstream
// call), so its share is small and short-lived; a full share refuses rather
// than evicts, so a flood can keep new documents out of it for a while, never
// push out the documents in use, and never reach the other share.
type Limits struct{ Proven, Open Limit }

// DefaultLimits are the shares the service keeps, the proven documents for
// ttl (APQ_TTL): at most 2,000 × 16 KiB (32 MiB) from proven callers and
// 500 × 4 KiB (2 MiB) from the rest, whose documents live ten minutes unless
// used again.
func DefaultLimits(ttl time.Duration) Limits {
	return Limits{
		Proven: Limit{Documents: 2000, MaxBytes: 16 << 10, TTL: ttl},
		Open:   Limit{Documents: 500, MaxBytes: 4 << 10, TTL: 10 * time.Minute},
	}
}

func (l Limits) of(proven bool) Limit {
	if proven {
		return l.Proven
	}
	return l.Open
}

// MemoryStore is a Store in this process's memory: the default, for one
// replica.
type MemoryStore struct {
	limits Limits
	now    func() time.Time

	mu    sync.Mutex
	docs  map[string]memoryDoc
	count [2]int // by share: open, proven
}

type memoryDoc struct {
	query   string
	proven  bool
	expires time.Time
}

func share(proven bool) int {
	if proven {
		return 1
	}
	return 0
}

// NewMemoryStore keeps documents within limits; now is the clock.
func NewMemoryStore(limits Limits, now func() time.Time) *MemoryStore {
	return &MemoryStore{limits: limits, now: now, docs: map[string]memoryDoc{}}
}

// Get implements Store.
func (m *MemoryStore) Get(_ context.Context, hash string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.docs[hash]
	if !ok {
		return "", false, nil
	}
	now := m.now()
	if !now.Before(d.expires) {
		m.deleteLocked(hash, d)
		return "", false, nil
	}
	d.expires = now.Add(m.limits.of(d.proven).TTL)
	m.docs[hash] = d
	return d.query, true, nil
}

// Add implements Store.
func (m *MemoryStore) Add(_ context.Context, hash, query string, proven bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if d, ok := m.docs[hash]; ok && now.Before(d.expires) {
		return nil // registered again (two tabs at once): it lives on as it is
	} else if ok {
		m.deleteLocked(hash, d)
	}
	limit := m.limits.of(proven)
	if m.count[share(proven)] >= limit.Documents {
		// Full: expired documents make room, never live ones.
		for h, d := range m.docs {
			if !now.Before(d.expires) {
				m.deleteLocked(h, d)
			}
		}
		if m.count[share(proven)] >= limit.Documents {
			return ErrFull
		}
	}
	m.docs[hash] = memoryDoc{query: query, proven: proven, expires: now.Add(limit.TTL)}
	m.count[share(proven)]++
	return nil
}

func (m *MemoryStore) deleteLocked(hash string, d memoryDoc) {
	delete(m.docs, hash)
	m.count[share(d.proven)]--
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
	Store Store
	// Limits are the Store's: a document larger than its registrant's share
	// takes is run, not registered.
	Limits      Limits
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

// toStore is a document to add to the store once it has validated, and
// whether its registrant is proven.
type toStore struct {
	hash, query string
	proven      bool
}

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
	v := viewer.From(ctx)
	proven := p.Proofs.Proven(v)
	if len(params.Query) <= p.Limits.of(proven).MaxBytes {
		// Each registration costs the caller one call of its budget, and its
		// address one registration: the store (shared Redis) must not be
		// filled for free.
		if p.Addresses != nil {
			if err := p.Addresses.Take(v.IP); err != nil {
				return errcode.New(errcode.RateLimited, "too many persisted-query registrations from this address; retry later")
			}
		}
		if err := p.Callers.Take(p.Proofs.CallerKey(v)); err != nil {
			return errcode.New(errcode.RateLimited, "too many persisted-query registrations from this caller; retry later")
		}
		// Stored in Register, once it has validated.
		graphql.GetOperationContext(ctx).Stats.SetExtension("persistedQueryToStore", toStore{hash, params.Query, proven})
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
		switch err := r.Store.Add(ctx, s.hash, s.query, s.proven); {
		case errors.Is(err, ErrFull):
			r.Metrics.Persisted("full") // counted, not logged: a flood would fill the log
		case err != nil:
			r.Logger.WarnContext(ctx, "graphql: persisted query store", "err", err.Error())
		default:
			r.Metrics.Persisted("register")
		}
	}
	return nil
}
