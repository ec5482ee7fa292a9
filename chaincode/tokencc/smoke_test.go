package tokencc

import "testing"

func TestSmoke(t *testing.T) {
	f := newFixture(t)
	if got := f.balance("sh-reserve"); got != "1000000.00" {
		t.Fatalf("balance %s", got)
	}
}
