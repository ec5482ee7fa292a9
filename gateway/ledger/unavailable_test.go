package ledger

import (
	"errors"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

func TestChaincodeUnavailable(t *testing.T) {
	detail := func(msp, msg string) protoadapt.MessageV1 {
		return &gateway.ErrorDetail{Address: "peer0." + msp + ":7051", MspId: msp, Message: msg}
	}
	aborted := func(msg string, ds ...protoadapt.MessageV1) error {
		st, err := status.New(codes.Aborted, msg).WithDetails(ds...)
		require.NoError(t, err)
		return st.Err()
	}
	const endorse = "failed to endorse transaction, see attached details for more info"
	const collect = "failed to collect enough transaction endorsements, see attached details for more info"
	tests := []struct {
		name  string
		stage Stage
		err   error
		code  Code
		msps  []string
	}{
		{"own server refuses connections", StageEndorse, aborted(endorse, detail("ShanghaiMSP", launchFailure)),
			CodeChaincodeUnavailable, []string{"ShanghaiMSP"}},
		{"server died during the call", StageEndorse, aborted(endorse, detail("ShanghaiMSP",
			"error in simulation: failed to execute transaction 77: error sending: chaincode stream terminated")),
			CodeChaincodeUnavailable, []string{"ShanghaiMSP"}},
		{"server too slow to start", StageEvaluate, aborted("failed to evaluate transaction, see attached details for more info",
			detail("JiangsuMSP", "error in simulation: failed to execute transaction 9: could not launch chaincode yrd_1:ab: "+
				"timeout expired while starting chaincode yrd_1:ab for transaction")),
			CodeChaincodeUnavailable, []string{"JiangsuMSP"}},
		{"two provinces down, MAJORITY not reached", StageEndorse, aborted(collect,
			detail("ZhejiangMSP", launchFailure), detail("JiangsuMSP", launchFailure), detail("ZhejiangMSP", launchFailure)),
			CodeChaincodeUnavailable, []string{"JiangsuMSP", "ZhejiangMSP"}},
		{"the chaincode's own answer is not an unavailable server", StageEndorse, aborted(endorse,
			detail("ShanghaiMSP", "chaincode response 500, could not launch chaincode is what it said")),
			CodeEndorseFailed, nil},
		{"a chaincode code wins", StageEndorse, aborted(collect,
			detail("ShanghaiMSP", "chaincode response 500, INSUFFICIENT_FUNDS: a1 has 3.00"), detail("JiangsuMSP", launchFailure)),
			CodeInsufficientFunds, nil},
		{"payload mismatch stays an endorsement failure", StageEndorse, aborted("ProposalResponsePayloads do not match"),
			CodeEndorseFailed, nil},
		{"unreachable peer", StageEndorse, status.Error(codes.Unavailable, "connection refused"), CodePeerUnavailable, nil},
		{"not Aborted", StageEvaluate, status.Error(codes.FailedPrecondition, "could not launch chaincode"), CodeChaincodeError, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := classify(tt.stage, "", tt.err)
			require.Equal(t, tt.code, e.Code, e.Error())
			msps, ok := chaincodeUnavailable(tt.err)
			if tt.msps != nil {
				require.True(t, ok)
				require.Equal(t, tt.msps, msps)
				require.Equal(t, chaincodeUnavailableMessage(tt.msps), e.Message)
				require.False(t, retryableEndorse(e, "ShanghaiMSP"), "answered at once: the client retries after Retry-After")
			}
		})
	}
}

func TestFabricDetail(t *testing.T) {
	st, err := status.New(codes.Aborted, "failed to endorse transaction, see attached details for more info").
		WithDetails(&gateway.ErrorDetail{Address: "peer0:7051", MspId: "ShanghaiMSP", Message: launchFailure})
	require.NoError(t, err)
	e := classify(StageEndorse, "", st.Err())
	require.Equal(t, "failed to endorse transaction, see attached details for more info; ShanghaiMSP: "+launchFailure, FabricDetail(e))
	require.Equal(t, "", FabricDetail(&Error{Code: CodeInternal}))
	require.Equal(t, "plain", FabricDetail(&Error{Err: errors.New("plain")}))
}
