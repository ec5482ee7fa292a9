package ledger

import (
	"context"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"

	"github.com/yangtze-delta/settlement/api"
)

// Prober is the part of a Ledger that readiness needs: calls pinned to the
// peers of one organisation. A plain Evaluate lets the peer's Gateway
// service fall back to another organisation's peer when its own cannot
// run the chaincode (it retries an evaluation on the next peer after a
// peer-side failure), so a province whose chaincode server is dead still
// answers reads; EvaluateAt does not fall back, which is what a readiness
// probe must see. Implemented by [Fabric] and ledger/inproc; a Ledger
// without it is probed with Evaluate alone.
type Prober interface {
	// EvaluateAt runs a read-only chaincode function on the peers of org
	// only (the Gateway's target organisations), as identity.
	EvaluateAt(ctx context.Context, org, identity, fn string, args ...string) ([]byte, error)
	// HeightAt returns the channel's block height (the number of the next
	// block) on a peer of org, as identity: qscc GetChainInfo evaluated on
	// that organisation only.
	HeightAt(ctx context.Context, org, identity string) (uint64, error)
}

// QueryAt is Query on the peers of org only.
func QueryAt[Req, Resp any](ctx context.Context, p Prober, org, identity string, op api.Operation[Req, Resp], req Req) (Resp, error) {
	var zero Resp
	arg, err := op.Encode(req)
	if err != nil {
		return zero, &Error{Code: CodeInternal, Stage: StageEvaluate, Message: err.Error(), Err: err}
	}
	b, err := p.EvaluateAt(ctx, org, identity, op.Function(), arg)
	if err != nil {
		return zero, err
	}
	resp, err := op.DecodeResponse(b)
	if err != nil {
		return zero, &Error{Code: CodeInternal, Stage: StageEvaluate, Message: err.Error(), Err: err}
	}
	return resp, nil
}

var _ Prober = (*Fabric)(nil)

// qscc is Fabric's query system chaincode; GetChainInfo(channel) answers a
// serialized common.BlockchainInfo. Its ACL (qscc/GetChainInfo) is the
// channel's Readers: any member identity may call it.
const (
	qscc             = "qscc"
	qsccGetChainInfo = "GetChainInfo"
)

// EvaluateAt implements Prober.
func (f *Fabric) EvaluateAt(ctx context.Context, org, id, fn string, args ...string) ([]byte, error) {
	return f.evaluateAt(ctx, org, id, f.chaincode, fn, args...)
}

// HeightAt implements Prober.
func (f *Fabric) HeightAt(ctx context.Context, org, id string) (uint64, error) {
	b, err := f.evaluateAt(ctx, org, id, qscc, qsccGetChainInfo, f.channel)
	if err != nil {
		return 0, err
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(b, &info); err != nil {
		return 0, &Error{Code: CodeInternal, Stage: StageEvaluate, Message: "qscc GetChainInfo answered an undecodable BlockchainInfo", Err: err}
	}
	return info.GetHeight(), nil
}

// evaluateAt evaluates on org's peers only. Probes are not counted in the
// evaluate stage's metrics: they would blur the latency of client reads.
func (f *Fabric) evaluateAt(ctx context.Context, org, id, chaincode, fn string, args ...string) ([]byte, error) {
	if org == "" {
		return nil, &Error{Code: CodeInternal, Stage: StageEvaluate, Message: "no organisation to evaluate on"}
	}
	gw, err := f.gateway(id)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.evaluate)
	defer cancel()
	contract := gw.GetNetwork(f.channel).GetContract(chaincode)
	res, err := contract.EvaluateWithContext(ctx, fn, client.WithArguments(args...), client.WithEndorsingOrganizations(org))
	if err != nil {
		return nil, classify(StageEvaluate, "", err)
	}
	return res, nil
}
