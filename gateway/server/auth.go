package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/yangtze-delta/settlement/gateway/config"
	"github.com/yangtze-delta/settlement/rest"
)

type ctxKey struct{}

// reqInfoKey holds a *reqInfo that instrument creates and authenticate
// fills, so the access log line names the client.
type reqInfoKey struct{}

type reqInfo struct{ client string }

// clientName returns the authenticated client's name ("" if none).
func clientName(ctx context.Context) string {
	name, _ := ctx.Value(ctxKey{}).(string)
	return name
}

type tokenEntry struct {
	hash [sha256.Size]byte
	name string
}

// authenticator maps credentials to a configured client. The client's name
// is also the ledger identity its requests are signed with.
type authenticator struct {
	tokens   []tokenEntry
	subjects map[string]string
}

func newAuthenticator(clients []config.Client) *authenticator {
	a := &authenticator{subjects: map[string]string{}}
	for _, c := range clients {
		if c.TokenSHA256 != "" {
			var e tokenEntry
			b, err := hex.DecodeString(c.TokenSHA256)
			if err == nil && len(b) == sha256.Size {
				copy(e.hash[:], b)
				e.name = c.Name
				a.tokens = append(a.tokens, e)
			}
		}
		if c.CertSubject != "" {
			a.subjects[c.CertIssuer+"|"+c.CertSubject] = c.Name
		}
	}
	return a
}

// identify returns the client for the request's credentials. A bearer token
// is hashed and compared with every configured hash in constant time; a
// verified TLS client certificate is matched by issuer and subject.
func (a *authenticator) identify(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return "", false
		}
		sum := sha256.Sum256([]byte(token))
		found := ""
		for _, e := range a.tokens {
			if subtle.ConstantTimeCompare(sum[:], e.hash[:]) == 1 {
				found = e.name
			}
		}
		return found, found != ""
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		leaf := r.TLS.VerifiedChains[0][0]
		name, ok := a.subjects[leaf.Issuer.String()+"|"+leaf.Subject.String()]
		return name, ok
	}
	return "", false
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := s.auth.identify(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="yrd-gateway"`)
			s.fail(w, r, newError(rest.CodeUnauthenticated, "missing or unknown credentials"))
			return
		}
		if info, ok := r.Context().Value(reqInfoKey{}).(*reqInfo); ok {
			info.client = name
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, name)))
	})
}
