package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"github.com/yangtze-delta/settlement/rest"
)

// pageTokens turns the chaincode's page bookmarks (ledger keys) into opaque
// tokens that clients cannot forge: base64url(bookmark || tag), where tag is
// an HMAC-SHA256 (truncated to 16 bytes) over the scope (client, route,
// path) and the bookmark, keyed per gateway. A token from another client,
// another account or another gateway key is refused with 400, and the
// chaincode checks every bookmark against the requested range as well.
type pageTokens struct{ key []byte }

const pageTagLen = 16

func newPageTokens(key []byte) *pageTokens {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return &pageTokens{key: append([]byte(nil), key...)}
}

func (p *pageTokens) tag(scope, bookmark string) []byte {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(bookmark))
	return m.Sum(nil)[:pageTagLen]
}

// seal returns the token for bookmark; "" (no more pages) stays "".
func (p *pageTokens) seal(scope, bookmark string) string {
	if bookmark == "" {
		return ""
	}
	b := append([]byte(bookmark), p.tag(scope, bookmark)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// open verifies a token and returns its bookmark; "" opens to "".
func (p *pageTokens) open(scope, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) <= pageTagLen {
		return "", newError(rest.CodeInvalidRequest, "bookmark is not a page token this API returned")
	}
	bm, tag := b[:len(b)-pageTagLen], b[len(b)-pageTagLen:]
	if !hmac.Equal(tag, p.tag(scope, string(bm))) {
		return "", newError(rest.CodeInvalidRequest, "bookmark is not a page token this API returned for this client and list")
	}
	return string(bm), nil
}
