package programmecc

import (
	"encoding/json"
	"strings"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/appropriation"
	"github.com/yangtze-delta/settlement/chaincode/dispatch"
	"github.com/yangtze-delta/settlement/chaincode/tokencc"
)

// Utilisation aggregates one page of a programme's flow records: the
// page's total and its rows by the grouping asked for (appropriation.Tally:
// rows by province and recipient are holders' rows). The flows are per
// transaction (no counter that every disbursement or spend rewrites); a
// caller adds the pages' totals and rows to get the programme's
// utilisation at the block it read.
func (c *Contract) Utilisation(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Utilisation, request, func(c call, r api.UtilisationRequest) (api.UtilisationPage, error) {
		var none api.UtilisationPage
		p, _, err := c.programme(r.Programme)
		if err != nil {
			return none, err
		}
		if err := c.visible(p); err != nil {
			return none, err
		}
		prefix, err := c.st.Key(tokencc.NSFlow, p.ID)
		if err != nil {
			return none, err
		}
		if r.Bookmark != "" && !strings.HasPrefix(r.Bookmark, prefix) {
			return none, api.Errorf(api.CodeInvalidArgument, "bookmark is outside programme %s", p.ID)
		}
		it, md, err := c.Stub.GetStateByPartialCompositeKeyWithPagination(tokencc.NSFlow, []string{p.ID}, int32(api.PageSize(r.PageSize)), r.Bookmark)
		if err != nil {
			return none, api.Errorf(api.CodeInvalidArgument, "query flows: %v", err)
		}
		defer it.Close()
		var flows []api.Flow
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return none, api.Internal(err, "query flows")
			}
			var f api.Flow
			if err := json.Unmarshal(kv.Value, &f); err != nil {
				return none, api.Internal(err, "decode flow")
			}
			if f.Programme != p.ID {
				return none, api.Errorf(api.CodeInvalidArgument, "bookmark is outside programme %s", p.ID)
			}
			flows = append(flows, f)
		}
		rows := appropriation.Tally(flows, r.By)
		if rows == nil {
			rows = []api.Usage{}
		}
		return api.UtilisationPage{Budget: p.Budget, Total: appropriation.Total(flows), Rows: rows, Flows: len(flows), Bookmark: md.GetBookmark()}, nil
	})
}

// maxHops bounds a lineage walk.
const maxHops = 64

// Lineage walks an earmarked output back to its disbursement: the flow of
// the transaction that created it, then the flow that created that flow's
// first input, and so on.
func (c *Contract) Lineage(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Lineage, request, func(c call, r api.LineageRequest) (api.LineageView, error) {
		var none api.LineageView
		acct, err := c.st.Account(r.Account)
		if err != nil {
			return none, err
		}
		k, err := c.st.Key(tokencc.NSOutput, acct.ID, r.Output)
		if err != nil {
			return none, err
		}
		var o api.Output
		ok, err := c.st.GetJSON(k, &o)
		if err != nil {
			return none, err
		}
		if !ok || o.Earmark == nil {
			return none, api.Errorf(api.CodeNotFound, "earmarked unspent output %s of %s", r.Output, acct.ID)
		}
		p, _, err := c.programme(o.Earmark.Programme)
		if err != nil {
			return none, err
		}
		if err := c.visible(p); err != nil && c.Covers("account "+acct.ID, ownerOf(acct)) != nil {
			return none, api.Errorf(api.CodeNotFound, "earmarked unspent output %s of %s", r.Output, acct.ID)
		}
		v := api.LineageView{Output: o, Programme: p.ID, Tranche: o.Earmark.Tranche, Hops: []api.Flow{}, TxIDs: []string{}}
		want := o.ID
		for hop := 0; hop < maxHops && want != ""; hop++ {
			tx, _, _ := strings.Cut(want, ".")
			f, found, err := c.flowCreating(p.ID, tx, want)
			if err != nil {
				return none, err
			}
			if !found {
				break
			}
			v.Hops = append(v.Hops, f)
			v.TxIDs = append(v.TxIDs, f.TxID)
			want = ""
			if len(f.Inputs) > 0 && f.Kind != api.FlowDisbursed {
				want = f.Inputs[0]
			}
		}
		return v, nil
	})
}

// flowCreating finds the flow of transaction tx that created output (or,
// for change outputs, any flow of tx with inputs).
func (c call) flowCreating(programme, tx, output string) (api.Flow, bool, error) {
	it, err := c.Stub.GetStateByPartialCompositeKey(tokencc.NSFlow, []string{programme, tx})
	if err != nil {
		return api.Flow{}, false, api.Internal(err, "query flows")
	}
	defer it.Close()
	var fallback *api.Flow
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return api.Flow{}, false, api.Internal(err, "query flows")
		}
		var f api.Flow
		if err := json.Unmarshal(kv.Value, &f); err != nil {
			return api.Flow{}, false, api.Internal(err, "decode flow")
		}
		if f.Output == output {
			return f, true, nil
		}
		if fallback == nil && (len(f.Inputs) > 0 || f.Kind == api.FlowDisbursed) {
			g := f
			fallback = &g
		}
	}
	if fallback != nil {
		return *fallback, true, nil
	}
	return api.Flow{}, false, nil
}

func ownerOf(a api.Account) dispatch.Owner { return dispatch.Owner{MSP: a.OwnerMSP, Bank: a.Bank} }

// Holdings pages through an account's unspent outputs, keeping those
// earmarked for the programme. The programme's owner bureau may read any
// account's holdings of its programme (to sweep or claw back), the
// account's bank its own, auditors all.
func (c *Contract) Holdings(ctx contractapi.TransactionContextInterface, request string) (string, error) {
	return run(ctx, api.Holdings, request, func(c call, r api.HoldingsRequest) (api.OutputPage, error) {
		var none api.OutputPage
		p, _, err := c.programme(r.Programme)
		if err != nil {
			return none, err
		}
		acct, err := c.st.Account(r.Account)
		if err != nil {
			return none, err
		}
		if !c.isOwner(p) && c.Scope != api.ScopeAny && !c.InScope(ownerOf(acct)) {
			return none, api.Errorf(api.CodeNotFound, "account %s", acct.ID)
		}
		prefix, err := c.st.Key(tokencc.NSOutput, acct.ID)
		if err != nil {
			return none, err
		}
		if r.Bookmark != "" && !strings.HasPrefix(r.Bookmark, prefix) {
			return none, api.Errorf(api.CodeInvalidArgument, "bookmark is outside account %s", acct.ID)
		}
		it, md, err := c.Stub.GetStateByPartialCompositeKeyWithPagination(tokencc.NSOutput, []string{acct.ID}, int32(api.PageSize(r.PageSize)), r.Bookmark)
		if err != nil {
			return none, api.Errorf(api.CodeInvalidArgument, "query outputs: %v", err)
		}
		defer it.Close()
		page := api.OutputPage{Outputs: []api.Output{}, Bookmark: md.GetBookmark()}
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return none, api.Internal(err, "query outputs")
			}
			var o api.Output
			if err := json.Unmarshal(kv.Value, &o); err != nil {
				return none, api.Internal(err, "decode output")
			}
			if o.Account != acct.ID {
				return none, api.Errorf(api.CodeInvalidArgument, "bookmark is outside account %s", acct.ID)
			}
			if o.Earmark != nil && o.Earmark.Programme == p.ID {
				page.Outputs = append(page.Outputs, o)
			}
		}
		return page, nil
	})
}
