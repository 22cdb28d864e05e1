// Package graph is the GraphQL schema of the service and its resolvers: the
// .graphqls files (one per domain), gqlgen's generated executable schema, the
// resolvers, and what is specific to them: the loaders the resolvers read
// through, the root lookups the guard caps and the plans prime, and the
// complexity weights. Everything that does not care which field is asked for
// (HTTP, the guard, loaders, persisted queries, telemetry, errors) lives in
// graph's subpackages, which never import this one.
package graph

import (
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

//go:generate go run github.com/99designs/gqlgen generate

// Resolver is the root resolver: it holds the loaders the resolvers read
// through. Each operation gets its own instance of each loader (see
// loader.Scope), carrying its viewer.
type Resolver struct {
	rooms *loader.Kind[string, *upstream.Room]
}

// Fetchers are the upstream calls the loaders make: *upstream.Client's methods,
// possibly wrapped with sharing across requests.
type Fetchers struct {
	Room loader.Fetch[string, *upstream.Room]
}

// NewResolver declares the schema's loaders over f.
func NewResolver(f Fetchers) *Resolver {
	return &Resolver{rooms: loader.Declare(upstream.EndpointRoom, f.Room)}
}
