package server

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/rest"
)

func TestAuth(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for _, tc := range []struct {
		name, header string
		status       int
		client       string
	}{
		{"missing", "", http.StatusUnauthorized, ""},
		{"unknown token", "Bearer nope", http.StatusUnauthorized, ""},
		{"wrong scheme", "Basic " + token("sh-op"), http.StatusUnauthorized, ""},
		{"empty token", "Bearer ", http.StatusUnauthorized, ""},
		{"operator", "Bearer " + token("sh-op"), http.StatusOK, "sh-op"},
		{"auditor, scheme in lower case", "bearer " + token("sh-aud"), http.StatusOK, "sh-aud"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/whoami", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if tc.status == http.StatusUnauthorized {
				if !strings.Contains(rec.Body.String(), rest.CodeUnauthenticated) || rec.Header().Get("WWW-Authenticate") == "" {
					t.Fatalf("401 without code or challenge: %s", rec.Body)
				}
				return
			}
			var w rest.WhoAmI
			response{body: rec.Body.Bytes()}.decode(t, &w)
			if w.Client != tc.client || w.MSPID != identities[tc.client].MSPID || w.Role != string(identities[tc.client].Role) {
				t.Fatalf("whoami %+v", w)
			}
		})
	}
}

func TestAuthClientCertificate(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	cert := func(cn, issuer string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: []string{"BOCOM"}, Country: []string{"CN"}},
			Issuer: pkix.Name{CommonName: issuer}}
	}
	for _, tc := range []struct {
		name       string
		verified   bool
		cn, issuer string
		status     int
	}{
		{"verified known subject", true, "bocom-backoffice", "ca.shanghai", http.StatusUnauthorized /* no ledger identity in this harness: see below */},
		{"same subject from another CA", true, "bocom-backoffice", "ca.elsewhere", http.StatusUnauthorized},
		{"verified unknown subject", true, "someone", "ca.shanghai", http.StatusUnauthorized},
		{"unverified certificate", false, "bocom-backoffice", "ca.shanghai", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/supply", nil)
			c := cert(tc.cn, tc.issuer)
			req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{c}}
			if tc.verified {
				req.TLS.VerifiedChains = [][]*x509.Certificate{{c}}
			}
			rec := httptest.NewRecorder()
			h.h.ServeHTTP(rec, req)
			if tc.verified && tc.cn == "bocom-backoffice" && tc.issuer == "ca.shanghai" {
				// Authenticated as sh-op-mtls, which has no ledger identity
				// in the in-process network: the ledger refuses the name.
				if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "UNKNOWN_IDENTITY") {
					t.Fatalf("%d %s", rec.Code, rec.Body)
				}
				return
			}
			if rec.Code != tc.status {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestAccessLogNamesClient(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.must(http.StatusOK, "sh-op", "GET", "/v1/whoami", "")
	if !strings.Contains(h.logs.String(), "client=sh-op") {
		t.Fatalf("log: %s", h.logs.String())
	}
}

func TestHealth(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var hl rest.Health
	h.must(http.StatusOK, "", "GET", "/healthz", "").decode(t, &hl)
	h.must(http.StatusOK, "", "GET", "/readyz", "").decode(t, &hl)
	if hl.Status != "ready" || hl.ChaincodeVersion != "inproc" {
		t.Fatalf("readyz %+v", hl)
	}
	var n rest.Network
	h.must(http.StatusOK, "sh-op", "GET", "/v1/network", "").decode(t, &n)
	if n.MSPID != SH || n.ChaincodeVersion != "inproc" {
		t.Fatalf("network %+v", n)
	}
	h.srv.BeginShutdown()
	r := h.do("", "GET", "/readyz", "")
	if r.status != http.StatusServiceUnavailable || r.code(t) != rest.CodeShuttingDown {
		t.Fatalf("readyz while shutting down: %d %s", r.status, r.body)
	}
}
