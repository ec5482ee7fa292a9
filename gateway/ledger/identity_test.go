package ledger

import (
	"testing"

	"github.com/yangtze-delta/settlement/chaincode/memstub"
)

func TestCertAttributes(t *testing.T) {
	id := memstub.MustIdentity("ShanghaiMSP", "op", map[string]string{"role": "operator", "bank": "SH-CITY"})
	attrs, err := CertAttributes(id.CertPEM)
	if err != nil || attrs["role"] != "operator" || attrs["bank"] != "SH-CITY" {
		t.Fatalf("attrs %v, %v", attrs, err)
	}
	plain := memstub.MustIdentity("ShanghaiMSP", "x", nil)
	if attrs, err := CertAttributes(plain.CertPEM); err != nil || len(attrs) != 0 {
		t.Fatalf("no attributes: %v, %v", attrs, err)
	}
	if _, err := CertAttributes([]byte("not pem")); err == nil {
		t.Fatal("garbage accepted")
	}
}
