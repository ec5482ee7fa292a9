package govcc_test

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/chaincode/govcc"
)

// scripts runs bash with the network scripts' libraries loaded and returns
// what script prints.
func scripts(t *testing.T, script string) string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	lib, err := filepath.Abs(filepath.Join("..", "..", "test-network-scripts", "lib"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, "-c", `set -e; . "$LIB/common.sh"; . "$LIB/chaincode.sh"; `+script)
	cmd.Env = append(cmd.Environ(), "LIB="+lib)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return string(out)
}

// TestDefaultConfigIsTheNetworks: the configuration network.sh writes with
// gov:Init is DefaultConfig, byte for byte as gov:GetConfig answers it
// (the script compares each peer's answer with it); every chaincode server
// is told the same provinces (YRD_CHANNEL_ORGS); and every bank code the
// network's CAs enrol belongs to its own province by DefaultConfig's
// prefixes, and to no other.
func TestDefaultConfigIsTheNetworks(t *testing.T) {
	cfg := govcc.DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := scripts(t, "gov_config"); got != string(want) {
		t.Errorf("gov_config prints\n%s\nDefaultConfig is\n%s", got, want)
	}
	if got := strings.TrimSpace(scripts(t, "channel_orgs")); got != strings.Join(cfg.Orgs, ",") {
		t.Errorf("channel_orgs prints %q, DefaultConfig's orgs are %v", got, cfg.Orgs)
	}
	enrolled := scripts(t, `for org in "${ORGS[@]}"; do for u in "${USERS[@]}"; do echo "${MSP[$org]} $u $(bank_of "$org" "$u")"; done; done`)
	banks := 0
	for _, line := range strings.Split(strings.TrimSpace(enrolled), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue // a user without a bank
		}
		msp, user, bank := f[0], f[1], f[2]
		banks++
		if err := api.ValidateBank("bank", bank); err != nil {
			t.Errorf("%s %s: %v", msp, user, err)
		}
		if got, ok := cfg.ProvinceOfBank(bank); !ok || got != msp {
			t.Errorf("%s's %s is enrolled with bank %s, which DefaultConfig places in %q", msp, user, bank, got)
		}
	}
	if banks < 4*len(cfg.Orgs) {
		t.Fatalf("only %d enrolled banks found:\n%s", banks, enrolled)
	}
}
