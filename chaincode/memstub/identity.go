package memstub

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// attrOID is Fabric CA's attribute extension (pkg/attrmgr.AttrOID).
var attrOID = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

// Identity is a test client identity: an MSP ID and a certificate.
type Identity struct {
	MSPID string
	// CertPEM is the PEM-encoded certificate.
	CertPEM []byte
	// Serialized is the msp.SerializedIdentity that GetCreator returns.
	Serialized []byte
}

// serial numbers the test certificates.
var serial atomic.Int64

// NewIdentity makes a self-signed certificate for common name cn carrying
// attrs in Fabric's attribute extension ({"attrs":{...}}), wrapped in a
// SerializedIdentity of mspID.
func NewIdentity(mspID, cn string, attrs map[string]string) (*Identity, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{mspID}},
		// Fixed validity: test identities never depend on the clock.
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:  time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}
	if len(attrs) > 0 {
		v, err := json.Marshal(struct {
			Attrs map[string]string `json:"attrs"`
		}{attrs})
		if err != nil {
			return nil, fmt.Errorf("encode attributes: %w", err)
		}
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: attrOID, Value: v})
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	ser, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	if err != nil {
		return nil, fmt.Errorf("serialize identity: %w", err)
	}
	return &Identity{MSPID: mspID, CertPEM: certPEM, Serialized: ser}, nil
}

// MustIdentity is NewIdentity for tests; it panics on error.
func MustIdentity(mspID, cn string, attrs map[string]string) *Identity {
	id, err := NewIdentity(mspID, cn, attrs)
	if err != nil {
		panic(err)
	}
	return id
}
