// Package probecc is the probe contract ("probe", served by yrdbench only):
// it runs a script of shim calls (api.ProbeScript) in one transaction and
// reports what each call returned (api.ProbeOutput), so that the stub
// behaviour suite (chaincode/memstub/stubtest) can run the very same calls
// on memstub and on a real peer and compare the answers.
//
// probe:Run is submitted (its writes commit, its reads are validated);
// probe:Eval is evaluated and refuses scripts that write. A failed call is
// reported as failed and the script goes on, so that a script can show
// what the peer refuses. Every key, range end and bookmark lies in the
// probe's key space (api.ProbeSimplePrefix, composite keys of
// api.ProbeObjectType), and the results a script returns are bounded by
// api.MaxProbeResults.
package probecc

import (
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/keypolicy"
)

// Contract is the probe contract.
type Contract struct {
	dispatch.Contract
}

// New returns the probe contract.
func New() *Contract {
	return &Contract{Contract: dispatch.NewContract(api.ContractProbe, "YRD stub probe (runs a script of shim calls for the stub behaviour suite)")}
}

// Run executes a script in a submitted transaction.
func (c *Contract) Run(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.ProbeRun, request, func(call *dispatch.Call, s api.ProbeScript) (api.ProbeOutput, error) {
		return Execute(call.Stub, s), nil
	})
}

// Eval executes a read-only script in an evaluated transaction.
func (c *Contract) Eval(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.ProbeEval, request, func(call *dispatch.Call, s api.ProbeScript) (api.ProbeOutput, error) {
		if !s.ReadOnly() {
			return api.ProbeOutput{}, api.Errorf(api.CodeInvalidArgument, "probe:Eval runs read-only scripts; submit probe:Run to write")
		}
		return Execute(call.Stub, s), nil
	})
}

// Execute runs a validated script on stub and reports every step.
func Execute(stub shim.ChaincodeStubInterface, s api.ProbeScript) api.ProbeOutput {
	out := api.ProbeOutput{TxID: stub.GetTxID(), Results: make([]api.ProbeResult, len(s.Steps))}
	budget := api.MaxProbeResults
	for i, st := range s.Steps {
		r, err := step(stub, st, &budget)
		if err != nil {
			r = api.ProbeResult{Failed: true}
		}
		out.Results[i] = r
	}
	return out
}

func step(stub shim.ChaincodeStubInterface, st api.ProbeStep, budget *int) (api.ProbeResult, error) {
	switch st.Op {
	case api.ProbeGet:
		v, err := stub.GetState(st.Key)
		return api.ProbeResult{Found: len(v) > 0, Value: string(v)}, err
	case api.ProbePut:
		return api.ProbeResult{}, stub.PutState(st.Key, []byte(st.Value))
	case api.ProbeDel:
		return api.ProbeResult{}, stub.DelState(st.Key)
	case api.ProbeGetPolicy:
		ep, err := stub.GetStateValidationParameter(st.Key)
		if err != nil || len(ep) == 0 {
			return api.ProbeResult{}, err
		}
		return api.ProbeResult{Policy: keypolicy.Describe(ep)}, nil
	case api.ProbeSetPolicy:
		set, err := keypolicy.New(st.Orgs, 1, st.Quorum)
		if err != nil {
			return api.ProbeResult{}, err
		}
		return api.ProbeResult{}, stub.SetStateValidationParameter(st.Key, set.Quorum())
	case api.ProbeRange:
		if st.Paged {
			it, md, err := stub.GetStateByRangeWithPagination(st.Key, st.End, st.PageSize, st.Bookmark)
			return page(it, md, err, st.Limit, budget)
		}
		it, err := stub.GetStateByRange(st.Key, st.End)
		return drain(it, err, st.Limit, budget)
	case api.ProbePartial:
		if st.Paged {
			it, md, err := stub.GetStateByPartialCompositeKeyWithPagination(api.ProbeObjectType, st.Attrs, st.PageSize, st.Bookmark)
			return page(it, md, err, st.Limit, budget)
		}
		it, err := stub.GetStateByPartialCompositeKey(api.ProbeObjectType, st.Attrs)
		return drain(it, err, st.Limit, budget)
	case api.ProbeEvent:
		return api.ProbeResult{}, stub.SetEvent(st.Name, []byte(st.Value))
	}
	return api.ProbeResult{}, api.Errorf(api.CodeInvalidArgument, "op %q is not a probe operation", st.Op)
}

func page(it shim.StateQueryIteratorInterface, md *peer.QueryResponseMetadata, err error, limit int, budget *int) (api.ProbeResult, error) {
	r, err := drain(it, err, limit, budget)
	if err != nil {
		return r, err
	}
	r.Bookmark, r.Fetched = md.GetBookmark(), md.GetFetchedRecordsCount()
	return r, nil
}

// drain reads a query's results until the iterator, the step's limit (if
// positive) or the script's budget ends.
func drain(it shim.StateQueryIteratorInterface, err error, limit int, budget *int) (api.ProbeResult, error) {
	if err != nil {
		return api.ProbeResult{}, err
	}
	defer it.Close()
	var r api.ProbeResult
	for it.HasNext() {
		if *budget == 0 || (limit > 0 && len(r.KVs) == limit) {
			r.Truncated = true
			break
		}
		kv, err := it.Next()
		if err != nil {
			return api.ProbeResult{}, err
		}
		*budget--
		r.KVs = append(r.KVs, api.ProbeKV{Key: kv.Key, Value: string(kv.Value)})
	}
	return r, nil
}
