package server

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/rest"
)

// TestProgrammeValidUntil: validUntil travels from the definition to the
// ledger and back (in UTC); one after the end of validTo is refused at the
// edge; a sweep answers 409 NOT_EXPIRED before the instant and returns the
// escrow to the funders pro rata from it on, on the same business date.
func TestProgrammeValidUntil(t *testing.T) {
	h := &progHarness{harness: newHarness(t, harnessOptions{})}
	h.open("sh-iss", reserve, rest.KindReserve, "")
	for i, client := range []string{"sh-fin", "js-fin", "zj-fin"} {
		h.open(client, treasuries[i], rest.KindFiscal, "")
	}
	h.mint("3000.00")
	for i, acct := range treasuries {
		h.pay("sh-iss", rest.PaymentRequest{PaymentID: fmt.Sprintf("SH-PBC:fund-%d", i), From: reserve, To: acct, Amount: y("1000")})
	}
	// The inproc clock starts at 09:00 in Shanghai on validFrom.
	until := time.Date(2026, 1, 5, 10, 0, 0, 0, api.BusinessZone)

	t.Run("after the end of validTo", func(t *testing.T) {
		req := programmeRequest("")
		late := time.Date(2026, 2, 1, 0, 0, 1, 0, api.BusinessZone)
		req.ValidUntil = &late
		res := h.do("sh-fin", "POST", "/v1/programmes", jsonOf(req))
		if res.status != http.StatusBadRequest || res.code(t) != string(api.CodeInvalidArgument) {
			t.Fatalf("%d %s", res.status, res.body)
		}
	})

	req := programmeRequest("")
	req.ValidUntil = &until
	var c rest.Committed[rest.Programme]
	h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes", jsonOf(req)).decode(t, &c)
	for _, client := range []string{"sh-fin2", "js-fin", "zj-fin"} {
		h.must(http.StatusCreated, client, "POST", "/v1/programmes/"+prog+"/approve", "").decode(t, &c)
	}
	var p rest.Programme
	h.must(http.StatusOK, "js-fin", "GET", "/v1/programmes/"+prog, "").decode(t, &p)
	if p.Status != rest.ProgrammeActive || p.ValidUntil == nil || !p.ValidUntil.Equal(until) || p.ValidUntil.Location() != time.UTC {
		t.Fatalf("programme %s, validUntil %v, want active until %v (UTC)", p.Status, p.ValidUntil, until)
	}
	h.fundTranche(1, "1000")

	if got := h.do("sh-fin", "POST", "/v1/programmes/"+prog+"/sweeps", ""); got.status != http.StatusConflict || got.code(t) != string(api.CodeNotExpired) {
		t.Fatalf("a sweep before validUntil: %d %s", got.status, got.body)
	}
	h.led.Stub().Clock = until
	var r rest.Committed[rest.ReturnReport]
	h.must(http.StatusCreated, "sh-fin", "POST", "/v1/programmes/"+prog+"/sweeps", "").decode(t, &r)
	want := map[string]string{"SH-FIN:treasury": "400.00", "JS-FIN:treasury": "300.00", "ZJ-FIN:treasury": "300.00"}
	if r.Result.Amount != y("1000") || len(r.Result.Funders) != 3 {
		t.Fatalf("sweep %+v", r.Result)
	}
	for _, f := range r.Result.Funders {
		if want[f.Account] != f.Amount.String() {
			t.Fatalf("%s got back %s, want %s", f.Account, f.Amount, want[f.Account])
		}
	}
	for _, acct := range treasuries {
		if b := h.balance("sh-aud", acct); b != "1000.00" {
			t.Fatalf("%s holds %s after the sweep, want its 1,000 back", acct, b)
		}
	}
}
