package api_test

import (
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
)

// TestBusinessDate: daily limits count per business date in
// Asia/Shanghai (UTC+8, no daylight saving): the day rolls over at 16:00
// UTC, whatever zone the time is given in.
func TestBusinessDate(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	newYork := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"09:00 in Shanghai", utc("2025-06-02T01:00:00Z"), "2025-06-02"},
		{"15:59:59 UTC is 23:59:59 in Shanghai", utc("2025-06-02T15:59:59Z"), "2025-06-02"},
		{"16:00 UTC is midnight in Shanghai", utc("2025-06-02T16:00:00Z"), "2025-06-03"},
		{"16:01 UTC", utc("2025-06-02T16:01:00Z"), "2025-06-03"},
		{"UTC midnight is 08:00 in Shanghai", utc("2025-06-03T00:00:00Z"), "2025-06-03"},
		{"a nanosecond before the roll-over", utc("2025-06-02T16:00:00Z").Add(-1), "2025-06-02"},
		{"given in another zone", utc("2025-06-02T16:30:00Z").In(newYork), "2025-06-03"},
		{"new year's eve", utc("2025-12-31T16:00:00Z"), "2026-01-01"},
		{"winter (no daylight saving)", utc("2025-01-15T15:59:00Z"), "2025-01-15"},
		{"leap day", utc("2024-02-28T16:00:00Z"), "2024-02-29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := api.BusinessDate(tt.at); got != tt.want {
				t.Fatalf("BusinessDate(%s) = %s, want %s", tt.at.UTC().Format(time.RFC3339Nano), got, tt.want)
			}
		})
	}
	for _, m := range []time.Month{time.January, time.July} {
		if _, off := time.Date(2025, m, 1, 0, 0, 0, 0, api.BusinessZone).Zone(); off != 8*3600 {
			t.Fatalf("offset in %s is %d s", m, off)
		}
	}
}
