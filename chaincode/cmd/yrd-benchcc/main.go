// Command yrd-benchcc serves the benchmark chaincode "yrdbench" (package
// chaincode/benchcc) as an external service, beside the yrd chaincode. It is
// a yardstick for yrd-bench and never part of yrd.
//
// Configuration is the same as cmd/yrd's, flags with environment overrides:
//
//	-address  CHAINCODE_SERVER_ADDRESS  listen address, e.g. 127.0.0.1:7058
//	-id       CHAINCODE_ID              package ID the peer knows this chaincode by
//	-tls-cert CHAINCODE_TLS_CERT        PEM server certificate (TLS is on when set)
//	-tls-key  CHAINCODE_TLS_KEY         PEM server key
//	-tls-client-ca CHAINCODE_TLS_CLIENT_CA  PEM CA of peers' client certificates (optional)
//
// Functions: bench:Put, bench:Open, bench:Transfer, bench:Balance (bench is
// the default contract, so "Balance" works unqualified), and the system
// contract (system:Version).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/benchcc"
	"github.com/yangtze-delta/settlement/chaincode/system"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := run(); err != nil {
		log.Fatalf("yrd-benchcc: %v", err)
	}
}

func run() error {
	fs := flag.NewFlagSet("yrd-benchcc", flag.ContinueOnError)
	addr := fs.String("address", os.Getenv("CHAINCODE_SERVER_ADDRESS"), "listen address")
	ccid := fs.String("id", os.Getenv("CHAINCODE_ID"), "chaincode package ID")
	certFile := fs.String("tls-cert", os.Getenv("CHAINCODE_TLS_CERT"), "TLS certificate file")
	keyFile := fs.String("tls-key", os.Getenv("CHAINCODE_TLS_KEY"), "TLS key file")
	clientCA := fs.String("tls-client-ca", os.Getenv("CHAINCODE_TLS_CLIENT_CA"), "client CA file")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	if *addr == "" || *ccid == "" {
		return fmt.Errorf("both -address and -id are required")
	}

	cc, err := contractapi.NewChaincode(benchcc.New(), system.New(version))
	if err != nil {
		return fmt.Errorf("build chaincode: %w", err)
	}
	cc.Info.Title = "yrdbench"
	cc.Info.Version = version

	tlsProps, err := loadTLS(*certFile, *keyFile, *clientCA)
	if err != nil {
		return err
	}
	server := &shim.ChaincodeServer{CCID: *ccid, Address: *addr, CC: cc, TLSProps: tlsProps}
	log.Printf("yrd-benchcc %s serving %s at %s (tls=%t)", version, *ccid, *addr, !tlsProps.Disabled)
	return server.Start()
}

// loadTLS is cmd/yrd's: TLS is off only when neither certificate nor key is set.
func loadTLS(certFile, keyFile, clientCA string) (shim.TLSProperties, error) {
	if certFile == "" && keyFile == "" {
		return shim.TLSProperties{Disabled: true}, nil
	}
	var p shim.TLSProperties
	var err error
	if p.Cert, err = os.ReadFile(certFile); err != nil {
		return p, fmt.Errorf("read TLS certificate: %w", err)
	}
	if p.Key, err = os.ReadFile(keyFile); err != nil {
		return p, fmt.Errorf("read TLS key: %w", err)
	}
	if clientCA != "" {
		if p.ClientCACerts, err = os.ReadFile(clientCA); err != nil {
			return p, fmt.Errorf("read TLS client CA: %w", err)
		}
	}
	return p, nil
}
