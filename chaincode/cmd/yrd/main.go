// Command yrd serves the YRD settlement chaincode as an external service
// (chaincode as a service): the peer dials it at the address in the
// package's connection.json.
//
// Configuration comes from flags, each with an environment override:
//
//	-address  CHAINCODE_SERVER_ADDRESS  listen address, e.g. 127.0.0.1:7052
//	-id       CHAINCODE_ID              package ID the peer knows this chaincode by
//	-tls-cert CHAINCODE_TLS_CERT        PEM server certificate (TLS is on when set)
//	-tls-key  CHAINCODE_TLS_KEY         PEM server key
//	-tls-client-ca CHAINCODE_TLS_CLIENT_CA  PEM CA of peers' client certificates (optional)
//
// The token contract reads the provinces' MSP IDs from YRD_ORGS
// (comma-separated; default ShanghaiMSP,JiangsuMSP,ZhejiangMSP,AnhuiMSP).
// Every peer must use the same list: key-level policies are derived from it.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/system"
	"github.com/yangtze-delta/settlement/chaincode/tokencc"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := run(); err != nil {
		log.Fatalf("yrd chaincode: %v", err)
	}
}

func run() error {
	fs := flag.NewFlagSet("yrd", flag.ContinueOnError)
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

	tokenCfg := tokencc.DefaultConfig()
	if orgs := os.Getenv("YRD_ORGS"); orgs != "" {
		tokenCfg.Orgs = tokencc.ParseOrgs(orgs)
	}
	token, err := tokencc.New(tokenCfg)
	if err != nil {
		return fmt.Errorf("token contract (YRD_ORGS=%q): %w", os.Getenv("YRD_ORGS"), err)
	}

	cc, err := contractapi.NewChaincode(system.New(version), token)
	if err != nil {
		return fmt.Errorf("build chaincode: %w", err)
	}
	cc.Info.Title = "yrd"
	cc.Info.Version = version

	tlsProps, err := loadTLS(*certFile, *keyFile, *clientCA)
	if err != nil {
		return err
	}
	server := &shim.ChaincodeServer{CCID: *ccid, Address: *addr, CC: cc, TLSProps: tlsProps}
	log.Printf("yrd chaincode %s serving %s at %s (tls=%t)", version, *ccid, *addr, !tlsProps.Disabled)
	return server.Start()
}

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
