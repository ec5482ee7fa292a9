package server

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/ledger"
)

func TestOpenAccount(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnOpenAccount, returns(`{"id":"a1","status":"ACTIVE"}`))
	r := e.do("POST", "/v1/accounts", `{"id":"a1","kind":"retail","tier":"2","customerRef":"cust-77"}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	c := e.ledger.callsTo(fnOpenAccount)[0]
	require.Equal(t, map[string]any{"id": "a1", "kind": "retail", "tier": "2"}, argJSON(t, c))
	require.Equal(t, "cust-77", string(c.transient[transientCustomerRef]), "customer reference only as transient data")

	r = e.do("POST", "/v1/accounts", `{"id":"a1"}`)
	require.Equal(t, http.StatusBadRequest, r.status)
}

func TestAccountReads(t *testing.T) {
	tests := []struct {
		name, path, fn string
		args           []string
		status         int
	}{
		{"get", "/v1/accounts/a1", fnGetAccount, []string{"a1"}, http.StatusOK},
		{"balance", "/v1/accounts/a1/balance", fnGetBalance, []string{"a1"}, http.StatusOK},
		{"outputs default page", "/v1/accounts/a1/outputs", fnListOutputs, []string{"a1", "100", ""}, http.StatusOK},
		{"outputs paged", "/v1/accounts/a1/outputs?pageSize=5&bookmark=Ym0", fnListOutputs, []string{"a1", "5", "bm"}, http.StatusOK},
		{"outputs bad page size", "/v1/accounts/a1/outputs?pageSize=0", "", nil, http.StatusBadRequest},
		{"outputs bad page token", "/v1/accounts/a1/outputs?bookmark=%00x", "", nil, http.StatusBadRequest},
		{"statement", "/v1/accounts/a1/statement?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z&pageSize=10", fnStatement,
			[]string{"a1", "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z", "10", ""}, http.StatusOK},
		{"statement bad time", "/v1/accounts/a1/statement?from=yesterday", "", nil, http.StatusBadRequest},
		{"statement reversed", "/v1/accounts/a1/statement?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z", "", nil, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, fn := range []string{fnGetAccount, fnGetBalance, fnListOutputs, fnStatement} {
				e.ledger.on(fn, returns(`{"ok":true,"bookmark":""}`))
			}
			r := e.do("GET", tt.path, "")
			require.Equal(t, tt.status, r.status, string(r.body))
			if tt.fn == "" {
				require.Empty(t, e.ledger.calls)
				return
			}
			require.Equal(t, tt.args, e.ledger.callsTo(tt.fn)[0].args)
		})
	}
}

// The default window ends now, to the nanosecond: an entry written a moment
// ago (in the current second) is inside it.
func TestStatementDefaultWindowIncludesThisSecond(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnStatement, returns(`{"entries":[],"bookmark":""}`))
	before := time.Now()
	r := e.do("GET", "/v1/accounts/a1/statement", "")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	args := e.ledger.callsTo(fnStatement)[0].args
	from, err := time.Parse(time.RFC3339Nano, args[1])
	require.NoError(t, err)
	to, err := time.Parse(time.RFC3339Nano, args[2])
	require.NoError(t, err)
	require.False(t, to.Before(before), "to %s is before the request began %s", to, before)
	require.Equal(t, 24*time.Hour, to.Sub(from))
}

func TestAccountNotFound(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnGetAccount, fails(ccErr(ledger.CodeNotFound, "account a9")))
	r := e.do("GET", "/v1/accounts/a9", "")
	require.Equal(t, http.StatusNotFound, r.status)
}

func TestAccountStateChanges(t *testing.T) {
	tests := []struct {
		name, path, body, fn string
		want                 map[string]any
		status               int
	}{
		{"freeze", "/v1/accounts/a1/freeze", `{"reason":"court order"}`, fnFreeze, map[string]any{"id": "a1", "reason": "court order"}, http.StatusCreated},
		{"freeze needs reason", "/v1/accounts/a1/freeze", `{}`, "", nil, http.StatusBadRequest},
		{"unfreeze", "/v1/accounts/a1/unfreeze", ``, fnUnfreeze, map[string]any{"id": "a1"}, http.StatusCreated},
		{"close", "/v1/accounts/a1/close", ``, fnCloseAccount, map[string]any{"id": "a1"}, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for _, fn := range []string{fnFreeze, fnUnfreeze, fnCloseAccount} {
				e.ledger.on(fn, returns(`{}`))
			}
			r := e.do("POST", tt.path, tt.body)
			require.Equal(t, tt.status, r.status, string(r.body))
			if tt.fn != "" {
				require.Equal(t, tt.want, argJSON(t, e.ledger.callsTo(tt.fn)[0]))
			}
		})
	}
	t.Run("closed account refuses", func(t *testing.T) {
		e := newEnv(t)
		e.ledger.on(fnFreeze, fails(ccErr(ledger.CodeAccountClosed, "a1 closed")))
		r := e.do("POST", "/v1/accounts/a1/freeze", `{"reason":"x"}`)
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, "ACCOUNT_CLOSED", r.code(t))
	})
}

func TestMerge(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnListOutputs, returns(`{"outputs":[{"id":"o1","amount":"5.00"},{"id":"o2","amount":"1.00"},{"id":"o3","amount":"2.00"}],"bookmark":""}`))
	e.ledger.on(fnMerge, returns(`{"outputId":"o9"}`))
	r := e.do("POST", "/v1/accounts/a1/merge", `{"mergeId":"m1","maxInputs":2}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.Equal(t, map[string]any{"mergeId": "m1", "account": "a1", "inputs": []any{"o2", "o3"}}, argJSON(t, e.ledger.callsTo(fnMerge)[0]))
	require.Equal(t, 0, e.srv.selector.Locked())
}

// Page answers carry the chaincode's bookmark (a ledger key with NUL bytes)
// as an opaque URL-safe token, which the next request hands back.
func TestPageTokens(t *testing.T) {
	for _, path := range []string{"/v1/accounts/a1/outputs", "/v1/accounts/a1/statement"} {
		t.Run(path, func(t *testing.T) {
			e := newEnv(t)
			for _, fn := range []string{fnListOutputs, fnStatement} {
				e.ledger.on(fn, returns("{\"entries\":[],\"bookmark\":\"\\u0000yrd.out\\u0000a1\\u0000o9\\u0000\"}"))
			}
			r := e.do("GET", path, "")
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			var page struct{ Bookmark string }
			require.NoError(t, json.Unmarshal(r.body, &page))
			require.Equal(t, "AHlyZC5vdXQAYTEAbzkA", page.Bookmark)

			r = e.do("GET", path+"?bookmark="+page.Bookmark, "")
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			calls := append(e.ledger.callsTo(fnListOutputs), e.ledger.callsTo(fnStatement)...)
			last := calls[len(calls)-1].args
			require.Equal(t, "\x00yrd.out\x00a1\x00o9\x00", last[len(last)-1])
		})
	}
}
