// Package cli is yrdctl: a small operator CLI over the gateway's HTTP API
// (package server). Client is the HTTP side (typed APIError, Server-Sent
// Events reader); Run parses a command line, calls the gateway and prints
// aligned text, or the raw JSON answer with --json. API errors are printed
// as "error CODE: message" with exit status 1; a bad command line exits 2.
//
//	yrdctl --url http://127.0.0.1:8080 --token-file op.token account balance sh-reserve
//	yrdctl pay --id p-1 --from sh-reserve --to js-alice --amount 12.34
//	yrdctl events tail --account js-alice
package cli
