package api_test

import (
	"testing"
	"time"

	"github.com/yangtze-delta/settlement/api"
	"github.com/yangtze-delta/settlement/money"
)

var four = []string{"AnhuiMSP", "JiangsuMSP", "ShanghaiMSP", "ZhejiangMSP"}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  api.Config
		code api.Code
	}{
		{"the four provinces", api.Config{Orgs: four, OwnerEndorsers: 2, Quorum: 3}, ""},
		{"two provinces", api.Config{Orgs: four[:2], OwnerEndorsers: 1, Quorum: 2}, ""},
		{"an explicit skew", api.Config{Orgs: four, OwnerEndorsers: 2, Quorum: 3, MaxClockSkewSeconds: 3600}, ""},
		{"one province", api.Config{Orgs: four[:1], OwnerEndorsers: 1, Quorum: 1}, api.CodeInvalidArgument},
		{"unsorted", api.Config{Orgs: []string{"JiangsuMSP", "AnhuiMSP"}, OwnerEndorsers: 1, Quorum: 2}, api.CodeInvalidArgument},
		{"a province twice", api.Config{Orgs: []string{"AnhuiMSP", "AnhuiMSP"}, OwnerEndorsers: 1, Quorum: 2}, api.CodeInvalidArgument},
		{"a bad MSP ID", api.Config{Orgs: []string{"Anhui MSP", "JiangsuMSP"}, OwnerEndorsers: 1, Quorum: 2}, api.CodeInvalidArgument},
		{"no other endorser", api.Config{Orgs: four, OwnerEndorsers: 0, Quorum: 3}, api.CodeInvalidArgument},
		{"more other endorsers than others", api.Config{Orgs: four, OwnerEndorsers: 4, Quorum: 3}, api.CodeInvalidArgument},
		{"no quorum", api.Config{Orgs: four, OwnerEndorsers: 2, Quorum: 0}, api.CodeInvalidArgument},
		{"a quorum above the provinces", api.Config{Orgs: four, OwnerEndorsers: 2, Quorum: 5}, api.CodeInvalidArgument},
		{"a negative skew", api.Config{Orgs: four, OwnerEndorsers: 2, Quorum: 3, MaxClockSkewSeconds: -1}, api.CodeInvalidArgument},
		{"a skew above an hour", api.Config{Orgs: four, OwnerEndorsers: 2, Quorum: 3, MaxClockSkewSeconds: 3601}, api.CodeInvalidArgument},
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
	cfg := &api.Config{Orgs: four, OwnerEndorsers: 2, Quorum: 3}
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
