package fake

import (
	"sync"
	"time"
)

// The knobs tests turn to make the OpenID Connect provider misbehave, and the
// signals they wait on. The demo never touches them.

// IDTokenFault spoils the ID tokens issued from now on (SetIDTokenFault), to test
// that the client verifies them. A non-empty string replaces that claim.
type IDTokenFault struct {
	Nonce    string // the nonce claim, even on a refresh (which has none)
	Audience string // the aud claim
	Issuer   string // the iss claim
	Expired  bool   // exp in the past
	// ForeignKey signs with another key, which claims the provider's key id
	// but is not in the JWKS.
	ForeignKey bool
}

// SetIDTokenFault spoils every ID token issued from now on with f; the zero
// IDTokenFault restores them.
func (s *Server) SetIDTokenFault(f IDTokenFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oidc.idFault = f
}

// ExpireUserTokens makes every signed-in user's access token issued so far
// expired: the API answers 401 to them, and the client must refresh, without
// waiting for the clock. Client-credentials and demo tokens are not touched.
func (s *Server) ExpireUserTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.oidc.access {
		t.expires = time.Time{}
	}
}

// HoldRefreshes makes refresh_token grant requests wait until release is called.
// reached is closed once one is waiting: a test can hold a refresh in flight.
func (s *Server) HoldRefreshes() (reached <-chan struct{}, release func()) {
	h := &hold{want: 1, reached: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.oidc.refreshHold = h
	s.mu.Unlock()
	var once sync.Once
	return h.reached, func() {
		once.Do(func() {
			s.mu.Lock()
			if s.oidc.refreshHold == h {
				s.oidc.refreshHold = nil
			}
			s.mu.Unlock()
			close(h.release)
		})
	}
}

// RevokeSignIns revokes every user's sign-in so far, as a user signing out
// everywhere at the provider would: their access tokens are refused, and their
// refresh tokens answer invalid_grant.
func (s *Server) RevokeSignIns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.oidc.access {
		t.grant.revoked = true
	}
}
