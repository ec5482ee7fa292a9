package testnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeepLogs(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	if err := os.MkdirAll(filepath.Join(state, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "logs", "peer-anhui.log"), []byte("boom\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir, err := (&Network{StateDir: state}).KeepLogs()
	if err != nil {
		t.Fatal(err)
	}
	if dir != state+".failed-logs" {
		t.Fatalf("kept in %s", dir)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "peer-anhui.log")); err != nil || string(b) != "boom\n" {
		t.Fatalf("copied log: %q %v", b, err)
	}
}

func TestPortPlan(t *testing.T) {
	n := &Network{PortBase: 30000, StateDir: "/s"}
	tests := []struct {
		name, got, want string
	}{
		{"shanghai peer", n.PeerEndpoint(Provinces[0]), "127.0.0.1:30005"},
		{"anhui peer", n.PeerEndpoint(Provinces[3]), "127.0.0.1:30065"},
		{"jiangsu gateway", n.GatewayURL(Provinces[1]), "http://127.0.0.1:30029"},
		{"zhejiang ops", n.PeerOperationsURL(Provinces[2]), "http://127.0.0.1:30047"},
		{"zhejiang CA file", n.CAFile(Provinces[2]), "/s/orgs/zhejiang/msp/cacerts/ca.pem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %s, want %s (must match test-network-scripts/lib/common.sh)", tc.got, tc.want)
			}
		})
	}
}

func TestStartRefusesUnknownConsensus(t *testing.T) {
	root := t.TempDir()
	_, err := Start(t.Context(), Options{Root: root, Bin: root, StateDir: filepath.Join(root, "state"), PortBase: 30000, Consensus: "pbft"})
	if err == nil || !strings.Contains(err.Error(), `"pbft"`) {
		t.Fatalf("Start with consensus pbft: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "state")); !os.IsNotExist(err) {
		t.Fatalf("state dir touched: %v", err)
	}
}

// The e2e networks' ports stay below the kernel's ephemeral range, where a
// connection's local port could take a port of a node that is down.
func TestFreePortBaseBelowEphemeralRange(t *testing.T) {
	base, err := freePortBase()
	if err != nil {
		t.Fatal(err)
	}
	if base < portsFrom || base+portBlock > portsTo {
		t.Fatalf("port base %d outside [%d, %d)", base, portsFrom, portsTo)
	}
	if lo, ok := ephemeralLow(); ok && lo >= portsFrom+portBlock && base+portBlock > lo {
		t.Fatalf("port block %d–%d reaches the ephemeral range from %d", base, base+portBlock-1, lo)
	}
}
