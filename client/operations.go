package client

import (
	"context"
	"encoding/json"
	"reflect"
	"time"

	"github.com/yangtze-delta/settlement/rest"
)

// Operation reads the state of an asynchronous write; only the client that
// started it sees it (others get OPERATION_NOT_FOUND).
func (c *Client) Operation(ctx context.Context, id string) (rest.Operation, error) {
	return read[rest.Operation](ctx, c, request{route: rest.GetOperation, ids: []string{id}})
}

// WaitOperation asks for the operation every poll interval (see
// WithPollInterval) until it is no longer pending, and returns it. Its
// error is the failure to ask, or the context's end (with the operation as
// last seen); an operation that failed is returned without error: read its
// outcome with OperationResult.
func (c *Client) WaitOperation(ctx context.Context, id string) (rest.Operation, error) {
	t := time.NewTicker(c.poll)
	defer t.Stop()
	var last rest.Operation
	for {
		op, err := c.Operation(ctx, id)
		if err != nil {
			return last, err
		}
		if op.Status != rest.OpPending {
			return op, nil
		}
		last = op
		select {
		case <-ctx.Done():
			return last, transportError(ctx, rest.GetOperation.Method, rest.GetOperation.PathFor(id), 0, ctx.Err())
		case <-t.C:
		}
	}
}

// OperationResult is a finished operation's outcome as its synchronous call
// would have answered: the committed result decoded as T (the route's
// result type), or the operation's error as an *Error. An interrupted
// operation (the gateway restarted while it ran) fails with COMMIT_UNKNOWN:
// look the business ID up. A pending operation, or a T that is not the
// operation's route's result type, fails with CodeInvalidArgument.
func OperationResult[T any](op rest.Operation) (rest.Committed[T], error) {
	path := rest.GetOperation.PathFor(op.OperationID)
	method := rest.GetOperation.Method
	if r, ok := routeOf(op.Route); ok && r.Result != reflect.TypeFor[T]() {
		return rest.Committed[T]{}, clientError(CodeInvalidArgument, method, path, nil,
			"operation %s of route %s holds a %v, not a %v", op.OperationID, r.Name, r.Result, reflect.TypeFor[T]())
	}
	switch op.Status {
	case rest.OpCommitted:
		var res rest.Committed[T]
		if err := json.Unmarshal(op.Result, &res); err != nil {
			return res, clientError(CodeBadResponse, method, path, err, "operation %s: result is not a committed %v: %v",
				op.OperationID, reflect.TypeFor[T](), err)
		}
		return res, nil
	case rest.OpFailed:
		if op.Error == nil {
			return rest.Committed[T]{}, clientError(CodeBadResponse, method, path, nil, "operation %s failed without an error", op.OperationID)
		}
		e := fromRESTError(op.Error)
		e.Method, e.Path = method, path
		return rest.Committed[T]{}, e
	case rest.OpInterrupted:
		return rest.Committed[T]{}, &Error{Status: rest.StatusOf(rest.CodeCommitUnknown), Code: rest.CodeCommitUnknown,
			Method: method, Path: path,
			Message: "operation " + op.OperationID + " was interrupted by a gateway restart; it may or may not have committed"}
	case rest.OpPending:
		return rest.Committed[T]{}, clientError(CodeInvalidArgument, method, path, nil, "operation %s is still pending", op.OperationID)
	}
	return rest.Committed[T]{}, clientError(CodeBadResponse, method, path, nil, "operation %s has unknown status %q", op.OperationID, op.Status)
}

// routeOf finds a write route by the name an operation records: the
// route's name, or its "METHOD path" pattern.
func routeOf(name string) (rest.Route, bool) {
	for _, r := range rest.Routes() {
		if r.Write && (r.Name == name || r.Method+" "+r.Path == name) {
			return r, true
		}
	}
	return rest.Route{}, false
}
