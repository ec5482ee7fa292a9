package ledger

import (
	"errors"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// CodeChaincodeUnavailable: a peer could not run the chaincode because its
// chaincode server (chaincode as a service) is down, restarting or not
// answering. Nothing was endorsed; the same request may succeed once the
// server is back (retryable, 503).
const CodeChaincodeUnavailable Code = "CHAINCODE_UNAVAILABLE"

// What the pinned Fabric (hyperledger/fabric 695dd57e01c2, v2.5) answers when
// a peer cannot reach its chaincode server, traced through its source:
//
//   - The peer's endorser (core/endorser/endorser.go ProcessProposal) turns
//     every failure of the chaincode call into a ProposalResponse with status
//     500, the error's text as message, and no payload; a chaincode's own
//     error answer has a payload.
//   - Launching a CCaaS chaincode dials the server from connection.json
//     (core/chaincode/extcc: "error cannot create connection for CCID: error
//     creating grpc connection to ADDR: failed to create new connection: …");
//     the launcher wraps that as "connection to CCID failed"
//     (core/chaincode/runtime_launcher.go) or, when the dial outlasts the
//     start-up timeout, "timeout expired while starting chaincode CCID for
//     transaction"; ChaincodeSupport.Launch wraps either as "could not launch
//     chaincode CCID: …" (core/chaincode/chaincode_support.go). A refused
//     connection fails the dial at once (grpc.FailOnNonTempDialError).
//   - A server that dies during a call ends it with "chaincode stream
//     terminated" (core/chaincode/handler.go ErrorStreamTerminated); the next
//     call launches again, as above.
//   - The Gateway service (internal/pkg/gateway/apiutils.go responseStatus)
//     maps a 500 without payload to gRPC code Aborted, and every chaincode
//     error answer to "chaincode response NNN, …". Endorse and Evaluate then
//     fail with status Aborted ("failed to endorse transaction, see attached
//     details for more info", "failed to collect enough transaction
//     endorsements, …", "failed to evaluate transaction, …") and one
//     gateway.ErrorDetail {address, mspId, message} per peer that failed.
//
// So the classification rests on structure first: status Aborted, and an
// ErrorDetail that is peer-generated (not a "chaincode response"); the text
// is then only checked for the launch and stream markers above, which are
// constants of Fabric's chaincode support, not free-form messages.
var chaincodeDownMarks = []string{
	"could not launch chaincode",               // chaincode_support.go Launch
	"chaincode stream terminated",              // handler.go ErrorStreamTerminated
	"timeout expired while starting chaincode", // runtime_launcher.go start-up timeout
}

// chaincodeUnavailable reports whether err is an Aborted Gateway status one
// of whose peers could not run the chaincode, and those peers' MSP IDs
// (sorted, unique).
func chaincodeUnavailable(err error) ([]string, bool) {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Aborted {
		return nil, false
	}
	var msps []string
	for _, d := range details(err) {
		m := d.GetMessage()
		if strings.Contains(m, "chaincode response ") {
			continue // the chaincode answered: not an unavailable server
		}
		for _, mark := range chaincodeDownMarks {
			if strings.Contains(m, mark) {
				msps = append(msps, d.GetMspId())
				break
			}
		}
	}
	if len(msps) == 0 {
		return nil, false
	}
	slices.Sort(msps)
	return slices.Compact(msps), true
}

// chaincodeUnavailableMessage is what clients read: which provinces' chaincode
// servers failed, nothing of the peers' addresses or internal errors.
func chaincodeUnavailableMessage(msps []string) string {
	return "the chaincode server of " + strings.Join(msps, ", ") + " is not answering; retry later"
}

// FabricDetail renders what Fabric said about a failure, for operators'
// logs only (it names addresses and package IDs): the gRPC status message
// and each peer's ErrorDetail as "MSP: message". "" when err carries no
// Fabric error.
func FabricDetail(err error) string {
	var e *Error
	if errors.As(err, &e) {
		err = e.Err
	}
	if err == nil {
		return ""
	}
	st, ok := status.FromError(err)
	if !ok {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(st.Message())
	for _, d := range details(err) {
		b.WriteString("; " + d.GetMspId() + ": " + d.GetMessage())
	}
	return b.String()
}
