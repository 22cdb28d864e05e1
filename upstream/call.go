package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Endpoint describes one upstream operation to the generic call path.
type Endpoint struct {
	// Name labels the endpoint's metrics and errors, such as "room".
	Name string
	// Resource is what the endpoint reads or changes, for messages such as
	// "room not found" or "refused access to this room" (the room's members,
	// or joining it, are still about the room). Empty: Name.
	Resource string
	// Method is the HTTP method, such as GET.
	Method string
	// Path is a template such as "/quran-reflect/v1/rooms/{id}": each
	// {placeholder} takes the next path argument of a call, escaped. The
	// template itself names the span, so that no id ever reaches a trace.
	Path string
	// MaxBody bounds a successful answer (200, or a write's 201), in bytes; a
	// longer one is malformed.
	MaxBody int64
	// MaxLimit is the largest page a list endpoint takes (0 for an endpoint
	// that is not a list). Over the upstream's maximum its gateway answers
	// 422, so a list method refuses a larger Limit without calling.
	MaxLimit int
	// Write marks an operation that changes something upstream. It is retried
	// only when the upstream certainly did not run it: a connection that was
	// never made, 429 or 503. A 502, a 504, a timeout or a reset may come after
	// the upstream ran it, and running it twice is not ours to decide.
	Write bool
	// UserOnly marks an operation the upstream serves to signed-in users only.
	// A 401 to the service's own token then says nothing about that token, so
	// it is not renewed: otherwise any anonymous caller could make the service
	// fetch a token per request.
	UserOnly bool
	// Refusal says, for a person, what a 400 from this endpoint means (what a
	// reflection needs to be accepted, say). The upstream's own words are for
	// the log only. Empty: the caller says something generic.
	Refusal string
}

func (ep Endpoint) resource() string {
	if ep.Resource == "" {
		return ep.Name
	}
	return ep.Resource
}

// request is what one call of an endpoint sends besides the token.
type request struct {
	// args fill the Endpoint's path template, in order.
	args []string
	// query is sent as the query string. Like args, it may hold a caller's
	// input: it never reaches a log, a span or an error.
	query url.Values
	// rawQuery, when not "", is sent as the query string instead of query: a
	// query encoded once, in an order and form of its own (the feed's).
	rawQuery string
	// body, when not nil, is sent as JSON.
	body any
}

// inPath is the request of a call whose only arguments are in the path.
func inPath(args ...string) request { return request{args: args} }

// clientSpan starts an attempt's span.
var clientSpan = trace.WithSpanKind(trace.SpanKindClient)

// traceContext writes the attempt's span as a W3C traceparent header.
var traceContext = propagation.TraceContext{}

// fetch calls ep for the holder of as and decodes its 200 answer with decode. key
// names what was asked for in errors (a room id), and rq fills ep.Path and the
// query. An endpoint's public method is this one line plus its decoder.
func fetch[T any](ctx context.Context, c *Client, ep Endpoint, as UserToken, key string, rq request,
	decode func(body []byte, warn func(msg string, args ...any)) (T, error)) (T, error) {
	var out T
	err := c.call(ctx, ep, as, key, rq, func(ctx context.Context, body []byte) error {
		v, err := decode(body, func(msg string, args ...any) {
			c.log.WarnContext(ctx, "upstream: "+ep.Name+": "+msg, args...)
		})
		out = v
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// write calls the write ep for the holder of as and decodes its answer (200,
// or 201 for a write that creates something) with decode. A refusal is the
// upstream's error as it came: whether a refused write was already so (a
// second join, a second follow) is for the caller to learn by reading the
// state, never from the refusal's wording.
func write[T any](ctx context.Context, c *Client, ep Endpoint, as UserToken, key string, rq request,
	decode func(body []byte, warn func(msg string, args ...any)) (T, error)) (T, error) {
	if !ep.Write {
		panic("upstream: write called for " + ep.Name + ", which is not a write")
	}
	return fetch(ctx, c, ep, as, key, rq, decode)
}

// ignoreAnswer is the decoder of a write whose answer says nothing the caller
// needs (a join's {"joined": true}).
func ignoreAnswer([]byte, func(string, ...any)) (struct{}, error) { return struct{}{}, nil }

// call is the one path every endpoint takes: the budget, the token, retries with
// backoff, one renewal of the service's own token when the upstream refuses it,
// the process's slots, the host's circuit breaker, a span and metrics per attempt.
// decode reads a 200 body within the attempt that received it, so that a
// malformed answer is judged like any other failed attempt: in the span, in the
// metrics, and by the breaker (which ignores it). Every error it returns is an
// *Error.
func (c *Client) call(ctx context.Context, ep Endpoint, as UserToken, key string, rq request,
	decode func(ctx context.Context, body []byte) error) error {
	target, err := expandPath(c.baseURL, ep.Path, rq.args)
	switch {
	case err != nil:
	case rq.rawQuery != "":
		target += "?" + rq.rawQuery
	case len(rq.query) > 0:
		target += "?" + rq.query.Encode()
	}
	var body []byte
	if err == nil && rq.body != nil {
		body, err = json.Marshal(rq.body)
	}
	if err == nil {
		err = c.retry(ctx, ep, as, target, body, decode)
	}
	if err != nil {
		return &Error{Endpoint: ep.Name, Resource: ep.resource(), Key: key, Refusal: ep.Refusal, Err: err}
	}
	return nil
}

// retry runs the attempts of one call: retries with backoff (for a read: 429,
// 502, 503, 504 and transport errors; for a write: only what was certainly not
// run), and one renewal of the service's own token when the upstream refuses it.
func (c *Client) retry(ctx context.Context, ep Endpoint, as UserToken, target string, body []byte,
	decode func(context.Context, []byte) error) error {
	b := newBudget(ctx, c.cfg.Budget)
	defer b.end()
	renewed := false
	for retry := 0; ; {
		token := string(as)
		if token == "" {
			if c.cfg.ServiceTokens == nil {
				return ErrNoCredentials
			}
			t, err := c.cfg.ServiceTokens.Token(b.waitable())
			if err != nil {
				return err
			}
			token = t
		}
		_, err := c.breaker.Execute(func() (struct{}, error) {
			return struct{}{}, c.attempt(b, ep, target, token, body, decode)
		})
		if err == nil {
			return nil
		}
		err = unwrapGone(err)
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			return ErrCircuitOpen
		}
		var se *StatusError
		if as == "" && !ep.UserOnly && !renewed && errors.As(err, &se) && se.Status == http.StatusUnauthorized {
			if inv, ok := c.cfg.ServiceTokens.(tokenInvalidator); ok {
				// The service's own token was refused (revoked, or the clocks
				// disagree): fetch a new one and try once more.
				inv.Invalidate(token)
				renewed = true
				continue
			}
		}
		if retry >= c.cfg.MaxRetries || !retryable(ep, err) || b.spent() {
			return err
		}
		wait := c.backoff(retry)
		if errors.As(err, &se) && se.RetryAfter > 0 {
			wait = se.RetryAfter
		}
		if time.Until(b.deadline) < wait {
			return err // the wait does not fit in the budget: report what we have
		}
		if c.cfg.Sleep(b.context(), wait) != nil {
			return err
		}
		c.cfg.Observer.Retry(ctx, ep.Name)
		retry++
	}
}

// attempt makes one HTTP call, admitted by the process's adaptive limit, and
// tells the limit what the call said of the upstream's load.
func (c *Client) attempt(b *budget, ep Endpoint, target, token string, body []byte,
	decode func(context.Context, []byte) error) (err error) {
	ctx := b.parent
	release, ok := c.limiter.TryAcquire()
	if !ok { // wait for a slot, within the budget
		if release, err = c.limiter.Acquire(b.context()); err != nil {
			return err
		}
	}
	// The limit judges the upstream by the time from the request written to
	// the answer's first byte: this process's own queueing and decoding, which
	// a busy CPU stretches, are not the upstream's latency.
	// (The hooks run on the transport's goroutines: atomics.)
	status := 0
	probe := newRTTProbe()
	defer func() { release(loadOutcome(b.spent(), status), probe.rtt()) }()
	ctx = httptrace.WithClientTrace(ctx, &probe.trace)
	// One deadline for the attempt: its own, or the budget's if that comes first.
	deadline := time.Now().Add(c.cfg.AttemptTimeout)
	if b.deadline.Before(deadline) {
		deadline = b.deadline
	}
	actx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	span := noSpan
	if c.spans {
		actx, span = c.cfg.Tracer.Start(actx, ep.Path, clientSpan)
		defer span.End()
	}
	if span.IsRecording() { // with tracing off, no name or attributes are built for nothing
		span.SetName(ep.Method + " " + ep.Path)
		span.SetAttributes(
			attribute.String("http.request.method", ep.Method),
			attribute.String("url.template", ep.Path),
			attribute.String("server.address", c.host),
			// No path arguments: they may come from a caller's variables.
		)
	}
	c.cfg.Observer.InFlight(1)
	start := time.Now()
	status, err = c.do(actx, ep, target, token, body, decode)
	c.cfg.Observer.InFlight(-1)
	c.cfg.Observer.Attempt(ctx, ep.Name, status, time.Since(start))
	if status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", status))
	}
	if err != nil {
		span.SetStatus(codes.Error, errorKind(err))
	}
	if err != nil && b.spent() {
		// The caller gave up (or the budget ran out): not the host's fault.
		return &callerGone{err}
	}
	return err
}

// rttProbe times an attempt from its request written to its answer's first
// byte, with one allocation for the times and the hooks' trace.
type rttProbe struct {
	wrote, answered atomic.Int64 // unix nanoseconds
	trace           httptrace.ClientTrace
}

func newRTTProbe() *rttProbe {
	p := &rttProbe{}
	p.trace.WroteRequest = p.wroteRequest
	p.trace.GotFirstResponseByte = p.gotFirstByte
	return p
}

func (p *rttProbe) wroteRequest(httptrace.WroteRequestInfo) { p.wrote.Store(time.Now().UnixNano()) }
func (p *rttProbe) gotFirstByte()                           { p.answered.Store(time.Now().UnixNano()) }

// rtt is the time between the two, or 0 when the attempt got no answer.
func (p *rttProbe) rtt() time.Duration {
	if w, a := p.wrote.Load(), p.answered.Load(); w != 0 && a > w {
		return time.Duration(a - w)
	}
	return 0
}

// noSpan is what an attempt reports to when it starts no span: it records nothing.
var noSpan = trace.SpanFromContext(context.Background())

// loadOutcome is what an attempt says of the upstream's load: an answer is a
// latency sample unless it is an overload status; no answer is an overload
// unless the caller gave up.
func loadOutcome(callerGone bool, status int) Outcome {
	switch {
	case status == 0 && callerGone:
		return Ignored
	case status == 0, status == http.StatusTooManyRequests, status == http.StatusBadGateway,
		status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return Overloaded
	}
	return Served
}

// do makes the HTTP request, with body as JSON unless it is nil, and hands a 200
// body to decode; status is 0 when no answer came.
func (c *Client) do(ctx context.Context, ep Endpoint, target, token string, body []byte,
	decode func(context.Context, []byte) error) (status int, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, ep.Method, target, rd)
	if err != nil {
		return 0, err
	}
	// The names are written canonical, so that no call canonicalizes them.
	if body != nil {
		req.Header["Content-Type"] = jsonMedia
	}
	traceContext.Inject(ctx, propagation.HeaderCarrier(req.Header))
	req.Header["X-Auth-Token"] = []string{token}
	req.Header["X-Client-Id"] = c.clientID
	req.Header["Accept"] = jsonMedia
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// net/http names the whole URL, ids, slugs and query included,
			// which may be a caller's variables: logs get the template instead.
			ue.URL = ep.Path
		}
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && (!ep.Write || resp.StatusCode != http.StatusCreated) {
		return resp.StatusCode, c.statusError(resp)
	}
	answer, err := readBody(resp, ep.MaxBody)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%w: reading body: %w", ErrMalformed, err)
	}
	if int64(len(answer)) > ep.MaxBody {
		return resp.StatusCode, fmt.Errorf("%w: body over %d bytes", ErrMalformed, ep.MaxBody)
	}
	return resp.StatusCode, decode(ctx, answer)
}

// jsonMedia is the value of the Accept and Content-Type headers: shared, never
// written to.
var jsonMedia = []string{"application/json"}

// expandPath is base followed by tmpl with each {placeholder} replaced by the next
// of args, path-escaped, so that an argument can never add a path segment or a
// query. It scans the template by hand, once per call: no regexp, one allocation
// unless an argument needs escaping.
func expandPath(base, tmpl string, args []string) (string, error) {
	n := len(base) + len(tmpl)
	for _, a := range args {
		n += len(a)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(base)
	used := 0
	for rest := tmpl; ; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("upstream: path template %q has an unclosed {", tmpl)
		}
		if used == len(args) {
			return "", fmt.Errorf("upstream: path template %q needs more than %d arguments", tmpl, len(args))
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(args[used]))
		used++
		rest = rest[open+end+1:]
	}
	if used != len(args) {
		return "", fmt.Errorf("upstream: path template %q takes %d arguments, not %d", tmpl, used, len(args))
	}
	return b.String(), nil
}
