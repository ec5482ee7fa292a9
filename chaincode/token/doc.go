// Package token holds the money rules of the tokenized yuan as plain Go:
// accounts and their tiers, unspent outputs, and the planning of mints,
// redemptions, transfers and merges. Nothing here imports Fabric: the
// contract layer (package tokencc) reads ledger state, hands it to these
// functions as values and writes back what they return.
//
// Every function is deterministic: the transaction ID and the transaction
// timestamp are passed in, output IDs derive from them, and no map order
// decides anything.
//
// Errors that callers branch on are *Error values carrying a stable Code;
// Error() renders "CODE: message", which the gateway parses from Fabric's
// error text, so that format is part of the API.
package token
