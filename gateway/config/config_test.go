package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/config"
)

const validJSON = `{
  "peer": {"endpoint": "127.0.0.1:7051", "tlsCAFile": "ca.pem", "serverNameOverride": "peer0.shanghai.yrd"},
  "mspId": "ShanghaiMSP",
  "stateDir": "/var/lib/yrd-gateway",
  "timeouts": {"commitStatus": "2s"},
  "clients": [
    {"name": "icbc-sh", "tokenSha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
     "identity": {"certFile": "op.pem", "keyFile": "op.key"}}
  ]
}`

func TestParseValid(t *testing.T) {
	cfg, err := config.Parse([]byte(validJSON))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:8080", cfg.Listen)
	require.Equal(t, "settlement", cfg.Channel)
	require.Equal(t, "yrd", cfg.Chaincode)
	require.Equal(t, 2*time.Second, cfg.Timeouts.CommitStatus.D())
	require.Equal(t, 15*time.Second, cfg.Timeouts.Endorse.D(), "default kept for omitted field")
	require.Equal(t, "icbc-sh", cfg.Clients[0].Name)
}

func TestValidateNamesField(t *testing.T) {
	base := func() config.Config {
		c, err := config.Parse([]byte(validJSON))
		require.NoError(t, err)
		return c
	}
	tests := []struct {
		name  string
		edit  func(*config.Config)
		field string
	}{
		{"listen not host:port", func(c *config.Config) { c.Listen = "8080" }, "listen"},
		{"listen public without tls", func(c *config.Config) { c.Listen = "0.0.0.0:8080" }, "listen"},
		{"tls without key", func(c *config.Config) { c.TLS = &config.ServerTLS{CertFile: "a"} }, "tls.keyFile"},
		{"body limit", func(c *config.Config) { c.MaxBodyBytes = 0 }, "maxBodyBytes"},
		{"peer endpoint", func(c *config.Config) { c.Peer.Endpoint = "" }, "peer.endpoint"},
		{"peer ca", func(c *config.Config) { c.Peer.TLSCAFile = "" }, "peer.tlsCAFile"},
		{"msp", func(c *config.Config) { c.MSPID = "" }, "mspId"},
		{"channel", func(c *config.Config) { c.Channel = "" }, "channel"},
		{"chaincode", func(c *config.Config) { c.Chaincode = "" }, "chaincode"},
		{"endorse timeout", func(c *config.Config) { c.Timeouts.Endorse = 0 }, "timeouts.endorse"},
		{"commit shorter than status", func(c *config.Config) { c.Timeouts.Commit = config.Duration(time.Second) }, "timeouts.commit"},
		{"attempts", func(c *config.Config) { c.Retry.ConflictAttempts = 0 }, "retry.conflictAttempts"},
		{"max inputs", func(c *config.Config) { c.Selection.MaxInputs = 0 }, "selection.maxInputs"},
		{"state dir", func(c *config.Config) { c.StateDir = "" }, "stateDir"},
		{"metrics not loopback", func(c *config.Config) { c.MetricsListen = "0.0.0.0:9100" }, "metricsListen"},
		{"async workers", func(c *config.Config) { c.Async.Workers = 0 }, "async.workers"},
		{"async queue", func(c *config.Config) { c.Async.Queue = 0 }, "async.queue"},
		{"subscribers", func(c *config.Config) { c.Events.MaxSubscribers = 0 }, "events.maxSubscribers"},
		{"read timeout", func(c *config.Config) { c.HTTP.ReadTimeout = 0 }, "http.readTimeout"},
		{"header bytes", func(c *config.Config) { c.HTTP.MaxHeaderBytes = 0 }, "http.maxHeaderBytes"},
		{"events identity", func(c *config.Config) { c.Events.Identity = "nobody" }, "events.identity"},
		{"reserve pool", func(c *config.Config) { c.Selection.ReservePool = -1 }, "selection.reservePool"},
		{"no clients", func(c *config.Config) { c.Clients = nil }, "clients"},
		{"client name", func(c *config.Config) { c.Clients[0].Name = "" }, "clients[0].name"},
		{"duplicate client", func(c *config.Config) { c.Clients = append(c.Clients, c.Clients[0]) }, "clients[1].name"},
		{"no credential", func(c *config.Config) { c.Clients[0].TokenSHA256 = "" }, "clients[0]"},
		{"bad hash", func(c *config.Config) { c.Clients[0].TokenSHA256 = "abc" }, "clients[0].tokenSha256"},
		{"subject without client CA", func(c *config.Config) { c.Clients[0].CertSubject = "CN=x" }, "clients[0].certSubject"},
		{"subject without issuer", func(c *config.Config) {
			c.TLS = &config.ServerTLS{CertFile: "a", KeyFile: "b", ClientCAFile: "ca"}
			c.Clients[0].CertSubject = "CN=x"
		}, "clients[0].certIssuer"},
		{"identity cert", func(c *config.Config) { c.Clients[0].Identity.CertFile = "" }, "clients[0].identity.certFile"},
		{"identity key", func(c *config.Config) { c.Clients[0].Identity.KeyFile = "" }, "clients[0].identity.keyFile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.edit(&c)
			err := c.Validate()
			require.Error(t, err)
			require.True(t, errors.Is(err, config.ErrInvalid))
			require.Contains(t, err.Error(), ": "+tt.field+":")
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		json string
	}{
		{"unknown field", strings.Replace(validJSON, `"mspId"`, `"colour": "red", "mspId"`, 1)},
		{"bad duration", strings.Replace(validJSON, `"2s"`, `"soon"`, 1)},
		{"not json", `{`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tt.json))
			require.ErrorIs(t, err, config.ErrInvalid)
		})
	}
}

func TestLoadFromEnv(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gw.json")
	require.NoError(t, os.WriteFile(p, []byte(validJSON), 0o600))
	t.Setenv(config.EnvPath, p)
	cfg, err := config.Load("")
	require.NoError(t, err)
	require.Equal(t, "ShanghaiMSP", cfg.MSPID)

	t.Setenv(config.EnvPath, "")
	_, err = config.Load("")
	require.ErrorIs(t, err, config.ErrInvalid)
}
