package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// maxErrorBody bounds what is read of a non-200 answer: it is read only for a
// message.
const maxErrorBody = 8 << 10

// Endpoint describes one upstream operation to the generic call path.
type Endpoint struct {
	// Name labels the endpoint's metrics and errors, such as "room".
	Name string
	// Method is the HTTP method, such as GET.
	Method string
	// Path is a template such as "/quran-reflect/v1/rooms/{id}": each
	// {placeholder} takes the next path argument of a call, escaped. The
	// template itself names the span, so that no id ever reaches a trace.
	Path string
	// MaxBody bounds a 200 answer, in bytes; a longer one is malformed.
	MaxBody int64
}

// traceContext writes the attempt's span as a W3C traceparent header.
var traceContext = propagation.TraceContext{}

// fetch calls ep for the holder of as and decodes its 200 answer with decode. key
// names what was asked for in errors (a room id), and pathArgs fill ep.Path. An
// endpoint's public method is this one line plus its decoder.
func fetch[T any](ctx context.Context, c *Client, ep Endpoint, as UserToken, key string,
	decode func(body []byte, warn func(msg string, args ...any)) (T, error), pathArgs ...string) (T, error) {
	var out T
	err := c.call(ctx, ep, as, key, func(ctx context.Context, body []byte) error {
		v, err := decode(body, func(msg string, args ...any) {
			c.log.WarnContext(ctx, "upstream: "+ep.Name+": "+msg, args...)
		})
		out = v
		return err
	}, pathArgs...)
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// call is the one path every endpoint takes: the budget, the token, retries with
// backoff, one renewal of the service's own token when the upstream refuses it,
// the process's slots, the host's circuit breaker, a span and metrics per attempt.
// decode reads a 200 body within the attempt that received it, so that a
// malformed answer is judged like any other failed attempt: in the span, in the
// metrics, and by the breaker (which ignores it). Every error it returns is an
// *Error.
func (c *Client) call(ctx context.Context, ep Endpoint, as UserToken, key string,
	decode func(ctx context.Context, body []byte) error, pathArgs ...string) error {
	target, err := expandPath(c.baseURL, ep.Path, pathArgs)
	if err == nil {
		err = c.retry(ctx, ep, as, target, decode)
	}
	if err != nil {
		return &Error{Endpoint: ep.Name, Key: key, Err: err}
	}
	return nil
}

// retry runs the attempts of one call: retries for 429, 502, 503, 504 and
// transport errors with backoff, and one renewal of the service's own token when
// the upstream refuses it.
func (c *Client) retry(ctx context.Context, ep Endpoint, as UserToken, target string,
	decode func(context.Context, []byte) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Budget)
	defer cancel()
	renewed := false
	for retry := 0; ; {
		token := string(as)
		if token == "" {
			if c.cfg.ServiceTokens == nil {
				return ErrNoCredentials
			}
			t, err := c.cfg.ServiceTokens.Token(ctx)
			if err != nil {
				return err
			}
			token = t
		}
		_, err := c.breaker.Execute(func() (struct{}, error) {
			return struct{}{}, c.attempt(ctx, ep, target, token, decode)
		})
		if err == nil {
			return nil
		}
		err = unwrapGone(err)
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			return ErrCircuitOpen
		}
		var se *StatusError
		if as == "" && !renewed && errors.As(err, &se) && se.Status == http.StatusUnauthorized {
			if inv, ok := c.cfg.ServiceTokens.(tokenInvalidator); ok {
				// The service's own token was refused (revoked, or the clocks
				// disagree): fetch a new one and try once more.
				inv.Invalidate(token)
				renewed = true
				continue
			}
		}
		if retry >= c.cfg.MaxRetries || !retryable(err) || ctx.Err() != nil {
			return err
		}
		wait := c.backoff(retry)
		if errors.As(err, &se) && se.RetryAfter > 0 {
			wait = se.RetryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return err // the wait does not fit in the budget: report what we have
		}
		if c.cfg.Sleep(ctx, wait) != nil {
			return err
		}
		c.cfg.Observer.Retry(ctx, ep.Name)
		retry++
	}
}

// attempt makes one HTTP call, holding one of the process's upstream slots.
func (c *Client) attempt(ctx context.Context, ep Endpoint, target, token string,
	decode func(context.Context, []byte) error) error {
	if err := c.slots.Acquire(ctx, 1); err != nil {
		return fmt.Errorf("%w: %w", ErrBusy, err)
	}
	defer c.slots.Release(1)
	actx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
	defer cancel()
	actx, span := c.cfg.Tracer.Start(actx, ep.Method+" "+ep.Path, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", ep.Method),
			attribute.String("url.template", ep.Path),
			attribute.String("server.address", c.host),
			// No path arguments: they may come from a caller's variables.
		))
	defer span.End()
	c.cfg.Observer.InFlight(1)
	start := time.Now()
	status, err := c.do(actx, ep, target, token, decode)
	c.cfg.Observer.InFlight(-1)
	c.cfg.Observer.Attempt(ctx, ep.Name, status, time.Since(start))
	if status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", status))
	}
	if err != nil {
		span.SetStatus(codes.Error, errorKind(err))
	}
	if err != nil && ctx.Err() != nil {
		// The caller gave up (or the budget ran out): not the host's fault.
		return &callerGone{err}
	}
	return err
}

// do makes the HTTP request and hands a 200 body to decode; status is 0 when no
// answer came.
func (c *Client) do(ctx context.Context, ep Endpoint, target, token string,
	decode func(context.Context, []byte) error) (status int, err error) {
	req, err := http.NewRequestWithContext(ctx, ep.Method, target, nil)
	if err != nil {
		return 0, err
	}
	traceContext.Inject(ctx, propagation.HeaderCarrier(req.Header))
	req.Header.Set("x-auth-token", token)
	req.Header.Set("x-client-id", c.cfg.ClientID)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// net/http names the whole URL, ids and slugs included, which may
			// be a caller's variables: logs get the template instead.
			ue.URL = ep.Path
		}
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, c.statusError(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, ep.MaxBody+1))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%w: reading body: %w", ErrMalformed, err)
	}
	if int64(len(body)) > ep.MaxBody {
		return resp.StatusCode, fmt.Errorf("%w: body over %d bytes", ErrMalformed, ep.MaxBody)
	}
	return resp.StatusCode, decode(ctx, body)
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
