package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"

	"github.com/yangtze-delta/settlement/rest"
)

// customerRefHash is the keyed hash of a customer reference that the
// chaincode stores: HMAC-SHA256(bankKey, reference) with bankKey =
// HMAC-SHA256(gateway secret, bank code). The reference (an ID number, a
// phone number) and the key never leave the gateway, so the hash cannot be
// reversed by enumerating phone numbers, and two banks' hashes of the same
// person differ (no cross-bank linking through the ledger).
func (s *Server) customerRefHash(client, ref string) (string, error) {
	id, ok := s.ids[client]
	if !ok || id.Bank == "" {
		return "", newError(rest.CodeForbidden, "client %s acts for no bank; it cannot open customer accounts", client)
	}
	k := hmac.New(sha256.New, s.secret)
	k.Write([]byte(id.Bank))
	m := hmac.New(sha256.New, k.Sum(nil))
	m.Write([]byte(ref))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// freezeSalt is a fresh random salt for a freeze reason's hash.
func freezeSalt() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}
