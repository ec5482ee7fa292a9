// Command yrd serves the YRD settlement chaincode as an external service
// (chaincode as a service): the peer dials it at the address in the
// package's connection.json.
//
// Configuration (listen address, package ID, TLS) is package ccserver's:
// flags with environment overrides (CHAINCODE_SERVER_ADDRESS, CHAINCODE_ID,
// CHAINCODE_TLS_CERT, CHAINCODE_TLS_KEY, CHAINCODE_TLS_CLIENT_CA). The
// provinces and endorsement counts are not configured here: every contract
// reads them from the ledger (gov:Init, package govcc), so that every peer
// uses the same. YRD_CHANNEL_ORGS (-channel-orgs), this province's own list
// of the channel's provinces, is read once at start and passed to the
// governance contract (govcc.SetChannelOrgs): this endorser then refuses a
// gov:Init that names other provinces.
package main

import (
	"log"
	"os"
	"strings"

	"github.com/yangtze-delta/settlement/chaincode/ccserver"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
	"github.com/yangtze-delta/settlement/chaincode/yrdcc"
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
	if err := govcc.SetChannelOrgs(cfg.ChannelOrgs); err != nil {
		return err
	}
	cc, err := yrdcc.New(version)
	if err != nil {
		return err
	}
	log.Printf("yrd chaincode %s (channel orgs %s)", version, orgsOrUnset(cfg.ChannelOrgs))
	return ccserver.Serve(cfg, cc)
}

func orgsOrUnset(orgs []string) string {
	if len(orgs) == 0 {
		return "unset: gov:Init accepts any"
	}
	return strings.Join(orgs, ",")
}
