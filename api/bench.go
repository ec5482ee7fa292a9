package api

// ContractBench is the namespace of the comparison chaincode yrdbench: a
// blind write and the naive one-row-per-account model, for yrd-bench.
const ContractBench = "bench"

var benchAccess = Access{RoleOperator: ScopeProvince, RoleAuditor: ScopeProvince, RoleAdmin: ScopeProvince}

// The bench contract's operations. They read no configuration: yrdbench has
// none of its own and holds no value.
var (
	BenchPut = define[BenchPutRequest, Empty](Op{Contract: ContractBench, Name: "Put", Mode: Submit,
		Access: benchAccess, Config: ConfigNone, Doc: "writes a value without reading anything (the blind-write floor)"})
	BenchOpen = define[BenchAccount, Empty](Op{Contract: ContractBench, Name: "Open", Mode: Submit,
		Access: benchAccess, Config: ConfigNone, Doc: "opens a naive balance row"})
	BenchTransfer = define[BenchTransferRequest, Empty](Op{Contract: ContractBench, Name: "Transfer", Mode: Submit,
		Access: benchAccess, Config: ConfigNone, Doc: "moves fen between two balance rows (read-modify-write)"})
	BenchBalance = define[BenchAccount, BenchAccount](Op{Contract: ContractBench, Name: "Balance", Mode: Evaluate,
		Access: benchAccess, Config: ConfigNone, Doc: "reads a balance row"})
)

// BenchPutRequest is bench:Put's input.
type BenchPutRequest struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Validate checks syntax.
func (r *BenchPutRequest) Validate() error {
	if err := ValidateID("key", r.Key, MaxPaymentIDLen); err != nil {
		return err
	}
	return ValidateText("value", r.Value, MaxNoteLen, false)
}

// BenchAccount is a naive balance row.
type BenchAccount struct {
	Account   string `json:"account"`
	AmountFen int64  `json:"amountFen"`
}

// Validate checks syntax.
func (r *BenchAccount) Validate() error {
	if err := ValidateID("account", r.Account, MaxIDLen); err != nil {
		return err
	}
	if r.AmountFen < 0 {
		return Errorf(CodeInvalidArgument, "amountFen %d is negative", r.AmountFen)
	}
	return nil
}

// BenchTransferRequest moves fen between two rows.
type BenchTransferRequest struct {
	From      string `json:"from"`
	To        string `json:"to"`
	AmountFen int64  `json:"amountFen"`
}

// Validate checks syntax.
func (r *BenchTransferRequest) Validate() error {
	if err := ValidateID("from", r.From, MaxIDLen); err != nil {
		return err
	}
	if err := ValidateID("to", r.To, MaxIDLen); err != nil {
		return err
	}
	if r.From == r.To {
		return Errorf(CodeInvalidArgument, "from and to are the same account")
	}
	if r.AmountFen <= 0 {
		return Errorf(CodeInvalidArgument, "amountFen %d must be positive", r.AmountFen)
	}
	return nil
}
