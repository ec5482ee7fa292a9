package ccserver

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseFlags(t *testing.T) {
	env := map[string]string{"CHAINCODE_SERVER_ADDRESS": "127.0.0.1:9999"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name    string
		args    []string
		want    Config
		wantErr bool
	}{
		{"env address, flag id", []string{"-id", "yrd_v1:abc"}, Config{Address: "127.0.0.1:9999", ID: "yrd_v1:abc"}, false},
		{"flag wins over env", []string{"-id", "x", "-address", "127.0.0.1:1"}, Config{Address: "127.0.0.1:1", ID: "x"}, false},
		{"id missing", nil, Config{}, true},
		{"unknown flag", []string{"-nope"}, Config{}, true},
		{"channel orgs", []string{"-id", "x", "-channel-orgs", "AnhuiMSP,JiangsuMSP,ShanghaiMSP,ZhejiangMSP"},
			Config{Address: "127.0.0.1:9999", ID: "x", ChannelOrgs: []string{"AnhuiMSP", "JiangsuMSP", "ShanghaiMSP", "ZhejiangMSP"}}, false},
		{"channel orgs unsorted", []string{"-id", "x", "-channel-orgs", "JiangsuMSP,AnhuiMSP"}, Config{}, true},
		{"channel orgs with a province twice", []string{"-id", "x", "-channel-orgs", "AnhuiMSP,AnhuiMSP"}, Config{}, true},
		{"channel orgs with an empty entry", []string{"-id", "x", "-channel-orgs", "AnhuiMSP,,JiangsuMSP"}, Config{}, true},
		{"channel orgs with spaces", []string{"-id", "x", "-channel-orgs", "AnhuiMSP, JiangsuMSP"}, Config{}, true},
		{"channel orgs of one province", []string{"-id", "x", "-channel-orgs", "AnhuiMSP"}, Config{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFlags("test", tc.args, getenv)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %t", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestChannelOrgsFromEnv: the network scripts set YRD_CHANNEL_ORGS for
// every chaincode server; a malformed value stops the server at start.
func TestChannelOrgsFromEnv(t *testing.T) {
	env := map[string]string{"CHAINCODE_SERVER_ADDRESS": "127.0.0.1:9999", "CHAINCODE_ID": "x",
		"YRD_CHANNEL_ORGS": "AnhuiMSP,JiangsuMSP,ShanghaiMSP,ZhejiangMSP"}
	c, err := ParseFlags("test", nil, func(k string) string { return env[k] })
	if err != nil || !reflect.DeepEqual(c.ChannelOrgs, []string{"AnhuiMSP", "JiangsuMSP", "ShanghaiMSP", "ZhejiangMSP"}) {
		t.Fatalf("%+v %v", c, err)
	}
	env["YRD_CHANNEL_ORGS"] = "ZhejiangMSP,AnhuiMSP"
	if _, err := ParseFlags("test", nil, func(k string) string { return env[k] }); err == nil {
		t.Fatal("unsorted YRD_CHANNEL_ORGS accepted")
	}
	delete(env, "YRD_CHANNEL_ORGS")
	if c, err := ParseFlags("test", nil, func(k string) string { return env[k] }); err != nil || c.ChannelOrgs != nil {
		t.Fatalf("unset: %+v %v", c, err)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := os.WriteFile(cert, []byte("C"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, []byte("K"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := (Config{}).tls(); err != nil || !p.Disabled {
		t.Fatalf("no files: %+v %v, want TLS disabled", p, err)
	}
	p, err := Config{TLSCert: cert, TLSKey: key}.tls()
	if err != nil || p.Disabled || string(p.Cert) != "C" || string(p.Key) != "K" {
		t.Fatalf("with files: %+v %v", p, err)
	}
	if _, err := (Config{TLSCert: cert, TLSKey: filepath.Join(dir, "missing")}).tls(); err == nil {
		t.Fatal("missing key file accepted")
	}
}
