// Command yrd serves the YRD settlement chaincode as an external service
// (chaincode as a service): the peer dials it at the address in the
// package's connection.json.
//
// Configuration (listen address, package ID, TLS) is package ccserver's:
// flags with environment overrides (CHAINCODE_SERVER_ADDRESS, CHAINCODE_ID,
// CHAINCODE_TLS_CERT, CHAINCODE_TLS_KEY, CHAINCODE_TLS_CLIENT_CA).
//
// The token contract reads the provinces' MSP IDs from YRD_ORGS
// (comma-separated; default ShanghaiMSP,JiangsuMSP,ZhejiangMSP,AnhuiMSP).
// Every peer must use the same list: key-level policies are derived from it.
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/chaincode/ccserver"
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
	cfg, err := ccserver.ParseFlags("yrd", os.Args[1:], os.Getenv)
	if err != nil {
		return err
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
	log.Printf("yrd chaincode %s", version)
	return ccserver.Serve(cfg, cc)
}
