package ledger

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/config"
)

// writeIdentity writes a self-signed ECDSA certificate and its key as PEM.
func writeIdentity(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "op"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}

func testConfig(t *testing.T) config.Config {
	dir := t.TempDir()
	cert, key := writeIdentity(t, dir)
	cfg := config.Defaults()
	cfg.Peer = config.Peer{Endpoint: "127.0.0.1:1", TLSCAFile: cert, ServerNameOverride: "peer0.shanghai.yrd"}
	cfg.MSPID = "ShanghaiMSP"
	cfg.Timeouts.Evaluate = config.Duration(2 * time.Second)
	cfg.Clients = []config.Client{{Name: "bank", TokenSHA256: "00", Identity: config.Identity{CertFile: cert, KeyFile: key}}}
	return cfg
}

func TestDial(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Run("loads identities and reports an unreachable peer", func(t *testing.T) {
		f, err := Dial(testConfig(t), nil, log)
		require.NoError(t, err)
		defer f.Close()
		_, err = f.Evaluate(context.Background(), "bank", "system:Version")
		require.Equal(t, CodePeerUnavailable, CodeOf(err), err)
		_, err = f.Evaluate(context.Background(), "nobody", "system:Version")
		require.Equal(t, CodeUnknownIdentity, CodeOf(err))
		_, err = f.Submit(context.Background(), "nobody", "system:Ping", nil, nil, SubmitOptions{})
		require.Equal(t, CodeUnknownIdentity, CodeOf(err))
	})
	t.Run("missing key names the client", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.Clients[0].Identity.KeyFile = filepath.Join(t.TempDir(), "absent.pem")
		_, err := Dial(cfg, nil, log)
		require.ErrorContains(t, err, "clients[0] (bank): identity.keyFile")
	})
	t.Run("CA file without certificates", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.Peer.TLSCAFile = cfg.Clients[0].Identity.KeyFile
		_, err := Dial(cfg, nil, log)
		require.ErrorContains(t, err, "peer.tlsCAFile")
	})
}
