package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServePprof: pprof is off without an address, refused on anything but
// loopback, and served on a loopback address.
func TestServePprof(t *testing.T) {
	if err := servePprof(""); err != nil {
		t.Fatalf("no address: %v", err)
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "10.1.2.3:6060", "example.com:6060", "127.0.0.1"} {
		if err := servePprof(addr); err == nil {
			t.Errorf("%q was accepted", addr)
		}
	}
	// A free loopback port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if err := servePprof(addr); err != nil {
		t.Fatalf("loopback %s: %v", addr, err)
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), ".test") {
		t.Fatalf("pprof answered %s: %q", resp.Status, b)
	}
	if err := servePprof(addr); err == nil {
		t.Error("a port in use was accepted")
	}
}
