package tokencc

// Composite-key object types: the contract's key namespace. Every key the
// token contract writes is a composite key under one of these types; the
// attributes are listed with each.
const (
	nsAccount = "yrd.acct"   // [accountID] -> api.Account
	nsOutput  = "yrd.out"    // [accountID, outputID] -> api.Output (unspent)
	nsSpent   = "yrd.spent"  // [outputID] -> spentMarker (tombstone of a spent output)
	nsPayment = "yrd.pay"    // [paymentID] -> api.Payment
	nsMint    = "yrd.mint"   // [proposalID] -> api.MintRecord
	nsRedeem  = "yrd.redeem" // [proposalID] -> api.Redemption
	nsCeiling = "yrd.ceil"   // [MSP] -> api.Ceiling (quorum policy)
	nsReserve = "yrd.resref" // [MSP, reserveRef] -> proposal ID (a deposit backs one mint)
	nsMerge   = "yrd.merge"  // [mergeID] -> api.MergeRecord
	nsStmt    = "yrd.stmt"   // [accountID, timestamp, txID, seq] -> api.StatementEntry
	nsDaily   = "yrd.daily"  // [accountID, business date YYYY-MM-DD] -> token.DailyOutflow
	nsSupply  = "yrd.supply" // [] -> api.Supply
)

// stmtTimeLayout is fixed-width so that statement keys sort by time.
const stmtTimeLayout = "2006-01-02T15:04:05.000000000Z"

// spentMarker is the tombstone left when an output is spent, so a second
// spend can be told apart from a foreign or unknown output.
type spentMarker struct {
	Account string `json:"account"`
	SpentBy string `json:"spentBy"`
}
