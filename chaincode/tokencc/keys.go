package tokencc

// Composite-key object types: the contract's key namespace. Every key the
// token contract writes is a composite key under one of these types; the
// attributes are listed with each.
const (
	nsAccount = "yrd.acct"   // [accountID] -> token.Account
	nsOutput  = "yrd.out"    // [accountID, outputID] -> token.Output (unspent)
	nsSpent   = "yrd.spent"  // [outputID] -> spentMarker (tombstone of a spent output)
	nsPayment = "yrd.pay"    // [paymentID] -> token.Payment
	nsMint    = "yrd.mint"   // [mintID] -> token.Mint
	nsRedeem  = "yrd.redeem" // [redeemID] -> token.Redemption
	nsMerge   = "yrd.merge"  // [mergeID] -> token.Merge
	nsStmt    = "yrd.stmt"   // [accountID, timestamp, txID, seq] -> token.StatementEntry
	nsDaily   = "yrd.daily"  // [accountID, YYYY-MM-DD] -> token.DailyOutflow
	nsSupply  = "yrd.supply" // [] -> token.Supply
)

// stmtTimeLayout is fixed-width so that statement keys sort by time.
const stmtTimeLayout = "2006-01-02T15:04:05.000000000Z"

// spentMarker is the tombstone left when an output is spent, so a second
// spend can be told apart from a foreign or unknown output.
type spentMarker struct {
	Account string `json:"account"`
	SpentBy string `json:"spentBy"`
}
