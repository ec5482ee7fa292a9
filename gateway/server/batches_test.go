package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateBatch(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnListOutputs, outputsOf(3, "100.00"))
	e.ledger.on(fnTransferBatch, returns(`{"results":[{"paymentId":"p1","status":"SETTLED"},{"paymentId":"p2","error":"INSUFFICIENT_FUNDS: x"}]}`))
	r := e.do("POST", "/v1/payment-batches", `{"items":[
		{"paymentId":"p1","from":"a1","to":"b1","amount":"10"},
		{"paymentId":"p2","from":"a1","to":"c1","amount":"20"}]}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.Len(t, r.json(t)["result"].(map[string]any)["results"], 2)
	items := argJSON(t, e.ledger.callsTo(fnTransferBatch)[0])["items"].([]any)
	require.Len(t, items, 2)
	in0 := items[0].(map[string]any)["inputs"].([]any)
	in1 := items[1].(map[string]any)["inputs"].([]any)
	require.NotEqual(t, in0[0], in1[0], "items of one batch never share an output")
	require.Equal(t, 0, e.srv.selector.Locked())
}

func TestCreateBatchValidation(t *testing.T) {
	var many []string
	for i := range maxBatchItems + 1 {
		many = append(many, fmt.Sprintf(`{"paymentId":"p%d","from":"a","to":"b","amount":"1"}`, i))
	}
	tests := []struct{ name, body, code string }{
		{"empty", `{"items":[]}`, CodeInvalidRequest},
		{"bad item amount", `{"items":[{"paymentId":"p1","from":"a","to":"b","amount":"x"}]}`, CodeInvalidAmount},
		{"repeated id", `{"items":[{"paymentId":"p1","from":"a","to":"b","amount":"1"},{"paymentId":"p1","from":"a","to":"c","amount":"1"}]}`, CodeInvalidRequest},
		{"too large", `{"items":[` + strings.Join(many, ",") + `]}`, "BATCH_TOO_LARGE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.maxBody = 1 << 20
			r := e.do("POST", "/v1/payment-batches", tt.body)
			require.Equal(t, http.StatusBadRequest, r.status, string(r.body))
			require.Equal(t, tt.code, r.code(t))
			require.Empty(t, e.ledger.calls)
		})
	}
}
