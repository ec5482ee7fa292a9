package appropriation

import (
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
)

// shanghai is a wall-clock time in Asia/Shanghai.
func shanghai(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, api.BusinessZone)
}

// TestWindow: business dates bound the window, inclusive; a ValidUntil
// instant ends it earlier, exactly (expired from the instant on).
func TestWindow(t *testing.T) {
	until := shanghai(2026, 3, 10, 14, 30, 0)
	for _, tc := range []struct {
		name            string
		validUntil      time.Time
		at              time.Time
		active, expired bool
	}{
		{"before the first date", time.Time{}, shanghai(2026, 3, 1, 23, 59, 59), false, false},
		{"the first date's start", time.Time{}, shanghai(2026, 3, 2, 0, 0, 0), true, false},
		{"the last date's end", time.Time{}, shanghai(2026, 3, 31, 23, 59, 59), true, false},
		{"the day after", time.Time{}, shanghai(2026, 4, 1, 0, 0, 0), false, true},
		{"a second before validUntil", until, until.Add(-time.Second), true, false},
		{"a nanosecond before validUntil", until, until.Add(-time.Nanosecond), true, false},
		{"at validUntil", until, until, false, true},
		{"after validUntil, same business date", until, until.Add(time.Hour), false, true},
		{"after validUntil, before validTo", until, shanghai(2026, 3, 20, 9, 0, 0), false, true},
		{"before the first date, with validUntil", until, shanghai(2026, 3, 1, 12, 0, 0), false, false},
		{"validUntil in another zone", until.UTC(), until.Add(-time.Millisecond), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := programme()
			p.ValidUntil = tc.validUntil
			active, expired := Window(p, tc.at)
			if active != tc.active || expired != tc.expired {
				t.Fatalf("Window at %s = active %v, expired %v; want %v, %v", tc.at, active, expired, tc.active, tc.expired)
			}
			err := CheckWindow(p, tc.at)
			if tc.active != (err == nil) || (err != nil && api.CodeOf(err) != api.CodeOutsideWindow) {
				t.Fatalf("CheckWindow at %s: %v", tc.at, err)
			}
		})
	}
	// A spend is checked against the same window.
	p := programme()
	p.ValidUntil = until
	payer, payee := merchant("SH-CITY:r", "ShanghaiMSP", "5812"), merchant("SH-CITY:g", "ShanghaiMSP", "5411")
	if _, err := CheckSpend(p, payer, payee, until.Add(-time.Second)); err != nil {
		t.Fatalf("spend before validUntil: %v", err)
	}
	if _, err := CheckSpend(p, payer, payee, until); api.CodeOf(err) != api.CodeOutsideWindow {
		t.Fatalf("spend at validUntil: %v, want OUTSIDE_WINDOW", err)
	}
}

// TestValidUntilDefinition: validUntil falls after the start of validFrom
// and on or before the end of validTo; NewProgramme keeps it in UTC.
func TestValidUntilDefinition(t *testing.T) {
	def := func(until time.Time) api.DefineProgrammeRequest {
		return api.DefineProgrammeRequest{ID: "SH-FIN:p", Name: "p", Purposes: []string{"SME"}, Escrow: "SH-FIN:e", Budget: y("100"),
			Funders: funders, ValidFrom: "2026-03-02", ValidTo: "2026-03-31", ValidUntil: until, Release: api.ReleaseAtTerminal,
			Eligibility: api.Eligibility{Kinds: []api.Kind{api.KindMerchant}}}
	}
	for _, tc := range []struct {
		name  string
		until time.Time
		ok    bool
	}{
		{"none", time.Time{}, true},
		{"inside", shanghai(2026, 3, 10, 14, 30, 0), true},
		{"the end of validTo exactly", shanghai(2026, 4, 1, 0, 0, 0), true},
		{"a second after the end of validTo", shanghai(2026, 4, 1, 0, 0, 1), false},
		{"the start of validFrom (never active)", shanghai(2026, 3, 2, 0, 0, 0), false},
		{"before validFrom", shanghai(2026, 2, 28, 12, 0, 0), false},
		{"a second into validFrom", shanghai(2026, 3, 2, 0, 0, 1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := def(tc.until)
			err := r.Validate()
			if tc.ok != (err == nil) || (err != nil && api.CodeOf(err) != api.CodeInvalidArgument) {
				t.Fatalf("Validate: %v, want ok %v", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			p, err := NewProgramme(r, "ShanghaiMSP", "SH-FIN", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !p.ValidUntil.Equal(tc.until) || (!tc.until.IsZero() && p.ValidUntil.Location() != time.UTC) {
				t.Fatalf("ValidUntil %v, want %v in UTC", p.ValidUntil, tc.until)
			}
		})
	}
}
