package benchcc

import (
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
)

// Composite-key object types.
const (
	kvPrefix      = "bench.kv"  // [key] -> value
	balancePrefix = "bench.bal" // [account] -> fen as a decimal string
)

// Contract is the benchmark contract.
type Contract struct {
	dispatch.Contract
}

// New returns the benchmark contract.
func New() *Contract {
	return &Contract{Contract: dispatch.NewContract(api.ContractBench, "YRD benchmark contract (blind write, naive account model)")}
}

// Put writes value under key without reading anything.
func (c *Contract) Put(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.BenchPut, request, func(call *dispatch.Call, r api.BenchPutRequest) (api.Empty, error) {
		k, err := key(call, kvPrefix, r.Key)
		if err != nil {
			return api.Empty{}, err
		}
		if err := call.Stub.PutState(k, []byte(r.Value)); err != nil {
			return api.Empty{}, api.Internal(err, "write %s", r.Key)
		}
		return api.Empty{}, nil
	})
}

// Open creates an account with an opening balance; an account can be opened
// once (ALREADY_EXISTS).
func (c *Contract) Open(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.BenchOpen, request, func(call *dispatch.Call, r api.BenchAccount) (api.Empty, error) {
		k, err := key(call, balancePrefix, r.Account)
		if err != nil {
			return api.Empty{}, err
		}
		old, err := call.Stub.GetState(k)
		if err != nil {
			return api.Empty{}, api.Internal(err, "read %s", r.Account)
		}
		if old != nil {
			return api.Empty{}, api.Errorf(api.CodeAlreadyExists, "account %s", r.Account)
		}
		return api.Empty{}, put(call, k, r.AmountFen)
	})
}

// Transfer moves fen from one account to another, reading and rewriting
// both balance rows (the ERC-20 sample's model).
func (c *Contract) Transfer(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.BenchTransfer, request, func(call *dispatch.Call, r api.BenchTransferRequest) (api.Empty, error) {
		fk, fromBal, err := readBalance(call, r.From, true)
		if err != nil {
			return api.Empty{}, err
		}
		tk, toBal, err := readBalance(call, r.To, true)
		if err != nil {
			return api.Empty{}, err
		}
		newFrom, newTo, err := Move(fromBal, toBal, r.AmountFen)
		if err != nil {
			return api.Empty{}, err
		}
		if err := put(call, fk, newFrom); err != nil {
			return api.Empty{}, err
		}
		return api.Empty{}, put(call, tk, newTo)
	})
}

// Balance returns the account's balance in fen; an account never opened
// has 0 (so that a probe needs no setup).
func (c *Contract) Balance(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return dispatch.Run(ctx, api.BenchBalance, request, func(call *dispatch.Call, r api.BenchAccount) (api.BenchAccount, error) {
		_, v, err := readBalance(call, r.Account, false)
		return api.BenchAccount{Account: r.Account, AmountFen: v}, err
	})
}

func key(call *dispatch.Call, ns, id string) (string, error) {
	k, err := call.Stub.CreateCompositeKey(ns, []string{id})
	if err != nil {
		return "", api.Errorf(api.CodeInvalidArgument, "key %q: %v", id, err)
	}
	return k, nil
}

func put(call *dispatch.Call, k string, fen int64) error {
	if err := call.Stub.PutState(k, []byte(strconv.FormatInt(fen, 10))); err != nil {
		return api.Internal(err, "write balance")
	}
	return nil
}

// readBalance reads a balance row; a missing row is NOT_FOUND when must
// is set, else 0.
func readBalance(call *dispatch.Call, account string, must bool) (string, int64, error) {
	k, err := key(call, balancePrefix, account)
	if err != nil {
		return "", 0, err
	}
	b, err := call.Stub.GetState(k)
	if err != nil {
		return "", 0, api.Internal(err, "read %s", account)
	}
	if b == nil {
		if must {
			return "", 0, api.Errorf(api.CodeNotFound, "account %s", account)
		}
		return k, 0, nil
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return "", 0, api.Internal(err, "balance of %s", account)
	}
	return k, v, nil
}
