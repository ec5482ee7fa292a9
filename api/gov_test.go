package api_test

import (
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

var four = []string{"AnhuiMSP", "JiangsuMSP", "ShanghaiMSP", "ZhejiangMSP"}

// prefixes are the bank-code prefixes of the four provinces (and of a
// fifth for larger channels).
var prefixes = map[string]string{"AnhuiMSP": "AH-", "JiangsuMSP": "JS-", "ShanghaiMSP": "SH-", "ZhejiangMSP": "ZJ-", "FujianMSP": "FJ-"}

// cfgOf is a configuration of orgs, each with its prefix from prefixes.
func cfgOf(orgs []string, ownerEndorsers, quorum int) api.Config {
	c := api.Config{Orgs: orgs, BankPrefixes: map[string]string{}, OwnerEndorsers: ownerEndorsers, Quorum: quorum}
	for _, o := range orgs {
		c.BankPrefixes[o] = prefixes[o]
	}
	return c
}

// with returns c with its bank prefixes replaced by p.
func with(c api.Config, p map[string]string) api.Config { c.BankPrefixes = p; return c }

func TestConfigValidate(t *testing.T) {
	skew := func(s int) api.Config { c := cfgOf(four, 2, 3); c.MaxClockSkewSeconds = s; return c }
	five := []string{"AnhuiMSP", "FujianMSP", "JiangsuMSP", "ShanghaiMSP", "ZhejiangMSP"}
	tests := []struct {
		name string
		cfg  api.Config
		code api.Code
	}{
		{"the four provinces", cfgOf(four, 2, 3), ""},
		{"four provinces, every other endorses, all approve", cfgOf(four, 3, 4), ""},
		{"two provinces", cfgOf(four[:2], 1, 2), ""},
		{"three provinces", cfgOf(four[:3], 1, 2), ""},
		{"five provinces at the minimums", cfgOf(five, 2, 3), ""},
		{"an explicit skew", skew(3600), ""},
		{"one province", cfgOf(four[:1], 1, 1), api.CodeInvalidArgument},
		{"unsorted", cfgOf([]string{"JiangsuMSP", "AnhuiMSP"}, 1, 2), api.CodeInvalidArgument},
		{"a province twice", cfgOf([]string{"AnhuiMSP", "AnhuiMSP"}, 1, 2), api.CodeInvalidArgument},
		{"a bad MSP ID", with(cfgOf([]string{"Anhui MSP", "JiangsuMSP"}, 1, 2), map[string]string{"Anhui MSP": "AH-", "JiangsuMSP": "JS-"}), api.CodeInvalidArgument},
		{"no other endorser", cfgOf(four, 0, 3), api.CodeInvalidArgument},
		{"more other endorsers than others", cfgOf(four, 4, 3), api.CodeInvalidArgument},
		{"no quorum", cfgOf(four, 2, 0), api.CodeInvalidArgument},
		{"a quorum above the provinces", cfgOf(four, 2, 5), api.CodeInvalidArgument},
		{"a negative skew", skew(-1), api.CodeInvalidArgument},
		{"a skew above an hour", skew(3601), api.CodeInvalidArgument},
		// Minimums: whatever the first admin writes, no minority decides.
		{"a quorum of one", cfgOf(four, 2, 1), api.CodeInvalidArgument},
		{"a quorum of half the provinces", cfgOf(four, 2, 2), api.CodeInvalidArgument},
		{"the owner and one other of four", cfgOf(four, 1, 3), api.CodeInvalidArgument},
		{"a quorum of half of two", cfgOf(four[:2], 1, 1), api.CodeInvalidArgument},
		{"five provinces, a quorum of two", cfgOf(five, 2, 2), api.CodeInvalidArgument},
		{"five provinces, the owner and one other", cfgOf(five, 1, 3), api.CodeInvalidArgument},
		// Bank prefixes.
		{"no bank prefixes", with(cfgOf(four, 2, 3), nil), api.CodeInvalidArgument},
		{"a province without a prefix", with(cfgOf(four, 2, 3), map[string]string{"AnhuiMSP": "AH-", "JiangsuMSP": "JS-", "ShanghaiMSP": "SH-"}), api.CodeInvalidArgument},
		{"a prefix for an MSP that is not a province", with(cfgOf(four[:2], 1, 2), map[string]string{"AnhuiMSP": "AH-", "JiangsuMSP": "JS-", "EvilMSP": "EV-"}), api.CodeInvalidArgument},
		{"an empty prefix", with(cfgOf(four[:2], 1, 2), map[string]string{"AnhuiMSP": "", "JiangsuMSP": "JS-"}), api.CodeInvalidArgument},
		{"a lower-case prefix", with(cfgOf(four[:2], 1, 2), map[string]string{"AnhuiMSP": "ah-", "JiangsuMSP": "JS-"}), api.CodeInvalidArgument},
		{"a prefix with a namespace separator", with(cfgOf(four[:2], 1, 2), map[string]string{"AnhuiMSP": "AH:", "JiangsuMSP": "JS-"}), api.CodeInvalidArgument},
		{"a prefix as long as a bank code", with(cfgOf(four[:2], 1, 2), map[string]string{"AnhuiMSP": "AH-0123456789ABC", "JiangsuMSP": "JS-"}), api.CodeInvalidArgument},
		{"the longest prefix", with(cfgOf(four[:2], 1, 2), map[string]string{"AnhuiMSP": "AH-0123456789AB", "JiangsuMSP": "JS-"}), ""},
		{"two provinces with one prefix", with(cfgOf(four[:2], 1, 2), map[string]string{"AnhuiMSP": "AH-", "JiangsuMSP": "AH-"}), api.CodeInvalidArgument},
		{"a prefix that starts another", with(cfgOf(four[:2], 1, 2), map[string]string{"AnhuiMSP": "AH", "JiangsuMSP": "AH-JS-"}), api.CodeInvalidArgument},
		{"a prefix that another starts", with(cfgOf(four[:2], 1, 2), map[string]string{"AnhuiMSP": "AH-X", "JiangsuMSP": "AH-"}), api.CodeInvalidArgument},
		{"prefixes without a dash", with(cfgOf(four[:2], 1, 2), map[string]string{"AnhuiMSP": "A", "JiangsuMSP": "J"}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { codeIs(t, tt.cfg.Validate(), tt.code) })
	}
	c := api.Config{Orgs: four}
	if c.ClockSkew() != api.DefaultMaxClockSkew || api.DefaultMaxClockSkew != 300*time.Second {
		t.Fatalf("default skew %s", c.ClockSkew())
	}
	c.MaxClockSkewSeconds = 42
	if c.ClockSkew() != 42*time.Second {
		t.Fatalf("skew %s", c.ClockSkew())
	}
	if !c.HasOrg("JiangsuMSP") || c.HasOrg("EvilMSP") || c.HasOrg("") {
		t.Fatal("HasOrg")
	}
}

// TestOwnsBank: a bank code belongs to the province whose prefix it
// extends, and to no other.
func TestOwnsBank(t *testing.T) {
	c := cfgOf(four, 2, 3)
	tests := []struct {
		msp, bank string
		want      bool
	}{
		{"ShanghaiMSP", "SH-CITY", true},
		{"ShanghaiMSP", "SH-PBC", true},
		{"JiangsuMSP", "JS-ABC", true},
		{"ShanghaiMSP", "JS-ABC", false},
		{"JiangsuMSP", "SH-CITY", false},
		{"ShanghaiMSP", "SH-", false}, // the prefix alone names no bank
		{"ShanghaiMSP", "SH", false},
		{"ShanghaiMSP", "XSH-CITY", false},
		{"ShanghaiMSP", "", false},
		{"EvilMSP", "SH-CITY", false},
		{"EvilMSP", "EV-CITY", false},
	}
	for _, tt := range tests {
		t.Run(tt.msp+"/"+tt.bank, func(t *testing.T) {
			if got := c.OwnsBank(tt.msp, tt.bank); got != tt.want {
				t.Fatalf("OwnsBank(%s, %q) = %v, want %v", tt.msp, tt.bank, got, tt.want)
			}
			msp, ok := c.ProvinceOfBank(tt.bank)
			if tt.want && (msp != tt.msp || !ok) {
				t.Fatalf("ProvinceOfBank(%q) = %q %v, want %s", tt.bank, msp, ok, tt.msp)
			}
			if !tt.want && msp == tt.msp {
				t.Fatalf("ProvinceOfBank(%q) = %q", tt.bank, msp)
			}
		})
	}
	if _, ok := (&api.Config{}).ProvinceOfBank("SH-CITY"); ok {
		t.Fatal("a configuration without prefixes places a bank")
	}
}

func TestRuleOf(t *testing.T) {
	tests := []struct {
		action api.Action
		want   api.Rule
		ok     bool
	}{
		{api.ActionMint, api.Rule{Role: api.RoleIssuer, Provinces: 3, Identities: 3}, true},
		{api.ActionRedeem, api.Rule{Role: api.RoleIssuer, Provinces: 3, Identities: 3}, true},
		{api.ActionCeiling, api.Rule{Role: api.RoleIssuer, Provinces: 3, Identities: 3}, true},
		{api.ActionConfig, api.Rule{Role: api.RoleAdmin, Provinces: 3, Identities: 3}, true},
		{"transfer", api.Rule{}, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			got, ok := api.RuleOf(tt.action, 3)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("RuleOf = %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestProposeRequestValidate(t *testing.T) {
	mint := &api.MintParams{Account: "SH-PBC:reserve", Amount: money.Yuan(10), ReserveRef: "deposit-1"}
	redeem := &api.RedeemParams{Account: "SH-PBC:reserve", Amount: money.Yuan(10)}
	ceiling := &api.CeilingParams{MSP: "ShanghaiMSP", Ceiling: money.Yuan(1000)}
	c4 := cfgOf(four, 2, 3)
	cfg := &c4
	maxTTL := int(api.MaxProposalTTL / time.Second)
	tests := []struct {
		name string
		req  api.ProposeRequest
		code api.Code
	}{
		{"mint", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint, Mint: mint}, ""},
		{"redeem", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionRedeem, Redeem: redeem}, ""},
		{"ceiling", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionCeiling, Ceiling: ceiling}, ""},
		{"a zero ceiling", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: "ShanghaiMSP"}}, ""},
		{"config", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionConfig, Config: cfg}, ""},
		{"the longest lifetime", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint, Mint: mint, TTLSeconds: maxTTL}, ""},
		{"a lifetime too long", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint, Mint: mint, TTLSeconds: maxTTL + 1}, api.CodeInvalidArgument},
		{"a negative lifetime", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint, Mint: mint, TTLSeconds: -1}, api.CodeInvalidArgument},
		{"an ID without namespace", api.ProposeRequest{ID: "p1", Action: api.ActionMint, Mint: mint}, api.CodeInvalidArgument},
		{"an unknown action", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: "transfer", Mint: mint}, api.CodeInvalidArgument},
		{"no parameters", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint}, api.CodeInvalidArgument},
		{"another action's parameters", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint, Redeem: redeem}, api.CodeInvalidArgument},
		{"two actions' parameters", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint, Mint: mint, Ceiling: ceiling}, api.CodeInvalidArgument},
		{"a zero mint", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint, Mint: &api.MintParams{Account: "SH-PBC:reserve", ReserveRef: "d"}}, api.CodeInvalidArgument},
		{"a negative mint", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint, Mint: &api.MintParams{Account: "SH-PBC:reserve", Amount: -1, ReserveRef: "d"}}, api.CodeInvalidArgument},
		{"a mint without reserve reference", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint, Mint: &api.MintParams{Account: "SH-PBC:reserve", Amount: 1}}, api.CodeInvalidArgument},
		{"a mint into an account without namespace", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionMint, Mint: &api.MintParams{Account: "reserve", Amount: 1, ReserveRef: "d"}}, api.CodeInvalidArgument},
		{"a zero redemption", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionRedeem, Redeem: &api.RedeemParams{Account: "SH-PBC:reserve"}}, api.CodeInvalidArgument},
		{"a negative ceiling", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionCeiling, Ceiling: &api.CeilingParams{MSP: "ShanghaiMSP", Ceiling: -1}}, api.CodeInvalidArgument},
		{"a ceiling without province", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionCeiling, Ceiling: &api.CeilingParams{Ceiling: 1}}, api.CodeInvalidArgument},
		{"an invalid config", api.ProposeRequest{ID: "ShanghaiMSP:p1", Action: api.ActionConfig, Config: &api.Config{Orgs: four, Quorum: 9}}, api.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { codeIs(t, tt.req.Validate(), tt.code) })
	}
	others := []struct {
		name string
		err  error
		code api.Code
	}{
		{"proposal ID", (&api.ProposalID{ID: "JiangsuMSP:p"}).Validate(), ""},
		{"proposal ID without namespace", (&api.ProposalID{ID: "p"}).Validate(), api.CodeInvalidArgument},
		{"execute with inputs", (&api.ExecuteRequest{ID: "JiangsuMSP:p", Inputs: []string{"tx.0", "tx.1"}}).Validate(), ""},
		{"execute with an input twice", (&api.ExecuteRequest{ID: "JiangsuMSP:p", Inputs: []string{"tx.0", "tx.0"}}).Validate(), api.CodeInvalidArgument},
		{"ceiling request", (&api.CeilingRequest{MSP: "JiangsuMSP"}).Validate(), ""},
		{"ceiling request without province", (&api.CeilingRequest{}).Validate(), api.CodeInvalidArgument},
	}
	for _, tt := range others {
		t.Run(tt.name, func(t *testing.T) { codeIs(t, tt.err, tt.code) })
	}
}
