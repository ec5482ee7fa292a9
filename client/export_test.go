package client

import (
	"context"

	"github.com/yangtze-delta/settlement/rest"
)

// ExportDo sends a CSV body on any route (for tests of the refusal).
func ExportDo(c *Client, ctx context.Context, route rest.Route, ids []string, csv []byte) ([]byte, error) {
	return c.do(ctx, request{route: route, ids: ids, raw: csv, contentType: "text/csv"})
}
