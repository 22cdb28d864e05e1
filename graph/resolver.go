// Package graph is the GraphQL side of the service: the schema, its resolvers, the
// per-operation room loader, the HTTP transport and how errors are presented.
package graph

import "log/slog"

//go:generate go run github.com/99designs/gqlgen generate

// Resolver is the root resolver: the dependencies every field needs. Room data
// comes through the per-operation loaders (loadersFor), never from here.
type Resolver struct {
	Logger *slog.Logger
}
