package stubtest

import "testing"

// TestMemstub runs the behaviour suite on memstub. network/e2e runs the
// same suite on the four-org network (YRD_E2E=1).
func TestMemstub(t *testing.T) {
	b, err := NewMemstub()
	if err != nil {
		t.Fatal(err)
	}
	Run(t, b)
}
