//go:build tools

// Package tools pins the gqlgen code generator in go.mod, so that
// `go generate ./...` runs the same version everywhere.
package tools

import _ "github.com/99designs/gqlgen"
