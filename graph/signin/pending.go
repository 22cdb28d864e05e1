package signin

import (
	"cmp"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// pending is a sign-in under way. It is held by the browser that started it,
// not by the service: sealed (AES-GCM, under a key derived from the client
// secret, which every replica has) in a cookie named after its state, which the
// callback reads and clears. A flood of /auth/login costs the service nothing
// to hold, and only the browser holding the cookie can complete the sign-in
// (a victim lured to an attacker's callback has no such cookie).
type pending struct {
	Verifier string `json:"v"`
	Nonce    string `json:"n"`
	ReturnTo string `json:"r"`
	State    string `json:"s"` // the state's hash
	Expires  int64  `json:"e"` // unix seconds
}

// maxPending and maxPendingBytes bound the sign-ins one browser may have under
// way at once (tabs, abandoned attempts): past them the oldest are dropped,
// so that the cookies stay a small part of every request's headers.
const (
	maxPending      = 4
	maxPendingBytes = 6000
)

// pendingPrefix starts the name of every pending sign-in's cookie; the rest of
// the name is a short hash of its state.
const pendingPrefix = "reflect_signin_"

// claimKey marks a sign-in's state used, once its callback came.
func claimKey(stateHash string) string { return "reflect-graphql:signin:used:" + stateHash }

func pendingName(state string) string { return pendingPrefix + idHash(state)[:16] }

func pendingKey(clientSecret string) []byte {
	k, err := hkdf.Key(sha256.New, []byte(clientSecret), nil, "reflect-graphql pending sign-in v1", 32)
	if err != nil {
		panic(err) // only for an impossible length
	}
	return k
}

// sealPending is p sealed for the cookie name (bound to it: a sealed sign-in
// moved under another name does not open).
func (s *Service) sealPending(name string, p pending) string {
	plain, _ := json.Marshal(p) // strings and a number: never fails
	nonce := make([]byte, s.pendingAEAD.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.pendingAEAD.Seal(nonce, nonce, plain, []byte(name)))
}

// openPending opens a pending sign-in's cookie value; ok is false for one
// that is not this service's, not for name, or expired.
func (s *Service) openPending(name, value string) (p pending, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	n := s.pendingAEAD.NonceSize()
	if err != nil || len(raw) < n {
		return p, false
	}
	plain, err := s.pendingAEAD.Open(nil, raw[:n], raw[n:], []byte(name))
	if err != nil || json.Unmarshal(plain, &p) != nil {
		return p, false
	}
	return p, s.cfg.Now().Unix() < p.Expires
}

// dropOldPending clears the oldest of the browser's pending sign-ins, so that
// with the one being started (of newSize bytes) there are at most maxPending,
// of at most maxPendingBytes in all: proxies refuse requests whose headers
// are long (nginx's default line is 8 KiB). Cookies this service cannot open
// (another service's on the same host, or expired) are left alone.
func (s *Service) dropOldPending(w http.ResponseWriter, r *http.Request, newSize int) {
	type held struct {
		base    string
		size    int
		expires int64
	}
	var all []held
	prefix := s.cookieName(pendingPrefix)
	for _, c := range r.Cookies() {
		if !strings.HasPrefix(c.Name, prefix) {
			continue
		}
		if p, ok := s.openPending(c.Name, c.Value); ok {
			all = append(all, held{strings.TrimPrefix(c.Name, s.cookieName("")), len(c.Name) + len(c.Value), p.Expires})
		}
	}
	// Newest first: by expiry, then by the order browsers send cookies in
	// (oldest created first, RFC 6265 5.4).
	slices.Reverse(all)
	slices.SortStableFunc(all, func(a, b held) int { return cmp.Compare(b.expires, a.expires) })
	kept, bytes := 1, newSize
	for _, h := range all {
		if kept < maxPending && bytes+h.size <= maxPendingBytes {
			kept, bytes = kept+1, bytes+h.size
			continue
		}
		s.setCookie(w, h.base, "", -1)
	}
}
