package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/status"

	"github.com/yangtze-delta/settlement/network/testnet"
)

// actor is one user of one province calling the yrd chaincode through the
// Fabric Gateway SDK.
type actor struct {
	p        testnet.Province
	contract *client.Contract
}

func as(t *testing.T, p testnet.Province, user string) *actor {
	t.Helper()
	return &actor{p: p, contract: connect(t, p, user).GetNetwork(channel).GetContract(chaincode)}
}

// commitError is a transaction that was ordered but is not valid.
type commitError struct {
	txID string
	code peer.TxValidationCode
}

func (e *commitError) Error() string { return fmt.Sprintf("transaction %s invalid: %s", e.txID, e.code) }

// submit endorses, orders and waits for the commit of fn with one JSON
// argument. An invalid commit returns a *commitError.
func (a *actor) submit(fn string, req any, opts ...client.ProposalOption) ([]byte, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	opts = append([]client.ProposalOption{client.WithArguments(string(b))}, opts...)
	out, commit, err := a.contract.SubmitAsync(fn, opts...)
	if err != nil {
		return nil, err
	}
	st, err := commit.Status()
	if err != nil {
		return nil, err
	}
	if !st.Successful {
		return nil, &commitError{txID: st.TransactionID, code: st.Code}
	}
	return out, nil
}

func (a *actor) mustSubmit(t *testing.T, fn string, req any, into any, opts ...client.ProposalOption) {
	t.Helper()
	out, err := a.submit(fn, req, opts...)
	require.NoError(t, err, "%s by %s", fn, a.p.Name)
	if into != nil {
		require.NoError(t, json.Unmarshal(out, into))
	}
}

func (a *actor) eval(t *testing.T, into any, fn string, args ...string) {
	t.Helper()
	out, err := a.contract.EvaluateTransaction(fn, args...)
	require.NoError(t, err, "%s by %s", fn, a.p.Name)
	require.NoError(t, json.Unmarshal(out, into))
}

var codeRE = regexp.MustCompile(`\b([A-Z][A-Z_]{3,}): `)

// codeOf returns the chaincode's stable error code carried by an
// endorsement error, or the validation code of an invalid commit.
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	var ce *commitError
	if errors.As(err, &ce) {
		return ce.code.String()
	}
	st, ok := status.FromError(errors.Unwrap(err))
	if !ok {
		st, _ = status.FromError(err)
	}
	msgs := []string{err.Error()}
	if st != nil {
		msgs = append(msgs, st.Message())
		for _, d := range st.Details() {
			if ed, ok := d.(*gateway.ErrorDetail); ok {
				msgs = append(msgs, ed.GetMessage())
			}
		}
	}
	for _, m := range msgs {
		if c := codeRE.FindStringSubmatch(m); c != nil {
			return c[1]
		}
	}
	return ""
}

func requireCode(t *testing.T, want string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, codeOf(err), "error: %v", err)
}
