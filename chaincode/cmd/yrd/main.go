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
//
// YRD_PPROF_LISTEN (off when unset) serves Go's net/http/pprof on that
// address, which must be a loopback one (127.0.0.1:PORT, [::1]:PORT or
// localhost:PORT): network.sh sets it with YRD_PROFILE=1 for `make profile`.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

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
	if err := servePprof(os.Getenv("YRD_PPROF_LISTEN")); err != nil {
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

// servePprof serves the pprof handlers on addr (nothing when addr is
// empty); it refuses an address that is not loopback, and fails when the
// address cannot be bound.
func servePprof(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("YRD_PPROF_LISTEN %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("YRD_PPROF_LISTEN %q: pprof is served on a loopback address only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("YRD_PPROF_LISTEN: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("pprof on http://%s/debug/pprof/", ln.Addr())
	go func() { log.Printf("pprof server stopped: %v", srv.Serve(ln)) }()
	return nil
}
