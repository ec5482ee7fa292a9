package keypolicy

import (
	"testing"
)

const (
	sh = "ShanghaiMSP"
	js = "JiangsuMSP"
	zj = "ZhejiangMSP"
	ah = "AnhuiMSP"
)

func TestOwnerAndQuorum(t *testing.T) {
	s, err := New([]string{sh, js, zj, ah}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := s.Owner(sh)
	if err != nil {
		t.Fatal(err)
	}
	if got := Describe(owner); got != "AND(ShanghaiMSP, 2 of [AnhuiMSP JiangsuMSP ZhejiangMSP])" {
		t.Fatalf("owner policy %s", got)
	}
	for _, tc := range []struct {
		name   string
		policy []byte
		peers  []string
		want   bool
	}{
		{"owner alone", owner, []string{sh}, false},
		{"owner plus one", owner, []string{sh, js}, false},
		{"owner plus two", owner, []string{sh, js, ah}, true},
		{"three others without owner", owner, []string{js, zj, ah}, false},
		{"owner twice plus one", owner, []string{sh, sh, js}, false},
		{"quorum of two", s.Quorum(), []string{sh, js}, false},
		{"quorum of three", s.Quorum(), []string{sh, js, zj}, true},
		{"one org three times", s.Quorum(), []string{sh, sh, sh}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Satisfied(tc.policy, tc.peers)
			if err != nil || got != tc.want {
				t.Fatalf("Satisfied(%s, %v) = %v, %v; want %v", Describe(tc.policy), tc.peers, got, err, tc.want)
			}
		})
	}
	if _, err := s.Owner("EvilMSP"); err == nil {
		t.Fatal("policy for an unknown MSP")
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := New([]string{sh, js, zj, ah}, 2, 3)
	b, _ := New([]string{ah, zj, js, sh}, 2, 3)
	oa, _ := a.Owner(zj)
	ob, _ := b.Owner(zj)
	if string(oa) != string(ob) || string(a.Quorum()) != string(b.Quorum()) {
		t.Fatal("policies depend on the order of the org list")
	}
}

func TestNewRefuses(t *testing.T) {
	for name, f := range map[string]func() error{
		"one org":   func() error { _, err := New([]string{sh}, 1, 1); return err },
		"duplicate": func() error { _, err := New([]string{sh, sh}, 1, 1); return err },
		"others":    func() error { _, err := New([]string{sh, js}, 2, 1); return err },
		"quorum":    func() error { _, err := New([]string{sh, js}, 1, 3); return err },
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
