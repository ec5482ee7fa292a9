package interbank

import (
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

// at is a wall-clock time in Shanghai.
func at(date, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, api.BusinessZone)
	if err != nil {
		panic(err)
	}
	return t
}

func y(s string) money.Amount { return money.MustParseYuan(s) }

func wantCode(t *testing.T, err error, code api.Code) {
	t.Helper()
	if api.CodeOf(err) != code {
		t.Fatalf("error %v, want code %q", err, code)
	}
}

func TestCalendarValidate(t *testing.T) {
	ok := api.DefaultCalendar()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*api.Calendar){
		"bad time":            func(c *api.Calendar) { c.Open = "8:30" },
		"not a time":          func(c *api.Calendar) { c.EndOfDay = "25:00" },
		"cut-off before open": func(c *api.Calendar) { c.CustomerCutoff = "08:00" },
		"interbank before customer": func(c *api.Calendar) {
			c.InterbankCutoff = "16:00"
		},
		"end before cut-off": func(c *api.Calendar) { c.EndOfDay = "17:00" },
		"bad holiday":        func(c *api.Calendar) { c.Holidays = []string{"2026-13-01"} },
		"no interval":        func(c *api.Calendar) { c.CycleIntervalSec = 0 },
		"long interval":      func(c *api.Calendar) { c.CycleIntervalSec = 3601 },
	} {
		c := api.DefaultCalendar()
		mutate(&c)
		wantCode(t, c.Validate(), api.CodeInvalidArgument)
		_ = name
	}
}

func TestBusinessDays(t *testing.T) {
	c := api.DefaultCalendar()
	c.Holidays = []string{"2026-10-01", "2026-10-02"}
	for date, want := range map[string]bool{
		"2026-09-30": true,  // Wednesday
		"2026-10-01": false, // holiday
		"2026-10-03": false, // Saturday
		"2026-10-05": true,  // Monday
		"bad":        false,
	} {
		if got := IsBusinessDay(c, date); got != want {
			t.Errorf("IsBusinessDay(%s) = %v", date, got)
		}
	}
	if got := NextBusinessDay(c, "2026-09-30"); got != "2026-10-05" {
		t.Errorf("NextBusinessDay over a holiday and a weekend = %s", got)
	}
	open := c
	open.WeekendsClosed = false
	if got := NextBusinessDay(open, "2026-10-02"); got != "2026-10-03" {
		t.Errorf("NextBusinessDay with weekends open = %s", got)
	}
}

func TestValueDates(t *testing.T) {
	c := api.DefaultCalendar() // interbank cut-off 17:00, end of day 17:30
	tests := []struct {
		at   time.Time
		want string
	}{
		{at("2026-03-02", "07:00"), "2026-03-02"}, // Monday before the open: today, queued until open
		{at("2026-03-02", "16:59"), "2026-03-02"},
		{at("2026-03-02", "17:00"), "2026-03-03"}, // at the cut-off: the next business day
		{at("2026-03-06", "18:00"), "2026-03-09"}, // Friday evening: Monday
		{at("2026-03-07", "10:00"), "2026-03-09"}, // Saturday: Monday
		// 16:30 UTC on Monday is 00:30 Tuesday in Shanghai.
		{time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC), "2026-03-03"},
	}
	for _, tc := range tests {
		if got := ValueDate(c, tc.at); got != tc.want {
			t.Errorf("ValueDate(%s) = %s, want %s", tc.at, got, tc.want)
		}
	}
	now := at("2026-03-02", "17:05")
	if got, err := CheckValueDate(c, "", now); err != nil || got != "2026-03-03" {
		t.Errorf("default value date after cut-off = %s, %v", got, err)
	}
	_, err := CheckValueDate(c, "2026-03-02", now)
	wantCode(t, err, api.CodeInvalidArgument) // before the earliest possible
	_, err = CheckValueDate(c, "2026-03-07", now)
	wantCode(t, err, api.CodeInvalidArgument) // a Saturday
	if got, err := CheckValueDate(c, "2026-03-04", now); err != nil || got != "2026-03-04" {
		t.Errorf("a later value date = %s, %v", got, err)
	}
}

func TestOpenAndEndOfDay(t *testing.T) {
	c := api.DefaultCalendar() // open 08:30, end of day 17:30
	for _, tc := range []struct {
		at         time.Time
		open       bool
		pastEnd    bool
		dueToday   bool
		dateOfTest string
	}{
		{at("2026-03-02", "08:29"), false, false, false, "2026-03-02"},
		{at("2026-03-02", "08:30"), true, false, true, "2026-03-02"},
		{at("2026-03-02", "17:29"), true, false, true, "2026-03-02"},
		{at("2026-03-02", "17:30"), false, true, false, "2026-03-02"},
		{at("2026-03-03", "09:00"), true, true, false, "2026-03-02"}, // the next day
		{at("2026-03-07", "10:00"), false, false, false, "2026-03-07"},
	} {
		if got := Open(c, tc.at); got != tc.open {
			t.Errorf("Open(%s) = %v", tc.at, got)
		}
		if got := PastEndOfDay(c, tc.dateOfTest, tc.at); got != tc.pastEnd {
			t.Errorf("PastEndOfDay(%s, %s) = %v", tc.dateOfTest, tc.at, got)
		}
		if got := Due(c, tc.dateOfTest, tc.at); got != tc.dueToday {
			t.Errorf("Due(%s, %s) = %v", tc.dateOfTest, tc.at, got)
		}
	}
}

// The three-bank gridlock of the issue: each owes the next 1,000,000 and
// holds 100,000. Gross, nothing moves; as one cycle nobody is in debit.
func TestNetsAndCover(t *testing.T) {
	legs := []Leg{
		{ID: "A:1", From: "A:settle", To: "B:settle", Amount: y("1000000")},
		{ID: "B:1", From: "B:settle", To: "C:settle", Amount: y("1000000")},
		{ID: "C:1", From: "C:settle", To: "A:settle", Amount: y("1000000")},
	}
	nets, err := Nets(legs)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		if n.Net != 0 {
			t.Fatalf("gridlock nets %+v", nets)
		}
	}
	used, err := Cover(nets, nil)
	if err != nil || used != 0 {
		t.Fatalf("cover %s, %v", used, err)
	}

	// A owes 150 more than it receives: covered by 150, not by 149.99.
	legs = append(legs, Leg{ID: "A:2", From: "A:settle", To: "C:settle", Amount: y("150")})
	nets, _ = Nets(legs)
	if _, err := Cover(nets, map[string]money.Amount{"A:settle": y("149.99")}); api.CodeOf(err) != api.CodeInsufficientFunds {
		t.Fatalf("uncovered debtor: %v", err)
	}
	if used, err := Cover(nets, map[string]money.Amount{"A:settle": y("150")}); err != nil || used != y("150") {
		t.Fatalf("covered: %s, %v", used, err)
	}
	// Inputs named for a creditor are refused (they would be spent for
	// nothing).
	_, err = Cover(nets, map[string]money.Amount{"A:settle": y("150"), "C:settle": y("1")})
	wantCode(t, err, api.CodeInvalidArgument)
	// Overflow is an error, never a wrapped sum.
	_, err = Nets([]Leg{{From: "A", To: "B", Amount: money.Amount(1 << 62)}, {From: "A", To: "B", Amount: money.Amount(1 << 62)}})
	wantCode(t, err, api.CodeInvalidArgument)
}

func TestReconciler(t *testing.T) {
	r := NewReconciler("2026-03-02", 10)
	add := func(id, from, to, status, amount string) error {
		return r.Add(api.InterbankTransfer{ID: id, FromBank: from, ToBank: to, FromMSP: from[:2] + "MSP", ToMSP: to[:2] + "MSP",
			Amount: y(amount), Status: status, ValueDate: "2026-03-02"})
	}
	for _, tc := range [][5]string{
		{"SH-A:1", "SH-A", "JS-B", api.TransferSettled, "100"},
		{"JS-B:1", "JS-B", "ZJ-C", api.TransferSettled, "40"},
		{"ZJ-C:1", "ZJ-C", "SH-A", api.TransferQueued, "7"},
		{"ZJ-C:2", "ZJ-C", "SH-A", api.TransferRejected, "8"},
		{"SH-A:2", "SH-A", "ZJ-C", api.TransferCancelled, "9"},
	} {
		if err := add(tc[0], tc[1], tc[2], tc[3], tc[4]); err != nil {
			t.Fatal(err)
		}
	}
	if err := add("SH-A:1", "SH-A", "JS-B", api.TransferSettled, "100"); err == nil {
		t.Fatal("a transfer counted twice")
	}
	if err := r.Add(api.InterbankTransfer{ID: "X:1", ValueDate: "2026-03-03", Status: api.TransferSettled}); err == nil {
		t.Fatal("a transfer of another date counted")
	}
	rep, err := r.Report()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Transfers != 5 || !rep.Balanced || rep.NetTotal != 0 || len(rep.Statuses) != 4 || len(rep.Pairs) != 2 {
		t.Fatalf("report %+v", rep)
	}
	want := map[string]money.Amount{"SH-A": -y("100"), "JS-B": y("60"), "ZJ-C": y("40")}
	for _, b := range rep.Banks {
		if b.Net != want[b.Bank] {
			t.Errorf("bank %s net %s, want %s", b.Bank, b.Net, want[b.Bank])
		}
	}
}
