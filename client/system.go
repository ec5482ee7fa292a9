package client

import (
	"context"
	"encoding/json"

	"github.com/yangtze-delta/settlement/rest"
)

// Health reports that the gateway process is alive (GET /healthz, public).
func (c *Client) Health(ctx context.Context) (rest.Health, error) {
	return read[rest.Health](ctx, c, request{route: rest.Healthz})
}

// Ready reports that the gateway's peer and chaincode answer (GET /readyz,
// public); a gateway that is not ready answers NOT_READY or SHUTTING_DOWN.
func (c *Client) Ready(ctx context.Context) (rest.Health, error) {
	return read[rest.Health](ctx, c, request{route: rest.Readyz})
}

// OpenAPI returns the gateway's OpenAPI document (GET /openapi.json,
// public), checked to be JSON.
func (c *Client) OpenAPI(ctx context.Context) (json.RawMessage, error) {
	r := request{route: rest.OpenAPIDoc}
	b, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, clientError(CodeBadResponse, r.route.Method, r.route.Path, nil, "the API document is not JSON")
	}
	return json.RawMessage(b), nil
}

// WhoAmI reports the caller as the chaincode sees its ledger identity.
func (c *Client) WhoAmI(ctx context.Context) (rest.WhoAmI, error) {
	return read[rest.WhoAmI](ctx, c, request{route: rest.GetWhoAmI})
}

// Network reports what the gateway is connected to.
func (c *Client) Network(ctx context.Context) (rest.Network, error) {
	return read[rest.Network](ctx, c, request{route: rest.GetNetwork})
}

// Ping writes a ping record and answers after its commit: an end-to-end
// check of the write path.
func (c *Client) Ping(ctx context.Context, req rest.PingRequest) (rest.Committed[rest.Ping], error) {
	return write[rest.Ping](ctx, c, request{route: rest.CreatePing, body: req})
}

// PingAsync is Ping answered at once (202); see WaitOperation.
func (c *Client) PingAsync(ctx context.Context, req rest.PingRequest) (rest.Accepted, error) {
	return writeAsync(ctx, c, request{route: rest.CreatePing, body: req})
}

// GetPing reads a ping record of the caller's province.
func (c *Client) GetPing(ctx context.Context, id string) (rest.Ping, error) {
	return read[rest.Ping](ctx, c, request{route: rest.GetPing, ids: []string{id}})
}
