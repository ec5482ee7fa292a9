// Package e2e holds the end-to-end suite: it starts a fresh four-province
// network of its own (temp state dir, free ports), runs against real peers,
// orderers, CAs, chaincode servers and gateways, and tears everything down.
// It runs only when YRD_E2E=1 (make test sets it) and needs the binaries
// that `make build` puts in ./bin.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/network/testnet"
)

// net is the network shared by every test in the package.
var net *testnet.Network

func TestMain(m *testing.M) {
	if os.Getenv("YRD_E2E") != "1" {
		fmt.Println("e2e: skipped (set YRD_E2E=1, or run make test-e2e)")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	t0 := time.Now()
	n, err := testnet.Start(ctx, testnet.Options{Gateways: true, BenchChaincode: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: network did not come up:", err)
		if n != nil {
			_ = n.Stop()
		}
		return 1
	}
	fmt.Printf("e2e: network up in %s at port base %d, state %s\n", time.Since(t0).Round(time.Second), n.PortBase, n.StateDir)
	net = n
	defer func() {
		if err := n.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stopping network:", err)
		}
	}()
	code := m.Run()
	if code != 0 {
		if dir, err := n.KeepLogs(); err == nil {
			fmt.Fprintln(os.Stderr, "e2e: failed; the network's logs are kept in", dir)
		}
	}
	return code
}
