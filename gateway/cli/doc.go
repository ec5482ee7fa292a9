// Package cli is yrdctl's command line: it parses a command, calls one
// gateway through package client (the typed client of the HTTP API) and
// prints the typed answer as aligned text, or as one line of JSON with
// --json. Gateway and client errors are printed as "error CODE: message"
// with exit status 1; a bad command line exits 2.
//
//	yrdctl --url http://127.0.0.1:8080 --token-file op.token account balance sh-reserve
//	yrdctl pay --id p-1 --from sh-reserve --to js-alice --amount 12.34
//	yrdctl events tail --account js-alice
package cli
