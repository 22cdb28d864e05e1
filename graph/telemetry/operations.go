package telemetry

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Operations is a gqlgen extension: a span per operation, and the operation's
// name, errors and data on the request's record.
type Operations struct {
	Tracer trace.Tracer
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = Operations{}

func (Operations) ExtensionName() string                   { return "Observe" }
func (Operations) Validate(graphql.ExecutableSchema) error { return nil }

// serverSpan starts an operation's span.
var serverSpan = trace.WithSpanKind(trace.SpanKindServer)

func (o Operations) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	kind, opName := "query", ""
	if opCtx.Operation != nil {
		kind, opName = string(opCtx.Operation.Operation), opCtx.Operation.Name
	}
	if rec := recordFrom(ctx); rec != nil {
		rec.mu.Lock()
		rec.operation, rec.executed = opName, true
		rec.mu.Unlock()
	}
	if _, off := o.Tracer.(noop.Tracer); off {
		// Tracing is off: a no-op span would only add a context that every
		// lookup below walks through. (InterceptResponse then ends the span
		// the context already has, which records nothing either.)
		return next(ctx)
	}
	// The span ends when the response is written (in InterceptResponse).
	ctx, span := o.Tracer.Start(ctx, kind, serverSpan)
	if span.IsRecording() { // with tracing off, no name or attributes are built for nothing
		span.SetAttributes(attribute.String("graphql.operation.type", kind))
		if opName != "" && wellFormedName(opName) {
			span.SetName(kind + " " + opName)
			span.SetAttributes(attribute.String("graphql.operation.name", opName))
		}
	}
	return next(ctx)
}

func (o Operations) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	span := trace.SpanFromContext(ctx)
	if rec := recordFrom(ctx); rec != nil && resp != nil {
		rec.addErrors(resp.Errors)
		rec.mu.Lock()
		rec.hadData = rec.hadData || (len(resp.Data) > 0 && string(resp.Data) != "null")
		rec.mu.Unlock()
	}
	if resp != nil && len(resp.Errors) > 0 {
		span.SetStatus(codes.Error, "the response has errors")
		span.SetAttributes(attribute.Int("graphql.errors", len(resp.Errors)))
	}
	span.End()
	return resp
}
