package tokencc_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/cctest"
	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

// sameAnswer asserts that two rejections read the same once the IDs they
// name are replaced: a record out of the caller's scope must be
// indistinguishable from a missing one.
func sameAnswer(t *testing.T, foreign, missing memstub.Result, foreignID, missingID string) {
	t.Helper()
	norm := func(r memstub.Result, id string) string { return strings.ReplaceAll(r.Message, id, "<id>") }
	if foreign.Status != missing.Status || norm(foreign, foreignID) != norm(missing, missingID) ||
		string(foreign.Payload) != string(missing.Payload) {
		t.Fatalf("a foreign record answers %d %q, a missing one %d %q", foreign.Status, foreign.Message, missing.Status, missing.Message)
	}
}

// TestBankOwnership: an operator acts only on its own bank's accounts. An
// account of another bank of the same province answers NOT_FOUND to every
// operation, exactly as a missing account does, and nothing changes.
func TestBankOwnership(t *testing.T) {
	f := newFixture(t)
	// Fund bella (bank B) and alice (bank A).
	p := f.pay(api.TransferRequest{PaymentID: "SH-PBC:fb", From: shReserve, To: bella, Amount: y("100"), Inputs: []string{f.shOut}})
	bellaOut := p.PayeeOutput
	p = f.pay(api.TransferRequest{PaymentID: "SH-PBC:fa", From: shReserve, To: alice, Amount: y("60"), Inputs: []string{p.ChangeOutputs[0]}})
	aliceOut := p.PayeeOutput
	p = f.pay(api.TransferRequest{PaymentID: "SH-PBC:fa2", From: shReserve, To: alice, Amount: y("40"), Inputs: []string{p.ChangeOutputs[0]}})
	aliceOut2 := p.PayeeOutput
	const ghost = "SH-BOC:ghost"

	// Each operation on account id of bank B, as bank A's operator (who
	// names the IDs it would use in its own namespace, or in bank B's).
	tests := []struct {
		name string
		fn   string
		arg  func(id string) string
	}{
		{"GetAccount", api.GetAccount.Function(), func(id string) string { return cctest.Encode(api.AccountRequest{ID: id}) }},
		{"GetBalance", api.GetBalance.Function(), func(id string) string { return cctest.Encode(api.AccountRequest{ID: id}) }},
		{"ListOutputs", api.ListOutputs.Function(), func(id string) string { return cctest.Encode(api.ListOutputsRequest{Account: id}) }},
		{"Statement", api.Statement.Function(), func(id string) string {
			return cctest.Encode(api.StatementRequest{Account: id, From: day0, To: day0.Add(time.Hour)})
		}},
		{"Transfer from it, own payment namespace", api.Transfer.Function(), func(id string) string {
			return cctest.Encode(api.TransferRequest{PaymentID: "SH-ICBC:steal", From: id, To: alice, Amount: y("1"), Inputs: []string{bellaOut}})
		}},
		{"Transfer from it, its bank's payment namespace", api.Transfer.Function(), func(id string) string {
			return cctest.Encode(api.TransferRequest{PaymentID: "SH-BOC:steal", From: id, To: alice, Amount: y("1"), Inputs: []string{bellaOut}})
		}},
		{"TransferBatch from it", api.TransferBatch.Function(), func(id string) string {
			return cctest.Encode(api.BatchRequest{Items: []api.TransferRequest{{PaymentID: "SH-ICBC:steal", From: id, To: alice, Amount: y("1"), Inputs: []string{bellaOut}}}})
		}},
		{"Merge", api.Merge.Function(), func(id string) string {
			return cctest.Encode(api.MergeRequest{MergeID: "SH-ICBC:g", Account: id, Inputs: []string{bellaOut, "x.1"}})
		}},
		{"CloseAccount", api.CloseAccount.Function(), func(id string) string { return cctest.Encode(api.AccountRequest{ID: id}) }},
	}
	opA := actor(shICBC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f.with(t)
			if tt.fn == api.TransferBatch.Function() {
				// A batch answers per item: the item is refused NOT_FOUND.
				before := f.L.Snapshot()
				r := f.Raw(opA, tt.fn, tt.arg(bella), nil)
				res, err := api.TransferBatch.DecodeResponse(r.Payload)
				if !r.OK() || err != nil || res.Settled != 0 || res.Results[0].Code != api.CodeNotFound {
					t.Fatalf("batch %s %s", r.Message, r.Payload)
				}
				if !reflect.DeepEqual(before, f.L.Snapshot()) {
					t.Fatal("a batch whose only item was refused changed the state")
				}
				rm := f.Raw(opA, tt.fn, tt.arg(ghost), nil)
				resm, _ := api.TransferBatch.DecodeResponse(rm.Payload)
				if resm.Results[0].Code != res.Results[0].Code ||
					strings.ReplaceAll(resm.Results[0].Message, ghost, "<id>") != strings.ReplaceAll(res.Results[0].Message, bella, "<id>") {
					t.Fatalf("foreign item %+v, missing item %+v", res.Results[0], resm.Results[0])
				}
				return
			}
			foreign := f.RejectRaw(opA, tt.fn, tt.arg(bella), nil, api.CodeNotFound)
			missing := f.RejectRaw(opA, tt.fn, tt.arg(ghost), nil, api.CodeNotFound)
			sameAnswer(t, foreign, missing, bella, ghost)
			// The owning bank is served.
			if tt.fn != api.CloseAccount.Function() && !strings.HasPrefix(tt.name, "Transfer") && tt.fn != api.Merge.Function() {
				if r := f.Raw(actor(shBOC), tt.fn, tt.arg(bella), nil); !r.OK() {
					t.Fatalf("the owning bank: %s", r.Message)
				}
			}
		})
	}
	t.Run("the reverse direction", func(t *testing.T) {
		f := f.with(t)
		foreign := cctest.Reject(f.env, actor(shBOC), api.GetAccount, api.AccountRequest{ID: alice}, api.CodeNotFound)
		missing := cctest.Reject(f.env, actor(shBOC), api.GetAccount, api.AccountRequest{ID: "SH-ICBC:ghost"}, api.CodeNotFound)
		sameAnswer(t, foreign, missing, alice, "SH-ICBC:ghost")
		cctest.Reject(f.env, actor(shBOC), api.Transfer, api.TransferRequest{PaymentID: "SH-BOC:x", From: alice, To: bella, Amount: y("1"), Inputs: []string{aliceOut}}, api.CodeNotFound)
	})
	t.Run("the province's issuer and fiscal bureau are other banks", func(t *testing.T) {
		f := f.with(t)
		cctest.Reject(f.env, issuer(SH), api.GetAccount, api.AccountRequest{ID: bella}, api.CodeNotFound)
		cctest.Reject(f.env, actor(shFIN), api.GetBalance, api.AccountRequest{ID: bella}, api.CodeNotFound)
		cctest.Reject(f.env, actor(shICBC), api.GetBalance, api.AccountRequest{ID: shReserve}, api.CodeNotFound)
	})
	t.Run("a role not allowed at all is FORBIDDEN", func(t *testing.T) {
		f := f.with(t)
		cctest.Reject(f.env, admin(SH), api.GetAccount, api.AccountRequest{ID: bella}, api.CodeForbidden)
		cctest.Reject(f.env, admin(SH), api.GetAccount, api.AccountRequest{ID: ghost}, api.CodeForbidden)
	})
	t.Run("compliance of the province freezes both banks' accounts", func(t *testing.T) {
		f := f.with(t)
		f.freeze(bella, "review")
		f.freeze(alice, "review")
		for _, id := range []string{alice, bella} {
			if a := cctest.Must(f.env, compliance(SH), api.GetAccount, api.AccountRequest{ID: id}); a.Status != api.StatusFrozen {
				t.Fatalf("%s: %+v", id, a)
			}
		}
		f.RejectRaw(compliance(JS), api.RecordFreezeReason.Function(), cctest.Encode(api.AccountRequest{ID: alice}), freezeTransient("x", "0123456789abcdef"), api.CodeNotFound)
		cctest.Reject(f.env, compliance(JS), api.Freeze, api.FreezeRequest{ID: alice, ReasonHash: hash64("x")}, api.CodeNotFound)
		cctest.Reject(f.env, compliance(JS), api.GetAccount, api.AccountRequest{ID: bella}, api.CodeNotFound)
		cctest.Must(f.env, compliance(SH), api.Unfreeze, api.AccountRequest{ID: alice})
		cctest.Must(f.env, compliance(SH), api.Unfreeze, api.AccountRequest{ID: bella})
	})
	t.Run("auditors read every bank", func(t *testing.T) {
		f := f.with(t)
		for _, id := range []string{alice, bella, bob, shReserve} {
			cctest.Must(f.env, auditor(ZJ), api.GetAccount, api.AccountRequest{ID: id})
		}
	})
	t.Run("an ID in another bank's namespace is refused", func(t *testing.T) {
		f := f.with(t)
		cctest.Reject(f.env, opA, api.OpenAccount, api.OpenAccountRequest{ID: "SH-BOC:new", Kind: api.KindSettlement}, api.CodeForbidden)
		cctest.Reject(f.env, opA, api.OpenAccount, api.OpenAccountRequest{ID: "SH-ICBC:reserve2", Kind: api.KindReserve}, api.CodeForbidden)
		cctest.Reject(f.env, opA, api.Transfer, api.TransferRequest{PaymentID: "SH-BOC:p", From: alice, To: bella, Amount: y("1"), Inputs: []string{aliceOut}}, api.CodeForbidden)
		cctest.Reject(f.env, opA, api.Merge, api.MergeRequest{MergeID: "SH-BOC:g", Account: alice, Inputs: []string{aliceOut, aliceOut2}}, api.CodeForbidden)
	})
	if f.Balance(bella) != y("100") || f.Balance(alice) != y("100") {
		t.Fatalf("balances bella %s alice %s", f.Balance(bella), f.Balance(alice))
	}
}

// TestBankBelongsToItsProvince: every province's CA can put any bank code
// into a certificate. A Shanghai certificate for Jiangsu's bank JS-ABC (or
// Shanghai's code under another MSP) is refused at the door for every
// operation, so it cannot squat JS-ABC's IDs (open JS-ABC:payroll before
// the real bank), read its accounts or spend from them; the real bank's
// IDs stay free.
func TestBankBelongsToItsProvince(t *testing.T) {
	f := newFixture(t)
	p := f.pay(api.TransferRequest{PaymentID: "SH-PBC:fund-bob", From: shReserve, To: bob, Amount: y("50"), Inputs: []string{f.shOut}})
	bobOut := p.PayeeOutput
	rogues := []struct {
		name, msp, bank string
		role            api.Role
	}{
		{"Shanghai's operator for JS-ABC", SH, jsABC, api.RoleOperator},
		{"Shanghai's issuer for JS-PBC", SH, jsPBC, api.RoleIssuer},
		{"Zhejiang's fiscal bureau for SH-FIN", ZJ, shFIN, api.RoleFiscal},
		{"Jiangsu's operator for SH-ICBC", JS, shICBC, api.RoleOperator},
		{"an operator for a bank of no province", SH, "XX-ABC", api.RoleOperator},
	}
	for _, r := range rogues {
		t.Run(r.name, func(t *testing.T) {
			f := f.with(t)
			who := cctest.Ident(r.msp, r.role, r.bank, "rogue")
			cctest.Reject(f.env, who, api.OpenAccount, api.OpenAccountRequest{ID: r.bank + ":payroll", Kind: api.KindSettlement}, api.CodeForbidden)
			cctest.Reject(f.env, who, api.GetAccount, api.AccountRequest{ID: bob}, api.CodeForbidden)
			cctest.Reject(f.env, who, api.GetBalance, api.AccountRequest{ID: r.bank + ":payroll"}, api.CodeForbidden)
			cctest.Reject(f.env, who, api.Transfer, api.TransferRequest{PaymentID: r.bank + ":steal", From: bob, To: alice, Amount: y("1"), Inputs: []string{bobOut}}, api.CodeForbidden)
		})
	}
	// The real Jiangsu bank still owns its namespace.
	cctest.Must(f.env, actor(jsABC), api.OpenAccount, api.OpenAccountRequest{ID: "JS-ABC:payroll", Kind: api.KindSettlement})
	if a := cctest.Must(f.env, auditor(AH), api.GetAccount, api.AccountRequest{ID: "JS-ABC:payroll"}); a.OwnerMSP != JS || a.Bank != jsABC {
		t.Fatalf("JS-ABC:payroll is %s's %s", a.OwnerMSP, a.Bank)
	}
	if f.Balance(bob) != y("50") {
		t.Fatalf("bob's balance %s", f.Balance(bob))
	}
}

// TestGetPaymentVisibility: a payment is visible to the payer's bank, the
// payee's bank, compliance of either province and auditors; to anyone else
// it answers NOT_FOUND, exactly as a missing payment does.
func TestGetPaymentVisibility(t *testing.T) {
	f := newFixture(t)
	f.fundAlice("fund", "100")
	const id, ghost = "SH-ICBC:cross", "SH-ICBC:ghost"
	f.pay(api.TransferRequest{PaymentID: id, From: alice, To: bob, Amount: y("10"), Inputs: []string{f.aliceOut}})
	tests := []struct {
		name string
		who  *memstub.Identity
		code api.Code
	}{
		{"payer's bank", actor(shICBC), ""},
		{"payee's bank", actor(jsABC), ""},
		{"payer's province compliance", compliance(SH), ""},
		{"payee's province compliance", compliance(JS), ""},
		{"an auditor of a third province", auditor(ZJ), ""},
		{"another bank of the payer's province", actor(shBOC), api.CodeNotFound},
		{"the payer province's issuer", issuer(SH), api.CodeNotFound},
		{"the payer province's fiscal bureau", actor(shFIN), api.CodeNotFound},
		{"the payee province's issuer", issuer(JS), api.CodeNotFound},
		{"a third province's bank", actor(zjCCB), api.CodeNotFound},
		{"a third province's compliance", compliance(ZJ), api.CodeNotFound},
		{"an admin", admin(SH), api.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f.with(t)
			if tt.code == "" {
				p := cctest.Must(f.env, tt.who, api.GetPayment, api.PaymentRequest{PaymentID: id})
				if p.PaymentID != id || p.FromBank != shICBC || p.ToBank != jsABC || p.Amount != y("10") {
					t.Fatalf("payment %+v", p)
				}
				return
			}
			foreign := cctest.Reject(f.env, tt.who, api.GetPayment, api.PaymentRequest{PaymentID: id}, tt.code)
			missing := cctest.Reject(f.env, tt.who, api.GetPayment, api.PaymentRequest{PaymentID: ghost}, tt.code)
			sameAnswer(t, foreign, missing, id, ghost)
		})
	}
}

// TestFreezeKeepsReasonPrivate: a freeze is two transactions.
// RecordFreezeReason carries the reason in the transient map, writes
// nothing but a note to the owning province's private data collection and
// is valid endorsed by that province alone, so no other province's peer
// ever receives the reason. Freeze carries no reason: it names the note's
// hash, which every endorser (member of the collection or not) checks
// against the collection's public hash, and the account record keeps it;
// a wrong or missing hash changes nothing.
func TestFreezeKeepsReasonPrivate(t *testing.T) {
	f := newFixture(t)
	const reason = "AML case 2025-0042: suspected structuring"
	const salt = "salt-0123456789abcdef"
	secrets := []string{reason, "suspected structuring", salt, hex.EncodeToString([]byte(salt))}
	kyc := api.CollectionKYC(SH)

	en := f.L.Endorse(chaincode, memstub.Tx{Creator: compliance(SH), Fn: api.RecordFreezeReason.Function(),
		Args: []string{cctest.Encode(api.AccountRequest{ID: shop})}, Transient: freezeTransient(reason, salt), Endorsers: []string{SH}})
	if !en.OK() {
		t.Fatal(en.Message)
	}
	b, err := f.L.Commit(en)
	if err != nil {
		t.Fatal(err)
	}
	if tx := b.Txs[0]; tx.Code != peer.TxValidationCode_VALID || !reflect.DeepEqual(tx.Endorsers, []string{SH}) {
		t.Fatalf("the note endorsed by Shanghai alone committed as %s (endorsers %v)", tx.Code, tx.Endorsers)
	}
	var rc api.FreezeReasonReceipt
	if err := json.Unmarshal(en.Payload, &rc); err != nil {
		t.Fatal(err)
	}
	note, err := json.Marshal(api.FreezeNote{Account: shop, Reason: reason, Salt: hex.EncodeToString([]byte(salt)), TxID: en.TxID})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(note)
	wantHash := hex.EncodeToString(sum[:])
	if rc != (api.FreezeReasonReceipt{Account: shop, Collection: kyc, Hash: wantHash}) {
		t.Fatalf("receipt %+v, want the hash %s of the note in %s", rc, wantHash, kyc)
	}

	t.Run("the note's transaction writes nothing but the note", func(t *testing.T) {
		f := f.with(t)
		if w := en.Stub.Writes(); len(w) != 0 {
			t.Fatalf("public writes %q", w)
		}
		if env := cctest.Envelope(t, en.Result); len(env.Events) != 0 {
			t.Fatalf("events %+v", env.Events)
		}
		writes := en.Stub.PrivateWrites(kyc)
		if len(writes) != 1 {
			t.Fatalf("%d private writes to %s", len(writes), kyc)
		}
		for _, v := range writes {
			if string(v) != string(note) {
				t.Fatalf("note %s, want %s", v, note)
			}
		}
		for _, o := range orgs {
			if o != SH && len(en.Stub.PrivateWrites(api.CollectionKYC(o))) != 0 {
				t.Fatalf("the reason went to %s", api.CollectionKYC(o))
			}
		}
		if a := cctest.Must(f.env, compliance(SH), api.GetAccount, api.AccountRequest{ID: shop}); a.Status != api.StatusActive || a.ReasonHash != "" {
			t.Fatalf("the note alone changed the account: %+v", a)
		}
	})
	t.Run("endorsed without the province, the note is invalid", func(t *testing.T) {
		f := f.with(t)
		en := f.L.Endorse(chaincode, memstub.Tx{Creator: compliance(SH), Fn: api.RecordFreezeReason.Function(),
			Args: []string{cctest.Encode(api.AccountRequest{ID: shop})}, Transient: freezeTransient("other", salt), Endorsers: []string{JS, ZJ, AH}})
		if !en.OK() {
			t.Fatal(en.Message)
		}
		b, err := f.L.Commit(en)
		if err != nil {
			t.Fatal(err)
		}
		if b.Txs[0].Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
			t.Fatalf("committed as %s", b.Txs[0].Code)
		}
	})
	t.Run("a wrong or missing hash changes nothing", func(t *testing.T) {
		f := f.with(t)
		other := f.note(bella, "another account's reason", "0123456789abcdef")
		for _, req := range []any{
			api.FreezeRequest{ID: shop, ReasonHash: hash64("no such note")},
			api.FreezeRequest{ID: shop, ReasonHash: other.Hash}, // bella's note
			api.FreezeRequest{ID: bella, ReasonHash: rc.Hash},   // shop's note
			`{"id":"` + shop + `"}`,
			`{"id":"` + shop + `","reasonHash":""}`,
		} {
			cctest.Reject(f.env, compliance(SH), api.Freeze, req, api.CodeInvalidArgument)
		}
		for _, id := range []string{shop, bella} {
			if a := cctest.Must(f.env, compliance(SH), api.GetAccount, api.AccountRequest{ID: id}); a.Status != api.StatusActive {
				t.Fatalf("%s: %+v", id, a)
			}
		}
	})
	t.Run("every endorser checks the hash, member of the collection or not", func(t *testing.T) {
		f := f.with(t)
		for _, p := range orgs {
			freeze := func(hash string) memstub.Result {
				return f.L.Evaluate(chaincode, memstub.Tx{Creator: compliance(SH), Fn: api.Freeze.Function(),
					Args: []string{cctest.Encode(api.FreezeRequest{ID: shop, ReasonHash: hash})}, Peer: p})
			}
			if r := freeze(rc.Hash); !r.OK() {
				t.Errorf("the peer of %s refuses the note's hash: %s", p, r.Message)
			}
			if r := freeze(hash64("no such note")); cctest.CodeOf(r.Message) != api.CodeInvalidArgument {
				t.Errorf("the peer of %s answers a wrong hash with %d %s", p, r.Status, r.Message)
			}
		}
	})

	r := f.Raw(compliance(SH), api.Freeze.Function(), cctest.Encode(api.FreezeRequest{ID: shop, ReasonHash: rc.Hash}), nil)
	if !r.OK() {
		t.Fatal(r.Message)
	}
	t.Run("account keeps the hash", func(t *testing.T) {
		f := f.with(t)
		a := cctest.Must(f.env, actor(shICBC), api.GetAccount, api.AccountRequest{ID: shop})
		if a.Status != api.StatusFrozen || a.ReasonHash != wantHash {
			t.Fatalf("account %+v, want reason hash %s", a, wantHash)
		}
	})
	t.Run("no public value holds the reason or the salt", func(t *testing.T) {
		f := f.with(t)
		for k, v := range f.L.Snapshot() {
			for _, s := range secrets {
				if strings.Contains(v, s) || strings.Contains(k, s) {
					t.Fatalf("public key %q holds %q", k, s)
				}
			}
		}
		for _, st := range []*memstub.Stub{en.Stub, r.Stub} {
			for _, a := range st.GetStringArgs() {
				if strings.Contains(a, reason) {
					t.Fatal("the reason is in a transaction's arguments")
				}
			}
		}
		if tm, _ := r.Stub.GetTransient(); len(tm) != 0 {
			t.Fatalf("the freeze, endorsed by every province, carried transient data %q", tm)
		}
	})
	t.Run("the event has no reason", func(t *testing.T) {
		env := cctest.Envelope(t, r)
		if len(env.Events) != 1 || env.Events[0] != (api.Event{Type: api.EventFrozen, ID: shop, Account: shop, MSP: SH, Bank: shICBC}) {
			t.Fatalf("events %+v", env.Events)
		}
		for _, s := range secrets {
			if strings.Contains(string(r.Events[0].Payload), s) {
				t.Fatalf("event holds %q", s)
			}
		}
	})
	var noteKey string
	for k := range en.Stub.PrivateWrites(kyc) {
		noteKey = k
	}
	t.Run("the province's KYC collection holds it", func(t *testing.T) {
		f := f.with(t)
		// Committed: Shanghai's peer holds it, and a Shanghai client's
		// later transaction there reads it.
		if got := f.L.PrivateData(kyc, noteKey); string(got) != string(note) {
			t.Fatalf("committed private data %q", got)
		}
		got, err := f.L.NewStub(memstub.Tx{Creator: compliance(SH)}).GetPrivateData(kyc, noteKey)
		if err != nil || string(got) != string(note) {
			t.Fatalf("read on Shanghai's peer: %q, %v", got, err)
		}
		// Another province's peer holds only its hash, and another
		// province's client may not read it anywhere.
		if got, err := f.L.NewStub(memstub.Tx{Creator: compliance(SH), Peer: JS}).GetPrivateData(kyc, noteKey); err == nil || got != nil {
			t.Fatalf("read on Jiangsu's peer: %q, %v", got, err)
		}
		if got, err := f.L.NewStub(memstub.Tx{Creator: compliance(JS), Peer: SH}).GetPrivateData(kyc, noteKey); err == nil || got != nil {
			t.Fatalf("read by Jiangsu's client: %q, %v", got, err)
		}
	})
	t.Run("unfreeze clears the hash", func(t *testing.T) {
		f := f.with(t)
		if a := cctest.Must(f.env, compliance(SH), api.Unfreeze, api.AccountRequest{ID: shop}); a.ReasonHash != "" || a.Status != api.StatusActive {
			t.Fatalf("account %+v", a)
		}
	})
	t.Run("a later freeze has a note of its own", func(t *testing.T) {
		f := f.with(t)
		f.freeze(shop, reason) // the same reason again, with a new salt
		a := cctest.Must(f.env, compliance(SH), api.GetAccount, api.AccountRequest{ID: shop})
		if a.Status != api.StatusFrozen || a.ReasonHash == wantHash {
			t.Fatalf("account %+v: the second freeze names the first note", a)
		}
		if got := f.L.PrivateData(kyc, noteKey); string(got) != string(note) {
			t.Fatalf("the first note became %q", got)
		}
		h, err := f.L.NewStub(memstub.Tx{Creator: compliance(SH), Peer: AH}).GetPrivateDataHash(kyc, noteKey)
		if err != nil || hex.EncodeToString(h) != wantHash {
			t.Fatalf("the first note's public hash %x, %v", h, err)
		}
	})
}
