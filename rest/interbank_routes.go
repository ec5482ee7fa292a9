package rest

var (
	ibAccount   = Param{Name: "account", In: "path", Required: true, Schema: "string", Doc: "a settlement account, BANK:local"}
	ibDate      = Param{Name: "date", In: "path", Required: true, Schema: "string", Doc: "a business date 2006-01-02 (Asia/Shanghai)"}
	ibDateQuery = Param{Name: "date", In: "query", Schema: "string", Doc: "a business date 2006-01-02 (Asia/Shanghai); default today"}
	ibQueueOf   = Param{Name: "account", In: "query", Schema: "string", Doc: "the payer account whose queue to read; without it every bank's queue (issuers and auditors)"}
)

// The routes of interbank settlement.
var (
	SendInterbankTransfer = Route{Name: "sendInterbankTransfer", Method: "POST", Path: "/v1/interbank/transfers", Write: true,
		Body: typ[InterbankTransferRequest](), Result: typ[InterbankTransfer](),
		Summary: "send an interbank transfer: settled gross at once when the payer's balance covers it and nothing of equal or higher priority waits, queued otherwise; remittance details go to the two provinces' private collection first (endorsed by the payer's province only)"}
	GetInterbankTransfer = Route{Name: "getInterbankTransfer", Method: "GET", Path: "/v1/interbank/transfers/{id}", Result: typ[InterbankTransfer](),
		Params: []Param{pathID}, Summary: "read an interbank transfer (the payer's and payee's banks)"}
	CancelInterbankTransfer = Route{Name: "cancelInterbankTransfer", Method: "POST", Path: "/v1/interbank/transfers/{id}/cancel", Write: true,
		Result: typ[InterbankTransfer](), Params: []Param{pathID}, Summary: "cancel a queued or held transfer (the payer's bank)"}
	HoldInterbankTransfer = Route{Name: "holdInterbankTransfer", Method: "POST", Path: "/v1/interbank/transfers/{id}/hold", Write: true,
		Result: typ[InterbankTransfer](), Params: []Param{pathID}, Summary: "hold a queued transfer out of settlement (the payer's bank)"}
	ReleaseInterbankTransfer = Route{Name: "releaseInterbankTransfer", Method: "POST", Path: "/v1/interbank/transfers/{id}/release", Write: true,
		Result: typ[InterbankTransfer](), Params: []Param{pathID}, Summary: "put a held transfer back in the queue at its place (the payer's bank)"}
	ReprioritiseInterbankTransfer = Route{Name: "reprioritiseInterbankTransfer", Method: "POST", Path: "/v1/interbank/transfers/{id}/priority", Write: true,
		Body: typ[PriorityRequest](), Result: typ[InterbankTransfer](), Params: []Param{pathID},
		Summary: "change a queued or held transfer's priority, urgent or normal (the payer's bank)"}
	GetInterbankRemittance = Route{Name: "getInterbankRemittance", Method: "GET", Path: "/v1/interbank/transfers/{id}/remittance", Result: typ[Remittance](),
		Params: []Param{pathID}, Summary: "read a transfer's remittance details from the private collection (the payer's and payee's banks, on a gateway of either province)"}
	ListInterbankQueue = Route{Name: "listInterbankQueue", Method: "GET", Path: "/v1/interbank/queue", Result: typ[InterbankTransferPage](),
		Params: []Param{ibQueueOf, pageSize, bookmark}, Summary: "page through waiting (queued, then held) transfers in queue order"}
	RunInterbankCycle = Route{Name: "runInterbankCycle", Method: "POST", Path: "/v1/interbank/cycles", Result: typ[CycleRun](),
		Summary: "run one liquidity-saving cycle now (issuers): read every waiting transfer and the payers' balances, choose the largest set that settles at once (multilateral), settle it; 200 with the outcome, which may be nothing_to_settle"}
	GetInterbankPosition = Route{Name: "getInterbankPosition", Method: "GET", Path: "/v1/interbank/positions/{account}", Result: typ[BankPosition](),
		Params: []Param{ibAccount, ibDateQuery}, Summary: "a settlement account's position on a business date"}
	GetInterbankStatement = Route{Name: "getInterbankStatement", Method: "GET", Path: "/v1/interbank/statements/{account}", Result: typ[InterbankStatement](),
		Params: []Param{ibAccount, ibDateQuery, pageSize, bookmark}, Summary: "a settlement account's position and one page of its statement entries of a business date"}
	ListInterbankDay = Route{Name: "listInterbankDay", Method: "GET", Path: "/v1/interbank/days/{date}/transfers", Result: typ[InterbankTransferPage](),
		Params: []Param{ibDate, pageSize, bookmark}, Summary: "page through every transfer of a value date the caller may see, whatever its status"}
	ReconcileInterbankDay = Route{Name: "reconcileInterbankDay", Method: "GET", Path: "/v1/interbank/days/{date}/reconciliation", Result: typ[Reconciliation](),
		Params: []Param{ibDate}, Summary: "reconcile a value date over every transfer the caller may see (422 DAY_TOO_LARGE beyond the gateway's limit)"}
	CloseInterbankDay = Route{Name: "closeInterbankDay", Method: "POST", Path: "/v1/interbank/days/{date}/close", Result: typ[DayClose](),
		Params: []Param{ibDate}, Summary: "after a business day's end (issuers): a final cycle, then reject what still waits for the date and fix the day-end balances of its settlement accounts (409 DAY_OPEN before; safe to repeat)"}
	GetInterbankCalendar = Route{Name: "getInterbankCalendar", Method: "GET", Path: "/v1/interbank/calendar", Result: typ[Calendar](),
		Summary: "the business calendar"}
)

func interbankRoutes() []Route {
	return []Route{SendInterbankTransfer, GetInterbankTransfer, CancelInterbankTransfer, HoldInterbankTransfer, ReleaseInterbankTransfer,
		ReprioritiseInterbankTransfer, GetInterbankRemittance, ListInterbankQueue, RunInterbankCycle, GetInterbankPosition,
		GetInterbankStatement, ListInterbankDay, ReconcileInterbankDay, CloseInterbankDay, GetInterbankCalendar}
}
