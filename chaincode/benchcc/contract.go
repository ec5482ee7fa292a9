package benchcc

import (
	"fmt"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// Name is the contract's namespace: functions are called as "bench:Fn".
const Name = "bench"

// Composite-key object types.
const (
	kvPrefix      = "bench.kv"
	balancePrefix = "bench.bal"
)

// Contract is the benchmark contract.
type Contract struct {
	contractapi.Contract
}

// New returns the benchmark contract.
func New() *Contract {
	c := &Contract{}
	c.Name = Name
	c.Info.Title = "YRD benchmark contract (blind write, naive account model)"
	return c
}

// Put writes value under key without reading anything.
func (c *Contract) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	k, err := ctx.GetStub().CreateCompositeKey(kvPrefix, []string{key})
	if err != nil {
		return fmt.Errorf("%w: key %q: %v", ErrInvalidArgument, key, err)
	}
	return ctx.GetStub().PutState(k, []byte(value))
}

// Open creates account with amountFen; an account can be opened once.
func (c *Contract) Open(ctx contractapi.TransactionContextInterface, account string, amountFen int64) error {
	if amountFen < 0 {
		return fmt.Errorf("%w: opening balance %d fen is negative", ErrInvalidArgument, amountFen)
	}
	k, err := balanceKey(ctx, account)
	if err != nil {
		return err
	}
	old, err := ctx.GetStub().GetState(k)
	if err != nil {
		return fmt.Errorf("read %s: %w", account, err)
	}
	if old != nil {
		return fmt.Errorf("ALREADY_EXISTS: account %s", account)
	}
	return ctx.GetStub().PutState(k, []byte(strconv.FormatInt(amountFen, 10)))
}

// Transfer moves amountFen from one account to another, reading and
// rewriting both balance rows (the ERC-20 sample's model).
func (c *Contract) Transfer(ctx contractapi.TransactionContextInterface, from, to string, amountFen int64) error {
	if from == to {
		return fmt.Errorf("%w: from and to are the same account", ErrInvalidArgument)
	}
	fk, fromBal, err := readBalance(ctx, from)
	if err != nil {
		return err
	}
	tk, toBal, err := readBalance(ctx, to)
	if err != nil {
		return err
	}
	newFrom, newTo, err := Move(fromBal, toBal, amountFen)
	if err != nil {
		return err
	}
	if err := ctx.GetStub().PutState(fk, []byte(strconv.FormatInt(newFrom, 10))); err != nil {
		return fmt.Errorf("write %s: %w", from, err)
	}
	if err := ctx.GetStub().PutState(tk, []byte(strconv.FormatInt(newTo, 10))); err != nil {
		return fmt.Errorf("write %s: %w", to, err)
	}
	return nil
}

// Balance returns the account's balance in fen; an account never opened
// has 0 (so that a probe needs no setup).
func (c *Contract) Balance(ctx contractapi.TransactionContextInterface, account string) (int64, error) {
	k, err := balanceKey(ctx, account)
	if err != nil {
		return 0, err
	}
	b, err := ctx.GetStub().GetState(k)
	if err != nil || b == nil {
		return 0, err
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("INTERNAL: balance of %s: %w", account, err)
	}
	return v, nil
}

// GetEvaluateTransactions declares the read-only functions.
func (c *Contract) GetEvaluateTransactions() []string { return []string{"Balance"} }

func balanceKey(ctx contractapi.TransactionContextInterface, account string) (string, error) {
	if account == "" {
		return "", fmt.Errorf("%w: account is empty", ErrInvalidArgument)
	}
	k, err := ctx.GetStub().CreateCompositeKey(balancePrefix, []string{account})
	if err != nil {
		return "", fmt.Errorf("%w: account %q: %v", ErrInvalidArgument, account, err)
	}
	return k, nil
}

func readBalance(ctx contractapi.TransactionContextInterface, account string) (string, int64, error) {
	k, err := balanceKey(ctx, account)
	if err != nil {
		return "", 0, err
	}
	b, err := ctx.GetStub().GetState(k)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", account, err)
	}
	if b == nil {
		return "", 0, fmt.Errorf("NOT_FOUND: account %s", account)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("INTERNAL: balance of %s: %w", account, err)
	}
	return k, v, nil
}
