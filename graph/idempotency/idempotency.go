// Package idempotency makes a write safe to send again: the answer to a request
// sent with an Idempotency-Key is kept, per caller and key, with a fingerprint
// of the request, and the same request sent again with the same key gets that
// answer instead of running a second time (as the IETF httpapi
// idempotency-key draft and Stripe's API do). A key is claimed atomically
// before its request runs, with a lease that ends by itself if the replica
// dies mid-request, so two requests with one key never both run, on any
// replica. It knows nothing of GraphQL: the caller says what a request's
// fingerprint is, what its answer was, and whether to keep it.
package idempotency

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The headers of the protocol.
const (
	// Header carries the client's key.
	Header = "Idempotency-Key"
	// ReplayedHeader ("true") marks an answer replayed from the store.
	ReplayedHeader = "Idempotent-Replayed"
)

const (
	// MaxKeyLength is the longest key taken (printable ASCII, at least one).
	MaxKeyLength = 255
	// MaxAnswerBytes is the largest answer body kept. A larger answer is
	// sent as usual but kept without its body (Answer.Omitted): the request
	// is not run again, and its replay says the answer was not kept.
	MaxAnswerBytes = 1 << 20
)

var (
	// ErrReused refuses a key already used, by this caller, for a request
	// with another fingerprint (running or done).
	ErrReused = errors.New("idempotency: the key was used for another request")
	// ErrInFlight refuses a key whose first request is still running.
	ErrInFlight = errors.New("idempotency: the key's first request is still running")
	// ErrUnavailable wraps a store's failure to claim a key: the request must
	// not run (it might run twice), and may be sent again shortly.
	ErrUnavailable = errors.New("idempotency: the store is unavailable")
	// ErrLost is what Keep answers when the claim is no longer the
	// request's (its lease ended first): nothing is kept.
	ErrLost = errors.New("idempotency: the claim on the key was lost")
)

// ValidKey reports whether k is a key this package takes: 1 to MaxKeyLength
// printable ASCII characters (space to tilde).
func ValidKey(k string) bool {
	if len(k) < 1 || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// DocumentHash is the SHA-256 of a document, in lower-case hex: what a
// persisted query's hash is, so a request sent with its document and one sent
// by its hash alone have the same fingerprint.
func DocumentHash(document string) string {
	sum := sha256.Sum256([]byte(document))
	return hex.EncodeToString(sum[:])
}

// Fingerprint is what a key is bound to: the SHA-256 over the document's hash
// (DocumentHash, or the persisted-query hash sent instead of the document),
// the operation's name and the variables in canonical JSON (object keys
// sorted, no white space, numbers as sent; none is the same as {}).
func Fingerprint(documentHash, operationName string, variables map[string]any) (string, error) {
	vars := []byte("{}")
	if len(variables) > 0 {
		var err error
		if vars, err = json.Marshal(variables); err != nil { // encoding/json sorts map keys
			return "", fmt.Errorf("idempotency: variables: %w", err)
		}
	}
	h := sha256.New()
	fmt.Fprintf(h, "document %s\noperation %d %s\nvariables ", documentHash, len(operationName), operationName)
	h.Write(vars)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Answer is an HTTP answer as kept: its status, its Content-Type and its body.
// Other headers are not kept: they belong to the request that is answered
// (its request id, a session's cookie) or are the same for every answer.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
	// Omitted says the body was over MaxAnswerBytes and was not kept.
	Omitted bool
}

// Claim is a request's hold on a key: Owner is random, so that only the
// request that claimed a key can keep an answer under it or release it.
type Claim struct {
	Owner       string
	Fingerprint string
}

// Held is what holds a key already: the fingerprint of its request, and its
// answer (nil while that request is still running).
type Held struct {
	Fingerprint string
	Answer      *Answer
}

// Store keeps claims and answers by key (a hash of the caller and the
// client's key). Implementations are MemoryStore and RedisStore.
type Store interface {
	// Claim takes key for c for lease, unless something holds it: then it
	// returns that (nil: claimed). The check and the claim are one step.
	Claim(ctx context.Context, key string, c Claim, lease time.Duration) (*Held, error)
	// Keep replaces c's claim with a for ttl; ErrLost when key is not c's.
	Keep(ctx context.Context, key string, c Claim, a Answer, ttl time.Duration) error
	// Release drops c's claim; a key that is not c's is left as it is.
	Release(ctx context.Context, key string, c Claim) error
}

// Keeper applies the protocol over a Store.
type Keeper struct {
	store Store
	ttl   time.Duration
	lease time.Duration
}

// New keeps answers in store for ttl after they are kept; a claim lasts at
// most lease (longer than a request can run: it only matters when a replica
// dies mid-request, and then the key is refused as in flight until it ends).
func New(store Store, ttl, lease time.Duration) *Keeper {
	return &Keeper{store: store, ttl: ttl, lease: lease}
}

// Request is a request that holds its key while it runs. It ends with Keep
// or Release.
type Request struct {
	k     *Keeper
	key   string
	claim Claim
}

// Begin starts a request of caller (a stand-in for the caller, never a token)
// with the client's key and the request's fingerprint. It returns the Request
// that now holds the key, or the answer kept for the same request, or
// ErrReused, ErrInFlight, or an error wrapping ErrUnavailable.
func (k *Keeper) Begin(ctx context.Context, caller, key, fingerprint string) (*Request, *Answer, error) {
	var owner [16]byte
	_, _ = rand.Read(owner[:]) // never fails (crypto/rand)
	c := Claim{Owner: hex.EncodeToString(owner[:]), Fingerprint: fingerprint}
	name := storeKey(caller, key)
	held, err := k.store.Claim(ctx, name, c, k.lease)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	case held == nil:
		return &Request{k: k, key: name, claim: c}, nil, nil
	case held.Fingerprint != fingerprint:
		return nil, nil, ErrReused
	case held.Answer == nil:
		return nil, nil, ErrInFlight
	}
	return nil, held.Answer, nil
}

// Keep keeps a as the key's answer (without its body when it is over
// MaxAnswerBytes). The request's context may have ended: the store is written
// regardless, within its own deadline.
func (r *Request) Keep(ctx context.Context, a Answer) error {
	if len(a.Body) > MaxAnswerBytes {
		a.Body, a.Omitted = nil, true
	}
	return r.k.store.Keep(context.WithoutCancel(ctx), r.key, r.claim, a, r.k.ttl)
}

// Release gives the key back without an answer: the request did not run (it
// was refused before any call), so the same key may be sent again.
func (r *Request) Release(ctx context.Context) error {
	return r.k.store.Release(context.WithoutCancel(ctx), r.key, r.claim)
}

// storeKey names a caller's key in a store: a hash, so that neither the
// caller's stand-in nor the client's key appears in it, and its length is fixed.
func storeKey(caller, key string) string {
	sum := sha256.Sum256([]byte(caller + "\x00" + key))
	return hex.EncodeToString(sum[:])
}
