package ledger

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestParseChaincodeError(t *testing.T) {
	tests := []struct {
		name, text string
		code       Code
		msg        string
		ok         bool
	}{
		{"plain", "INSUFFICIENT_FUNDS: account a1 has 3.00", CodeInsufficientFunds, "account a1 has 3.00", true},
		{"peer prefix", "chaincode response 500, NOT_FOUND: ping p1", CodeNotFound, "ping p1", true},
		{"unknown code after prefix", "chaincode response 500, NEW_RULE: nope", Code("NEW_RULE"), "nope", true},
		{"unknown code alone", "SOMETHING: else", "", "", false},
		{"grpc text", "rpc error: code = Aborted desc = failed to endorse", "", "", false},
		{"nested", "evaluate call to endorser returned error: chaincode response 500, FORBIDDEN: role operator cannot mint", CodeForbidden, "role operator cannot mint", true},
		{"empty", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg, ok := ParseChaincodeError(tt.text)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.code, code)
			require.Equal(t, tt.msg, msg)
		})
	}
}

func endorseStatus(t *testing.T, detail string) error {
	t.Helper()
	st, err := status.New(codes.Aborted, "failed to endorse transaction, see attached details for more info").
		WithDetails(&gateway.ErrorDetail{Address: "peer0.jiangsu:7051", MspId: "JiangsuMSP", Message: detail})
	require.NoError(t, err)
	return st.Err()
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name  string
		stage Stage
		err   error
		code  Code
		cc    bool
	}{
		{"chaincode code in details", StageEndorse, endorseStatus(t, "chaincode response 500, ACCOUNT_FROZEN: a1 is frozen"), CodeAccountFrozen, true},
		{"wrapped status", StageEndorse, fmt.Errorf("endorse: %w", endorseStatus(t, "chaincode response 500, LIMIT_EXCEEDED: daily")), CodeLimitExceeded, true},
		{"endorse failure without code", StageEndorse, endorseStatus(t, "ProposalResponsePayloads do not match"), CodeEndorseFailed, false},
		{"evaluate message", StageEvaluate, status.Error(codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, NOT_FOUND: x"), CodeNotFound, true},
		{"unavailable", StageSubmit, status.Error(codes.Unavailable, "connection refused"), CodePeerUnavailable, false},
		{"grpc deadline", StageEvaluate, status.Error(codes.DeadlineExceeded, "deadline"), CodeTimeout, false},
		{"context deadline", StageEndorse, context.DeadlineExceeded, CodeTimeout, false},
		{"canceled", StageEndorse, context.Canceled, CodeCanceled, false},
		{"submit aborted", StageSubmit, status.Error(codes.Aborted, "no Raft leader"), CodeSubmitFailed, false},
		// The pinned peer's words, right after its restart (fault suite, province fault).
		{"no endorsers known yet", StageEndorse, status.Error(codes.FailedPrecondition,
			"no combination of peers can be derived which satisfy the endorsement policy: no peer combination can satisfy the endorsement policy"), CodePeerUnavailable, false},
		{"private data needs other endorsers", StageEndorse, status.Error(codes.FailedPrecondition,
			"requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [c]; retry specifying trusted endorsing organizations to protect transient data"), CodeEndorseFailed, false},
		{"commit mvcc", StageCommit, &client.CommitError{TransactionID: "t1", Code: peer.TxValidationCode_MVCC_READ_CONFLICT}, CodeConflict, false},
		{"commit endorsement policy", StageCommit, &client.CommitError{TransactionID: "t1", Code: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}, CodeTxInvalid, false},
		{"other", StageEvaluate, errors.New("boom"), CodeChaincodeError, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classify(tt.stage, "", tt.err)
			require.Equal(t, tt.code, e.Code, e.Error())
			require.Equal(t, tt.cc, e.FromChaincode)
			require.ErrorIs(t, e, tt.err)
			require.Equal(t, tt.code, CodeOf(fmt.Errorf("wrapped: %w", e)))
		})
	}
}

func TestRetryableEndorse(t *testing.T) {
	require.True(t, retryableEndorse(classify(StageEndorse, "", endorseStatus(t, "ProposalResponsePayloads do not match")), ""))
	require.False(t, retryableEndorse(classify(StageEndorse, "", endorseStatus(t, "chaincode response 500, INPUT_SPENT: o1")), ""))
}

func detailMsg(m string) *gateway.ErrorDetail {
	return &gateway.ErrorDetail{Address: "peer0:7051", MspId: "ShanghaiMSP", Message: m}
}
