package server

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

const payBody = `{"paymentId":"pay-1","from":"a1","to":"b1","amount":"30","purpose":"invoice 7"}`

func outputsOf(n int, amount string) answer {
	s := `{"outputs":[`
	for i := range n {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(`{"id":"o%d","amount":%q}`, i, amount)
	}
	return returns(s + `],"bookmark":""}`)
}

func TestCreatePayment(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnGetPayment, fails(ccErr(ledger.CodeNotFound, "pay-1")))
	e.ledger.on(fnListOutputs, outputsOf(2, "100.00"))
	e.ledger.on(fnTransfer, returns(`{"paymentId":"pay-1","status":"SETTLED"}`))
	r := e.do("POST", "/v1/payments", payBody)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	m := r.json(t)
	require.NotEmpty(t, m["txId"])
	require.Equal(t, "SETTLED", m["result"].(map[string]any)["status"])
	arg := argJSON(t, e.ledger.callsTo(fnTransfer)[0])
	require.Equal(t, "30.00", arg["amount"])
	require.Len(t, arg["inputs"], 1)
	require.Equal(t, "invoice 7", arg["purpose"])
	require.Equal(t, 0, e.srv.selector.Locked(), "locks released after commit")
}

func TestCreatePaymentValidation(t *testing.T) {
	tests := []struct{ name, body, code string }{
		{"no id", `{"from":"a1","to":"b1","amount":"1"}`, CodeInvalidRequest},
		{"same accounts", `{"paymentId":"p","from":"a1","to":"a1","amount":"1"}`, CodeInvalidRequest},
		{"bad amount", `{"paymentId":"p","from":"a1","to":"b1","amount":"1e3"}`, CodeInvalidAmount},
		{"unknown field", `{"paymentId":"p","from":"a1","to":"b1","amount":"1","memo":"x"}`, CodeInvalidRequest},
		{"bad change split", `{"paymentId":"p","from":"a1","to":"b1","amount":"1","changeSplit":-1}`, CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.do("POST", "/v1/payments", tt.body)
			require.Equal(t, http.StatusBadRequest, r.status)
			require.Equal(t, tt.code, r.code(t))
			require.Empty(t, e.ledger.calls, "no Fabric call")
		})
	}
}

func TestRepeatedPayment(t *testing.T) {
	stored := returns(`{"paymentId":"pay-1","from":"a1","to":"b1","amount":"30.00","purpose":"invoice 7","txId":"t1"}`)
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"same body", payBody, http.StatusConflict, "DUPLICATE_PAYMENT"},
		{"same body other amount spelling", `{"paymentId":"pay-1","from":"a1","to":"b1","amount":"30.0","purpose":"invoice 7"}`, http.StatusConflict, "DUPLICATE_PAYMENT"},
		{"different amount", `{"paymentId":"pay-1","from":"a1","to":"b1","amount":"31","purpose":"invoice 7"}`, http.StatusUnprocessableEntity, CodePaymentIDReused},
		{"purpose added", `{"paymentId":"pay-1","from":"a1","to":"b1","amount":"30","purpose":"invoice 8"}`, http.StatusUnprocessableEntity, CodePaymentIDReused},
		{"different payee", `{"paymentId":"pay-1","from":"a1","to":"c1","amount":"30","purpose":"invoice 7"}`, http.StatusUnprocessableEntity, CodePaymentIDReused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.ledger.on(fnGetPayment, stored)
			r := e.do("POST", "/v1/payments", tt.body)
			require.Equal(t, tt.status, r.status, string(r.body))
			require.Equal(t, tt.code, r.code(t))
			require.Equal(t, "t1", r.json(t)["details"].(map[string]any)["payment"].(map[string]any)["txId"], "original payment returned")
			require.Zero(t, e.ledger.submits())
		})
	}
	t.Run("race: chaincode says duplicate", func(t *testing.T) {
		e := newEnv(t)
		lookups := 0
		e.ledger.on(fnGetPayment, func(a []string) ([]byte, error) {
			lookups++
			if lookups == 1 {
				return nil, ccErr(ledger.CodeNotFound, "pay-1")
			}
			return stored(a)
		})
		e.ledger.on(fnListOutputs, outputsOf(1, "100.00"))
		e.ledger.on(fnTransfer, fails(ccErr(ledger.CodeDuplicatePayment, "pay-1")))
		r := e.do("POST", "/v1/payments", payBody)
		require.Equal(t, http.StatusConflict, r.status)
		require.Contains(t, r.json(t)["details"], "payment")
	})
}

func TestPaymentRetriesSelectionOnSpentInput(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnGetPayment, fails(ccErr(ledger.CodeNotFound, "")))
	reads := 0
	e.ledger.on(fnListOutputs, func([]string) ([]byte, error) {
		reads++
		if reads == 1 {
			return []byte(`{"outputs":[{"id":"old","amount":"50.00"}]}`), nil
		}
		return []byte(`{"outputs":[{"id":"new","amount":"50.00"}]}`), nil
	})
	e.ledger.on(fnTransfer, func(args []string) ([]byte, error) {
		if len(e.ledger.callsTo(fnTransfer)) == 1 {
			return nil, ccErr(ledger.CodeInputSpent, "old")
		}
		return []byte(`{}`), nil
	})
	r := e.do("POST", "/v1/payments", payBody)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	calls := e.ledger.callsTo(fnTransfer)
	require.Len(t, calls, 2)
	require.Equal(t, []any{"new"}, argJSON(t, calls[1])["inputs"])
}

func TestPaymentClientChosenInputs(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnGetPayment, fails(ccErr(ledger.CodeNotFound, "")))
	e.ledger.on(fnTransfer, fails(ccErr(ledger.CodeInputNotOwned, "x1")))
	r := e.do("POST", "/v1/payments", `{"paymentId":"p","from":"a1","to":"b1","amount":"1","inputs":["x1"]}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	require.Equal(t, "INPUT_NOT_OWNED", r.code(t))
	require.Empty(t, e.ledger.callsTo(fnListOutputs), "no selection when inputs are given")
}

func TestConcurrentPaymentsUseDistinctOutputs(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnGetPayment, fails(ccErr(ledger.CodeNotFound, "")))
	e.ledger.on(fnListOutputs, outputsOf(20, "10.00"))
	var mu sync.Mutex
	used := map[string]int{}
	e.ledger.on(fnTransfer, returns(`{}`))
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/v1/payments", fmt.Sprintf(`{"paymentId":"p%d","from":"a1","to":"b1","amount":"10"}`, i))
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
		}()
	}
	wg.Wait()
	for _, c := range e.ledger.callsTo(fnTransfer) {
		for _, in := range argJSON(t, c)["inputs"].([]any) {
			mu.Lock()
			used[in.(string)]++
			mu.Unlock()
		}
	}
	for id, n := range used {
		require.Equal(t, 1, n, "output %s spent twice", id)
	}
	require.Len(t, used, 10)
}

func TestGetPayment(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnGetPayment, returns(`{"paymentId":"pay-1"}`))
	r := e.do("GET", "/v1/payments/pay-1", "")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, []string{"pay-1"}, e.ledger.callsTo(fnGetPayment)[0].args)
}

func TestPaymentFundsLocked(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnGetPayment, fails(ccErr(ledger.CodeNotFound, "")))
	e.ledger.on(fnListOutputs, outputsOf(1, "100.00"))
	block := make(chan struct{})
	e.ledger.on(fnTransfer, func([]string) ([]byte, error) { <-block; return []byte(`{}`), nil })
	done := make(chan response)
	go func() { done <- e.do("POST", "/v1/payments", payBody) }()
	require.Eventually(t, func() bool { return e.srv.selector.Locked() == 1 }, time.Second, time.Millisecond)
	r := e.do("POST", "/v1/payments", `{"paymentId":"pay-2","from":"a1","to":"b1","amount":"5"}`)
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	require.Equal(t, CodeFundsLocked, r.code(t))
	require.Equal(t, "1", r.header.Get("Retry-After"))
	close(block)
	require.Equal(t, http.StatusCreated, (<-done).status)
}

func TestReservePool(t *testing.T) {
	tests := []struct {
		name, kind, body, outputs string
		pool                      int
		wantSplit                 any // nil: no changeSplit sent
	}{
		{"reserve with one output refills the pool", "reserve", payBody, "100.00", 4, float64(4)},
		{"customer keeps one change output", "customer", payBody, "100.00", 4, nil},
		{"client's own split wins", "reserve", `{"paymentId":"pay-1","from":"a1","to":"b1","amount":"30","changeSplit":2}`, "100.00", 4, float64(2)},
		{"no change, nothing to split", "reserve", payBody, "30.00", 4, nil},
		{"pooling off", "reserve", payBody, "100.00", 0, nil},
		{"split capped at the chaincode's limit", "reserve", payBody, "100.00", 500, float64(50)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.srv.reservePool = tt.pool
			e.ledger.on(fnGetPayment, fails(ccErr(ledger.CodeNotFound, "pay-1")))
			e.ledger.on(fnGetAccount, returns(`{"id":"a1","kind":"`+tt.kind+`"}`))
			e.ledger.on(fnListOutputs, outputsOf(1, tt.outputs))
			e.ledger.on(fnTransfer, returns(`{"paymentId":"pay-1"}`))
			r := e.do("POST", "/v1/payments", tt.body)
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
			require.Equal(t, tt.wantSplit, argJSON(t, e.ledger.callsTo(fnTransfer)[0])["changeSplit"])
		})
	}
	t.Run("kind read once per account", func(t *testing.T) {
		e := newEnv(t)
		e.srv.reservePool = 4
		e.ledger.on(fnGetPayment, fails(ccErr(ledger.CodeNotFound, "")))
		e.ledger.on(fnGetAccount, returns(`{"id":"a1","kind":"reserve"}`))
		e.ledger.on(fnListOutputs, outputsOf(3, "100.00"))
		e.ledger.on(fnTransfer, returns(`{}`))
		for i := range 2 {
			r := e.do("POST", "/v1/payments", fmt.Sprintf(`{"paymentId":"p%d","from":"a1","to":"b1","amount":"1"}`, i))
			require.Equal(t, http.StatusCreated, r.status, string(r.body))
		}
		require.Len(t, e.ledger.callsTo(fnGetAccount), 1)
		require.Equal(t, float64(2), argJSON(t, e.ledger.callsTo(fnTransfer)[0])["changeSplit"], "two of three outputs left free")
	})
}
