// Package upstream is a small client for the Quran Foundation's Quran Reflect REST
// API: it knows the URLs, the two auth headers, the service's own OAuth2 token
// (tokens.go), the JSON of each endpoint with its oddities, and how the upstream
// reports errors. It knows nothing of GraphQL.
//
// Every endpoint takes one call path (call.go): the budget, the token (the
// caller's UserToken, else the service's own), the process-wide cap on calls in
// flight, one circuit breaker for the host, retries with backoff (resilience.go;
// a write only when the upstream certainly did not run it), a span and metrics
// per attempt, and the gateway's error envelope. An endpoint is an Endpoint
// descriptor and a one-line public method over that path, in the file of its API
// area (rooms.go, roomlists.go, users.go, posts.go, comments.go, feed.go,
// tags.go, postwrites.go, commentwrites.go), next to its wire types and
// decoding, so that adding one touches nothing the others share. A write's
// refusal is the upstream's error as it came, with the endpoint's Refusal
// saying for a person what a 400 means; whether a refused write was already
// so is for the caller to read from the state, never from the wording.
// Lists page by number (list.go): each item is decoded on its own, so one that
// cannot be read costs only itself. Methods check their ids, slugs and pages
// (ids.go) before calling, so that nothing a caller sends can change the path.
// Every error a public method returns is an *Error naming the endpoint and what
// was asked for.
//
// The Content API (content.go: the Quran's text, its translations, its
// chapters) has a client of its own, Content, over the same call path: it
// carries only the service's token for scope content (its methods take no
// UserToken, so a user's token cannot reach it), and has its own circuit
// breaker and limit. The Quran's fixed shape (quran.go) checks verse keys
// before any call.
package upstream
