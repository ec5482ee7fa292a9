package ledger

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// attrOID is the X.509 extension in which Fabric CA puts an enrolment
// certificate's attributes, as {"attrs":{"role":"operator",...}}.
var attrOID = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

// CertAttributes reads the Fabric CA attributes of a PEM certificate (an
// empty map when it has none): the gateway learns each client's role and
// bank from the certificate it signs with, the same source the chaincode
// trusts.
func CertAttributes(certPEM []byte) (map[string]string, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return nil, errors.New("ledger: no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("ledger: parse certificate: %w", err)
	}
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(attrOID) {
			continue
		}
		var v struct {
			Attrs map[string]string `json:"attrs"`
		}
		if err := json.Unmarshal(ext.Value, &v); err != nil {
			return nil, fmt.Errorf("ledger: certificate attributes: %w", err)
		}
		if v.Attrs == nil {
			v.Attrs = map[string]string{}
		}
		return v.Attrs, nil
	}
	return map[string]string{}, nil
}
