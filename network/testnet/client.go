package testnet

import (
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/hash"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Conn is a Fabric Gateway SDK connection as one user of one province, to
// that province's peer.
type Conn struct {
	*client.Gateway
	grpc *grpc.ClientConn
}

// Close closes the gateway and its gRPC connection.
func (c *Conn) Close() {
	_ = c.Gateway.Close()
	_ = c.grpc.Close()
}

// Connect opens a Fabric Gateway SDK connection as user of province p.
func (n *Network) Connect(p Province, user string) (*Conn, error) {
	caPEM, err := os.ReadFile(n.CAFile(p))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cc, err := grpc.NewClient(n.PeerEndpoint(p), grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, "")))
	if err != nil {
		return nil, fmt.Errorf("dial peer of %s: %w", p.Name, err)
	}
	certFile, keyFile := n.Identity(p, user)
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, err
	}
	id, err := identity.NewX509Identity(p.MSPID, cert)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, err
	}
	gw, err := client.Connect(id, client.WithSign(sign), client.WithHash(hash.SHA256), client.WithClientConnection(cc),
		client.WithEvaluateTimeout(10*time.Second), client.WithEndorseTimeout(30*time.Second),
		client.WithSubmitTimeout(10*time.Second), client.WithCommitStatusTimeout(60*time.Second))
	if err != nil {
		_ = cc.Close()
		return nil, err
	}
	return &Conn{Gateway: gw, grpc: cc}, nil
}
