// Command yrd-benchcc serves the benchmark chaincode "yrdbench" (package
// chaincode/benchcc) as an external service, beside the yrd chaincode. It is
// a yardstick for yrd-bench and never part of yrd.
//
// Configuration (listen address, package ID, TLS) is package ccserver's:
// flags with environment overrides (CHAINCODE_SERVER_ADDRESS, CHAINCODE_ID,
// CHAINCODE_TLS_CERT, CHAINCODE_TLS_KEY, CHAINCODE_TLS_CLIENT_CA).
//
// Functions: bench:Put, bench:Open, bench:Transfer, bench:Balance (bench is
// the default contract, so "Balance" works unqualified), and the system
// contract (system:Version).
package main

import (
	"log"
	"os"

	"github.com/yangtze-delta/settlement/chaincode/ccserver"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := run(); err != nil {
		log.Fatalf("yrd-benchcc: %v", err)
	}
}

func run() error {
	cfg, err := ccserver.ParseFlags("yrd-benchcc", os.Args[1:], os.Getenv)
	if err != nil {
		return err
	}
	cc, err := yrdcc.NewBench(version)
	if err != nil {
		return err
	}
	return ccserver.Serve(cfg, cc)
}
