// Package upstream is a small client for the Quran Foundation's Quran Reflect REST
// API: it knows the URLs, the two auth headers, the service's own OAuth2 token, the
// room JSON with its oddities, and how the upstream reports errors. It knows nothing
// of GraphQL.
package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Body size limits: a room with its mutual followers is a few KB; error bodies are
// read only for a message.
const (
	maxRoomBody  = 4 << 20
	maxErrorBody = 8 << 10
)

// TokenProvider supplies the service's own access token for callers who bring none.
type TokenProvider interface {
	Token(ctx context.Context) (string, error)
}

// Config configures a Client.
type Config struct {
	// APIBaseURL is the gateway, such as https://apis-prelive.quran.foundation.
	APIBaseURL string
	// ClientID is sent as x-client-id on every call.
	ClientID string
	// ServiceTokens supplies a token for callers without one; nil refuses them
	// with ErrNoCredentials.
	ServiceTokens TokenProvider
	// Logger receives oddities that do not fail a call. Nil discards them.
	Logger *slog.Logger
}

// Client calls the Quran Reflect API. It is safe for concurrent use.
type Client struct {
	roomsURL string
	clientID string
	tokens   TokenProvider
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
}

// New returns a Client that makes its calls with httpClient. Redirects are never
// followed: the x-auth-token header is not one net/http strips when a redirect
// leaves the host, so following one could hand a user's token to another server.
func New(cfg Config, httpClient *http.Client) *Client {
	hc := *httpClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Client{
		roomsURL: strings.TrimRight(cfg.APIBaseURL, "/") + "/quran-reflect/v1/rooms/",
		clientID: cfg.ClientID,
		tokens:   cfg.ServiceTokens,
		http:     &hc,
		log:      logger,
		now:      time.Now,
	}
}

// Room fetches the profile of room id as seen by the holder of userToken. An empty
// userToken means an anonymous caller, served with the service's own token.
func (c *Client) Room(ctx context.Context, id, userToken string) (*Room, error) {
	room, err := c.room(ctx, id, userToken)
	if err != nil {
		return nil, &RoomError{ID: id, Err: err}
	}
	return room, nil
}

func (c *Client) room(ctx context.Context, id, userToken string) (*Room, error) {
	token := userToken
	if token == "" {
		if c.tokens == nil {
			return nil, ErrNoCredentials
		}
		t, err := c.tokens.Token(ctx)
		if err != nil {
			return nil, err
		}
		token = t
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.roomsURL+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("x-auth-token", token)
	req.Header.Set("x-client-id", c.clientID)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, c.statusError(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRoomBody+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading body: %v", ErrMalformed, err)
	}
	if len(body) > maxRoomBody {
		return nil, fmt.Errorf("%w: body over %d bytes", ErrMalformed, maxRoomBody)
	}
	return decodeRoom(body, func(msg string, args ...any) {
		c.log.Warn("upstream: room "+id+": "+msg, args...)
	})
}

// statusError reads the gateway's error envelope, if the body is one, for the log.
// The body itself never leaves this function.
func (c *Client) statusError(resp *http.Response) error {
	e := &StatusError{
		Status:     resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var env struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Type = truncate(env.Type, 64)
		e.Message = truncate(env.Message, 200)
	}
	return e
}
