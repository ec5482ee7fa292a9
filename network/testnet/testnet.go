package testnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Province is one organisation of the network.
type Province struct {
	// Name is the short name used in paths ("shanghai").
	Name string
	// MSPID is the organisation's MSP ID ("ShanghaiMSP").
	MSPID string
	index int
}

// Provinces lists the four provinces in port-plan order.
var Provinces = []Province{
	{Name: "shanghai", MSPID: "ShanghaiMSP", index: 0},
	{Name: "jiangsu", MSPID: "JiangsuMSP", index: 1},
	{Name: "zhejiang", MSPID: "ZhejiangMSP", index: 2},
	{Name: "anhui", MSPID: "AnhuiMSP", index: 3},
}

// Service port offsets inside a province's block (see lib/common.sh).
const (
	offsetOrdererOps = 4
	offsetPeer       = 5
	offsetPeerOps    = 7
	offsetChaincode  = 8
	offsetGateway    = 9
	offsetGatewayOps = 10
	portsPerOrg      = 20
	portBlock        = portsPerOrg * 4
)

// Options configures Start.
type Options struct {
	// Root is the repository root; default: found from the working directory.
	Root string
	// Bin holds the built binaries; default Root/bin (env YRD_BIN wins).
	Bin string
	// StateDir is where the network keeps everything; default a new temp dir.
	StateDir string
	// PortBase is the first port; default a free block found at start.
	PortBase int
	// Gateways starts one yrd-gateway per province when true.
	Gateways bool
	// BenchChaincode also deploys the yrdbench comparison chaincode
	// (bin/yrd-benchcc) when true.
	BenchChaincode bool
	// Consensus is the ordering service: ConsensusRaft or ConsensusBFT;
	// default the environment's YRD_CONSENSUS, else ConsensusRaft. The
	// Fabric binaries are network.sh's: FABRIC_BIN in the environment
	// passes through (docs/network.md).
	Consensus string
	// Log receives network.sh's progress output; default os.Stderr.
	Log *os.File
}

// The ordering services network.sh runs (YRD_CONSENSUS).
const (
	ConsensusRaft = "raft" // etcdraft, channel capability V2_0
	ConsensusBFT  = "bft"  // SmartBFT, channel capability V3_0
)

// Network is a running network.
type Network struct {
	Root, Bin, StateDir string
	PortBase            int
	// Consensus is the network's ordering service (ConsensusRaft or
	// ConsensusBFT).
	Consensus string
	log       *os.File
}

// Start brings a fresh network up and deploys the chaincode. The caller must
// call Stop.
func Start(ctx context.Context, opt Options) (*Network, error) {
	var err error
	if opt.Root == "" {
		if opt.Root, err = repoRoot(); err != nil {
			return nil, err
		}
	}
	if opt.Bin == "" {
		opt.Bin = os.Getenv("YRD_BIN")
	}
	if opt.Bin == "" {
		opt.Bin = filepath.Join(opt.Root, "bin")
	}
	if opt.StateDir == "" {
		if opt.StateDir, err = os.MkdirTemp("", "yrd-e2e-"); err != nil {
			return nil, fmt.Errorf("state dir: %w", err)
		}
		// network.sh creates it; it must not exist with foreign content.
		_ = os.Remove(opt.StateDir)
	}
	if opt.PortBase == 0 {
		if opt.PortBase, err = freePortBase(); err != nil {
			return nil, err
		}
	}
	if opt.Log == nil {
		opt.Log = os.Stderr
	}
	if opt.Consensus == "" {
		opt.Consensus = os.Getenv("YRD_CONSENSUS")
	}
	if opt.Consensus == "" {
		opt.Consensus = ConsensusRaft
	}
	if opt.Consensus != ConsensusRaft && opt.Consensus != ConsensusBFT {
		return nil, fmt.Errorf("testnet: consensus %q: want %q or %q", opt.Consensus, ConsensusRaft, ConsensusBFT)
	}
	n := &Network{Root: opt.Root, Bin: opt.Bin, StateDir: opt.StateDir, PortBase: opt.PortBase, Consensus: opt.Consensus, log: opt.Log}
	env := []string{"YRD_GATEWAYS=" + flag(opt.Gateways), "YRD_BENCH_CC=" + flag(opt.BenchChaincode),
		"YRD_CONSENSUS=" + opt.Consensus}
	if _, err := n.Script(ctx, env, "up"); err != nil {
		return nil, err
	}
	return n, nil
}

// Stop stops every process of the network and removes its state.
func (n *Network) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := n.Script(ctx, nil, "down")
	return err
}

// KeepLogs copies the network's logs next to its state directory (which
// Stop removes), for a failed run to be diagnosed, and returns where.
func (n *Network) KeepLogs() (string, error) {
	dst := strings.TrimSuffix(n.StateDir, "/") + ".failed-logs"
	if err := os.RemoveAll(dst); err != nil {
		return "", err
	}
	return dst, os.CopyFS(dst, os.DirFS(filepath.Join(n.StateDir, "logs")))
}

// Script runs network.sh with args against this network and returns its
// output; progress is also copied to the network's log.
func (n *Network) Script(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(n.Root, "test-network-scripts", "network.sh")}, args...)...)
	cmd.Env = append(os.Environ(),
		"YRD_STATE_DIR="+n.StateDir,
		"YRD_PORT_BASE="+strconv.Itoa(n.PortBase),
		"YRD_BIN="+n.Bin,
		"YRD_OWNER_PID="+strconv.Itoa(os.Getpid()),
	)
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, n.log)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("network.sh %s: %w\n%s", strings.Join(args, " "), err, lastLines(out.String(), 20))
	}
	return out.String(), nil
}

func (n *Network) port(p Province, offset int) int {
	return n.PortBase + portsPerOrg*p.index + offset
}

// PeerEndpoint is the host:port of the province's peer (Gateway service).
func (n *Network) PeerEndpoint(p Province) string {
	return fmt.Sprintf("127.0.0.1:%d", n.port(p, offsetPeer))
}

// PeerOperationsURL is the province peer's operations (metrics) base URL.
func (n *Network) PeerOperationsURL(p Province) string {
	return fmt.Sprintf("http://127.0.0.1:%d", n.port(p, offsetPeerOps))
}

// GatewayURL is the base URL of the province's yrd-gateway.
func (n *Network) GatewayURL(p Province) string {
	return fmt.Sprintf("http://127.0.0.1:%d", n.port(p, offsetGateway))
}

// GatewayMetricsURL is the base URL of the province's yrd-gateway metrics
// listener (/metrics is not served on the API listener).
func (n *Network) GatewayMetricsURL(p Province) string {
	return fmt.Sprintf("http://127.0.0.1:%d", n.port(p, offsetGatewayOps))
}

// CAFile is the province's CA certificate (it signs MSP and TLS certificates).
func (n *Network) CAFile(p Province) string {
	return filepath.Join(n.StateDir, "orgs", p.Name, "msp", "cacerts", "ca.pem")
}

// Identity returns the certificate and key files of a province's user
// (admin, operator, issuer, fiscal, auditor, compliance).
func (n *Network) Identity(p Province, user string) (certFile, keyFile string) {
	d := filepath.Join(n.StateDir, "orgs", p.Name, "users", user, "msp")
	return filepath.Join(d, "signcerts", "cert.pem"), filepath.Join(d, "keystore", "key.pem")
}

// GatewayToken returns the bearer token of a province's user at its gateway.
func (n *Network) GatewayToken(p Province, user string) (string, error) {
	b, err := os.ReadFile(filepath.Join(n.StateDir, "orgs", p.Name, "gateway", "tokens", user))
	return strings.TrimSpace(string(b)), err
}

// RestartChaincode restarts a province's chaincode server with another
// binary under the same package ID (an altered build, for rogue tests).
func (n *Network) RestartChaincode(ctx context.Context, p Province, binary string) error {
	_, err := n.Script(ctx, nil, "cc-restart", p.Name, binary)
	return err
}

// OrdererLeader reports the province whose orderer leads ordering (the
// Raft leader, or the SmartBFT leader of the current view), from the
// orderers' operations metrics.
func (n *Network) OrdererLeader() (Province, error) {
	metric := `consensus_etcdraft_is_leader{channel="settlement"} 1`
	if n.Consensus == ConsensusBFT {
		metric = `consensus_BFT_is_leader{channel="settlement"} 1`
	}
	for _, p := range Provinces {
		body, err := n.ordererMetrics(p)
		if err != nil {
			continue
		}
		if strings.Contains(body, metric) {
			return p, nil
		}
	}
	return Province{}, fmt.Errorf("no orderer reports itself %s leader", n.Consensus)
}

// RaftLeader is OrdererLeader, under the name the tests written for Raft
// use; on a BFT network it reports the SmartBFT leader.
func (n *Network) RaftLeader() (Province, error) { return n.OrdererLeader() }

func (n *Network) ordererMetrics(p Province) (string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", n.port(p, offsetOrdererOps)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// OrdererHeight is the channel height province p's orderer reports in its
// operations metrics (ledger_blockchain_height): a hung orderer's stops.
func (n *Network) OrdererHeight(ctx context.Context, p Province) (uint64, error) {
	return n.height(ctx, fmt.Sprintf("http://127.0.0.1:%d", n.port(p, offsetOrdererOps)), "orderer of "+p.Name)
}

// PeerHeight is the channel height province p's peer reports in its
// operations metrics (ledger_blockchain_height).
func (n *Network) PeerHeight(ctx context.Context, p Province) (uint64, error) {
	return n.height(ctx, n.PeerOperationsURL(p), "peer of "+p.Name)
}

// height reads ledger_blockchain_height of channel settlement from the
// operations endpoint at base (node names it in errors).
func (n *Network) height(ctx context.Context, base, node string) (uint64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("metrics of %s: %w", node, err)
	}
	defer resp.Body.Close()
	s, err := ParseMetrics(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("metrics of %s: %w", node, err)
	}
	for _, x := range s {
		if x.Name == "ledger_blockchain_height" && x.Labels["channel"] == "settlement" {
			return uint64(x.Value), nil
		}
	}
	return 0, fmt.Errorf("%s reports no height for channel settlement", node)
}

// Restart starts one process of province p again with network.sh restart
// (service "orderer", "peer" or "gateway"; "cc", the chaincode server, with
// network.sh cc-restart under its package ID), e.g. after Kill; it returns
// once the process listens.
func (n *Network) Restart(ctx context.Context, p Province, service string) error {
	args := []string{"restart", p.Name, service}
	if service == "cc" {
		args = []string{"cc-restart", p.Name}
	}
	_, err := n.Script(ctx, nil, args...)
	return err
}

// PID is the process ID network.sh recorded for one of the network's
// processes ("orderer", "peer", "gateway", "cc") of province p.
func (n *Network) PID(p Province, service string) (int, error) {
	b, err := os.ReadFile(filepath.Join(n.StateDir, "pids", service+"-"+p.Name+".pid"))
	if err != nil {
		return 0, fmt.Errorf("no %s of %s: %w", service, p.Name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("pid file of %s-%s: %w", service, p.Name, err)
	}
	return pid, nil
}

// Alive reports whether process pid runs (a zombie does not).
func Alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// "pid (comm) S …": the state follows the last ')'.
	st := string(b)
	if i := strings.LastIndexByte(st, ')'); i >= 0 && i+2 < len(st) {
		return st[i+2] != 'Z'
	}
	return true
}

// Kill sends SIGKILL to one of the network's processes ("orderer", "peer",
// "gateway", "cc") of province p, as a crash would, and waits up to 5 s for
// it to go; it fails if the process still runs then.
func (n *Network) Kill(p Province, service string) error {
	pid, err := n.PID(p, service)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s-%s (%d): %w", service, p.Name, pid, err)
	}
	for i := 0; i < 100 && Alive(pid); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if Alive(pid) {
		return fmt.Errorf("kill %s-%s (%d): still running 5 s after SIGKILL", service, p.Name, pid)
	}
	return nil
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// The e2e networks' ports: blocks of portBlock from portsFrom, ending below
// portsTo and below the kernel's ephemeral port range. A port in that range
// is taken, while its node is down, by any outgoing connection the kernel
// gives it as local port: a peer re-dialling a dead orderer on 127.0.0.1 can
// even connect to itself (TCP simultaneous open) and hold the orderer's port,
// and the orderer then cannot start again ("bind: address already in use",
// seen on 3 of 4 orderers after a 40 s ordering outage on ports 33440+).
const (
	portsFrom = 30000
	portsTo   = 34000
)

func freePortBase() (int, error) {
	to := portsTo
	if lo, ok := ephemeralLow(); ok && lo < to && lo >= portsFrom+portBlock {
		to = lo
	}
	blocks := (to - portsFrom) / portBlock
	start := os.Getpid() % blocks
	for i := 0; i < blocks; i++ {
		base := portsFrom + ((start+i)%blocks)*portBlock
		if blockFree(base) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no free block of %d ports between %d and %d", portBlock, portsFrom, to)
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux).
func ephemeralLow() (int, bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 1 {
		return 0, false
	}
	lo, err := strconv.Atoi(f[0])
	return lo, err == nil
}

func blockFree(base int) bool {
	for p := base; p < base+portBlock; p++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		_ = l.Close()
	}
	return true
}

func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "test-network-scripts", "network.sh")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("repository root (with test-network-scripts/network.sh) not found above the working directory")
		}
		d = parent
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
