package upstream

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
)

// Reading the upstream's answers: a 200 body within its endpoint's bound, and
// a refusal's error envelope, for the log only.

// maxErrorBody bounds what is read of a non-200 answer: it is read only for a
// message.
const maxErrorBody = 8 << 10

// readBody reads at most limit+1 bytes of an answer: into one buffer of the size
// its Content-Length announces, when that is within the limit and small (net/http
// reads no further than it); else into a buffer that starts at 4 KiB, which holds
// a room or a user whole (io.ReadAll would start at 512 bytes and grow four
// times), and grows only with what arrives, so an upstream that announces
// megabytes and stalls costs no more than it sent.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= min(limit, exactBodyMax) {
		b := make([]byte, n)
		_, err := io.ReadFull(resp.Body, b)
		return b, err
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(4<<10, limit+1)))
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	return buf.Bytes(), err
}

// exactBodyMax is the largest announced length readBody trusts enough to
// allocate before the bytes arrive.
const exactBodyMax = 64 << 10

// statusError reads the gateway's error envelope, if the body is one, for the log.
// The body itself never leaves this function.
func (c *Client) statusError(resp *http.Response) error {
	e := &StatusError{
		Status:     resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var env struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Details json.RawMessage `json:"details"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Type = truncate(env.Type, 64)
		e.Message = truncate(envelopeMessage(env.Message, env.Details), 200)
	}
	return e
}

// envelopeMessage is the gateway's message followed, in parentheses, by what
// the upstream's own body nested under "details" adds: its message, its error
// code and message, and the fields a validation error names, such as
// "Validation Error (ValidationError; limit: MAX)". Anything of another shape
// is left out.
func envelopeMessage(message string, details json.RawMessage) string {
	var d map[string]any
	if len(details) == 0 || json.Unmarshal(details, &d) != nil {
		return message
	}
	var parts []string
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" && s != message && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	add(d["message"])
	add(d["code"])
	switch inner := d["error"].(type) {
	case string:
		add(inner)
	case map[string]any:
		add(inner["code"])
		add(inner["message"])
		if fields, ok := inner["details"].(map[string]any); ok {
			names := make([]string, 0, len(fields))
			for name := range fields {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				if v, ok := fields[name].(string); ok {
					add(name + ": " + v)
				}
			}
		}
	}
	switch {
	case len(parts) == 0:
		return message
	case message == "":
		return strings.Join(parts, "; ")
	}
	return message + " (" + strings.Join(parts, "; ") + ")"
}
