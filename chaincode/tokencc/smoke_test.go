package tokencc_test

import "testing"

func TestSmoke(t *testing.T) {
	f := newFixture(t)
	if f.balance(shReserve) != y("1000000") { t.Fatal(f.balance(shReserve)) }
}
