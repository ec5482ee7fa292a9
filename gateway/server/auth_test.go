package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAuth(t *testing.T) {
	tests := []struct {
		name   string
		header string
		status int
		client string
	}{
		{"missing", "", http.StatusUnauthorized, ""},
		{"unknown token", "Bearer nope", http.StatusUnauthorized, ""},
		{"wrong scheme", "Basic " + tokenBank, http.StatusUnauthorized, ""},
		{"empty token", "Bearer ", http.StatusUnauthorized, ""},
		{"bank", "Bearer " + tokenBank, http.StatusOK, "icbc-sh"},
		{"auditor", "bearer " + tokenAuditor, http.StatusOK, "audit-sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.ledger.on(fnWhoAmI, returns(`{"mspId":"ShanghaiMSP","role":"operator"}`))
			req := httptest.NewRequest("GET", "/v1/whoami", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			require.Equal(t, tt.status, rec.Code)
			if tt.status == http.StatusUnauthorized {
				require.Contains(t, rec.Body.String(), CodeUnauthenticated)
				require.NotEmpty(t, rec.Header().Get("WWW-Authenticate"))
				require.Empty(t, e.ledger.calls, "no Fabric call without credentials")
				return
			}
			require.Equal(t, tt.client, e.ledger.callsTo(fnWhoAmI)[0].identity)
		})
	}
}

func TestAuthClientCertificate(t *testing.T) {
	e := newEnv(t)
	e.ledger.on(fnWhoAmI, returns(`{}`))
	cert := func(cn string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: []string{"BOCOM"}, Country: []string{"CN"}}}
	}
	for _, tt := range []struct {
		name     string
		verified bool
		cn       string
		status   int
	}{
		{"verified known subject", true, "bocom-backoffice", http.StatusOK},
		{"verified unknown subject", true, "someone", http.StatusUnauthorized},
		{"unverified certificate", false, "bocom-backoffice", http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/whoami", nil)
			c := cert(tt.cn)
			req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{c}}
			if tt.verified {
				req.TLS.VerifiedChains = [][]*x509.Certificate{{c}}
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			require.Equal(t, tt.status, rec.Code)
		})
	}
	require.Equal(t, "bocom-sh", e.ledger.callsTo(fnWhoAmI)[0].identity)
}

func TestAccessLogNamesClient(t *testing.T) {
	var buf syncBuffer
	e := newEnv(t)
	e.srv.log = slog.New(slog.NewTextHandler(&buf, nil))
	e.ledger.on(fnWhoAmI, returns(`{}`))
	e.do("GET", "/v1/whoami", "")
	require.Contains(t, buf.String(), "client=icbc-sh")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
