package rest

var (
	pathNo       = Param{Name: "no", In: "path", Required: true, Schema: "integer", Doc: "the tranche number, 1 to 999"}
	pathJob      = Param{Name: "job", In: "path", Required: true, Schema: "string", Doc: "the job ID, BUREAU:local with the owner bureau's code"}
	pathClawback = Param{Name: "clawback", In: "path", Required: true, Schema: "string", Doc: "the clawback ID, BUREAU:local"}
	pathAccount  = Param{Name: "account", In: "path", Required: true, Schema: "string"}
)

// The routes of directional appropriation.
var (
	DefineProgramme  = Route{Name: "defineProgramme", Method: "POST", Path: "/v1/programmes", Write: true, Body: typ[ProgrammeRequest](), Result: typ[Programme](), Summary: "define an earmarked programme (the maker's approval counts)"}
	GetProgramme     = Route{Name: "getProgramme", Method: "GET", Path: "/v1/programmes/{id}", Result: typ[Programme](), Params: []Param{pathID}, Summary: "read a programme, its approvals and tranches"}
	ApproveProgramme = Route{Name: "approveProgramme", Method: "POST", Path: "/v1/programmes/{id}/approve", Write: true, Result: typ[Programme](), Params: []Param{pathID}, Summary: "approve a programme (the owner bureau's checker, each funding bureau); the last approval activates it"}

	ProposeTranche = Route{Name: "proposeTranche", Method: "POST", Path: "/v1/programmes/{id}/tranches", Write: true, Body: typ[TrancheRequest](), Result: typ[Tranche](), Params: []Param{pathID}, Summary: "propose a funding tranche of an active programme"}
	GetTranche     = Route{Name: "getTranche", Method: "GET", Path: "/v1/programmes/{id}/tranches/{no}", Result: typ[Tranche](), Params: []Param{pathID, pathNo}, Summary: "read a tranche, its approvals, contributions and each funder's share"}
	ApproveTranche = Route{Name: "approveTranche", Method: "POST", Path: "/v1/programmes/{id}/tranches/{no}/approve", Write: true, Result: typ[Tranche](), Params: []Param{pathID, pathNo}, Summary: "approve a tranche"}
	FundTranche    = Route{Name: "fundTranche", Method: "POST", Path: "/v1/programmes/{id}/tranches/{no}/fund", Write: true, Body: typ[FundRequest](), Result: typ[Tranche](), Params: []Param{pathID, pathNo}, Summary: "pay the caller's bureau's share of an approved tranche into the escrow (the body is optional)"}

	PutDisbursement = Route{Name: "putDisbursement", Method: "PUT", Path: "/v1/programmes/{id}/disbursements/{job}", Accepted: true, CSV: true,
		Body: typ[DisbursementRequest](), Result: typ[DisbursementJob](), Params: []Param{pathID, pathJob},
		Summary: "start a disbursement job of up to 100,000 lines (JSON, or text/csv rows recipient,amount with an optional header; a CSV line number is its row number); settled in batches of up to 500, each (job, line) paid at most once; the same job again answers the existing job (200), a different body 422 JOB_ID_REUSED"}
	GetDisbursement = Route{Name: "getDisbursement", Method: "GET", Path: "/v1/programmes/{id}/disbursements/{job}", Result: typ[DisbursementJob](), Params: []Param{pathID, pathJob}, Summary: "a disbursement job's progress"}
	ListJobLines    = Route{Name: "listJobLines", Method: "GET", Path: "/v1/programmes/{id}/disbursements/{job}/lines", Result: typ[JobLinePage](), Params: []Param{pathID, pathJob, {Name: "status", In: "query", Schema: "string", Doc: "only lines of this status: pending, paid, already_paid, rejected"}, pageSize, bookmark}, Summary: "page through a disbursement job's lines and their outcomes"}
	CreateSpend     = Route{Name: "createSpend", Method: "POST", Path: "/v1/programmes/{id}/spends", Write: true, Body: typ[SpendRequest](), Result: typ[Payment](), Params: []Param{pathID}, Summary: "pay with the payer's funds earmarked for the programme, under its rules"}
	GetUtilisation  = Route{Name: "getUtilisation", Method: "GET", Path: "/v1/programmes/{id}/utilisation", Result: typ[Utilisation](), Params: []Param{pathID, {Name: "by", In: "query", Schema: "string", Doc: "total (default), tranche, province or recipient"}, pageSize, bookmark}, Summary: "a programme's utilisation over all its flows, with the identity check"}
	GetLineage      = Route{Name: "getLineage", Method: "GET", Path: "/v1/programmes/{id}/lineage", Result: typ[Lineage](), Params: []Param{pathID, {Name: "account", In: "query", Required: true, Schema: "string"}, {Name: "output", In: "query", Required: true, Schema: "string"}}, Summary: "trace an earmarked output back to its disbursement"}
	ListHoldings    = Route{Name: "listHoldings", Method: "GET", Path: "/v1/programmes/{id}/holdings/{account}", Result: typ[OutputPage](), Params: []Param{pathID, pathAccount, pageSize, bookmark}, Summary: "page through an account's unspent outputs earmarked for the programme (a page may hold fewer than pageSize: the account's other outputs are skipped)"}
	GetClawback     = Route{Name: "getClawback", Method: "GET", Path: "/v1/programmes/{id}/clawbacks/{clawback}", Result: typ[Clawback](), Params: []Param{pathID, pathClawback}, Summary: "read a clawback and its approvals (the owner bureau, the compliance of the holder's province, auditors)"}
	ProposeClawback = Route{Name: "proposeClawback", Method: "POST", Path: "/v1/programmes/{id}/clawbacks", Write: true, Body: typ[ClawbackRequest](), Result: typ[Clawback](), Params: []Param{pathID}, Summary: "propose to claw a holder's earmarked funds back before expiry"}
	ApproveClawback = Route{Name: "approveClawback", Method: "POST", Path: "/v1/programmes/{id}/clawbacks/{clawback}/approve", Write: true, Result: typ[Clawback](), Params: []Param{pathID, pathClawback}, Summary: "approve a clawback (the compliance of the holder's province)"}
	ExecuteClawback = Route{Name: "executeClawback", Method: "POST", Path: "/v1/programmes/{id}/clawbacks/{clawback}/execute", Write: true, Body: typ[ClawbackExecuteRequest](), Result: typ[ReturnReport](), Params: []Param{pathID, pathClawback}, Summary: "return an approved clawback's funds to the funders pro rata, run after run (at most 100 outputs each) until the holder has none left and the clawback closes; the body is optional; safe to repeat"}
	SweepProgramme  = Route{Name: "sweepProgramme", Method: "POST", Path: "/v1/programmes/{id}/sweeps", Write: true, Body: typ[SweepRequest](), Result: typ[ReturnReport](), Params: []Param{pathID}, Summary: "after expiry, return the earmarked funds of the escrow and the holders to the funders pro rata (safe to repeat; use ?async=true for many holders)"}
)

func programmeRoutes() []Route {
	return []Route{DefineProgramme, GetProgramme, ApproveProgramme, ProposeTranche, GetTranche, ApproveTranche, FundTranche,
		PutDisbursement, GetDisbursement, ListJobLines, CreateSpend, GetUtilisation, GetLineage, ListHoldings,
		ProposeClawback, GetClawback, ApproveClawback, ExecuteClawback, SweepProgramme}
}
