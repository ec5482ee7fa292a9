package profile

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// A stack is one sampled call stack (leaf first) and its weight: CPU
// seconds for a Go profile, samples for perf.
type stack struct {
	weight float64
	frames []string
}

// category is a stage a sample is charged to: the first category, in
// table order, one of whose frames matches.
type category struct {
	Name  string
	match *regexp.Regexp
}

func cat(name, re string) category { return category{Name: name, match: regexp.MustCompile(re)} }

// Stage tables per kind of process. Order matters: the more specific
// stage first (key-level policies before the rest of validation, which is
// reached through gossip's block commit, before gossip).
var (
	peerStages = []category{
		cat("validation: chaincode-level policy (MAJORITY)", `statebased\.\(\*policyCheckerV20\)\.CheckCCEP`),
		cat("validation: key-level policies", `statebased\.\(\*baseEvaluator\)\.checkSBAndCCEP`),
		cat("validation: rest (creator signature, decoding, dispatch)", `core/committer/txvalidator|core/handlers/validation|core/common/validation`),
		cat("commit: MVCC and phantom checks", `txmgr\.\(\*LockBasedTxMgr\)\.ValidateAndPrepare`),
		cat("commit: block store, state and history DBs", `core/ledger/|common/ledger/|goleveldb`),
		cat("endorsement: chaincode messages (shim)", `core/chaincode\.`),
		cat("endorsement: proposal checks, simulation, signing", `core/endorser\.|core/aclmgmt|core/scc/`),
		cat("Fabric Gateway service (endorse fan-out, submit, status)", `internal/pkg/gateway\.`),
		cat("gossip (block dissemination, membership)", `/gossip/`),
		cat("block delivery and events", `deliverservice|blocksprovider|common/deliver|core/peer\.\(\*DeliverServer\)|peer/deliverevents`),
		cat("gRPC, TLS, network", `google\.golang\.org/grpc|crypto/tls|^net\.|^net/http|internal/poll|^syscall\.`),
		cat("garbage collection", `^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|gcDrain|markroot)`),
	}
	ordererStages = []category{
		cat("Raft WAL", `/wal\.`),
		cat("consensus (etcdraft / SmartBFT)", `orderer/consensus/|go\.etcd\.io/etcd/raft|smartbft`),
		cat("cluster communication", `orderer/common/cluster`),
		cat("broadcast: envelope checks (signature, size, ACL)", `orderer/common/msgprocessor|orderer/common/broadcast`),
		cat("block cutting and writing", `blockcutter|orderer/common/multichannel|common/ledger/|orderer/common/server`),
		cat("block delivery to peers", `common/deliver`),
		cat("gRPC, TLS, network", `google\.golang\.org/grpc|crypto/tls|^net\.|^net/http|internal/poll|^syscall\.`),
		cat("garbage collection", `^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|gcDrain|markroot)`),
	}
	chaincodeStages = []category{
		cat("JSON (state, requests, events)", `^encoding/json|internal/strictjson`),
		cat("contract logic (dispatch, token rules, keys)", `github\.com/yangtze-delta/settlement/`),
		cat("contract API (reflection, metadata)", `fabric-contract-api-go`),
		cat("shim: messages with the peer", `fabric-chaincode-go|google\.golang\.org/protobuf|github\.com/golang/protobuf`),
		cat("gRPC, TLS, network", `google\.golang\.org/grpc|crypto/tls|^net\.|internal/poll|^syscall\.`),
		cat("garbage collection", `^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|gcDrain|markroot)`),
	}
	gatewayStages = []category{
		cat("payment coalescer", `settlement/gateway/coalesce`),
		cat("input selection", `settlement/gateway/selection`),
		cat("operation store (bbolt)", `settlement/gateway/opstore|go\.etcd\.io/bbolt`),
		cat("Fabric Gateway SDK (proposals, signing, status)", `fabric-gateway/pkg`),
		cat("HTTP handlers and JSON", `settlement/gateway/server|settlement/rest|^encoding/json|internal/strictjson`),
		cat("HTTP server", `^net/http`),
		cat("gRPC, TLS, network", `google\.golang\.org/grpc|crypto/tls|^net\.|internal/poll|^syscall\.`),
		cat("garbage collection", `^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|gcDrain|markroot)`),
	}
	// Inclusive measures, across stages: how much of a stage is spent in
	// them.
	primitives = []category{
		cat("ECDSA verify", `crypto/ecdsa\.(Verify|verify)|crypto/internal/fips140/ecdsa\.(Verify|verify)|bccsp/sw\.verifyECDSA`),
		cat("ECDSA sign", `crypto/ecdsa\.(Sign|sign)|crypto/internal/fips140/ecdsa\.(Sign|sign)|bccsp/sw\.signECDSA`),
		cat("SHA-256", `crypto/sha256|crypto/internal/fips140/sha256`),
		cat("protobuf", `google\.golang\.org/protobuf|github\.com/golang/protobuf`),
		cat("JSON", `^encoding/json`),
		cat("identity decoding and validation (x509, MSP)", `^crypto/x509|msp\.\(\*bccspmsp\)|fabric/msp/cache|DeserializeIdentity|msp\.newIdentity`),
	}
)

func stagesOf(k Kind) []category {
	switch k {
	case KindPeer:
		return peerStages
	case KindOrderer:
		return ordererStages
	case KindChaincode:
		return chaincodeStages
	case KindGateway:
		return gatewayStages
	}
	return nil
}

// otherStage takes what no stage matches.
const otherStage = "other"

// Breakdown is a profile's weight by stage and, inside each stage, by
// primitive (inclusive), as shares of the profile's total.
type Breakdown struct {
	Total float64 `json:"total"`
	// Stages: share of the total per stage (stages in table order, then
	// "other"); Primitives: stage → primitive → share of the total.
	Stages     []Share                       `json:"stages"`
	Primitives map[string]map[string]float64 `json:"primitives,omitempty"`
}

// Share is one stage's part.
type Share struct {
	Stage string  `json:"stage"`
	Share float64 `json:"share"`
}

func classify(stacks []stack, stages []category) Breakdown {
	sum := map[string]float64{}
	prim := map[string]map[string]float64{}
	total := 0.0
	for _, s := range stacks {
		total += s.weight
		stage := otherStage
	find:
		for _, c := range stages {
			for _, f := range s.frames {
				if c.match.MatchString(f) {
					stage = c.Name
					break find
				}
			}
		}
		sum[stage] += s.weight
		for _, p := range primitives {
			for _, f := range s.frames {
				if p.match.MatchString(f) {
					if prim[stage] == nil {
						prim[stage] = map[string]float64{}
					}
					prim[stage][p.Name] += s.weight
					break
				}
			}
		}
	}
	b := Breakdown{Total: total, Primitives: map[string]map[string]float64{}}
	if total == 0 {
		return b
	}
	for _, c := range append(append([]category(nil), stages...), category{Name: otherStage}) {
		if v := sum[c.Name]; v > 0 {
			b.Stages = append(b.Stages, Share{Stage: c.Name, Share: v / total})
		}
	}
	for st, m := range prim {
		b.Primitives[st] = map[string]float64{}
		for p, v := range m {
			b.Primitives[st][p] = v / total
		}
	}
	return b
}

// parseTraces reads `go tool pprof -traces` output: stacks separated by
// dashed lines, the first line of each starting with the sample's value.
func parseTraces(r io.Reader) ([]stack, error) {
	var out []stack
	var cur *stack
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			cur = nil
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if cur == nil {
			if len(f) < 2 || !strings.HasPrefix(line, " ") {
				continue // header lines
			}
			d, err := time.ParseDuration(f[0])
			if err != nil {
				continue // a label line
			}
			out = append(out, stack{weight: d.Seconds()})
			cur = &out[len(out)-1]
			f = f[1:]
		}
		cur.frames = append(cur.frames, f[0])
	}
	return out, sc.Err()
}

// parsePerfScript reads `perf script` output: a header line per sample,
// then one indented "address symbol+offset (object)" line per frame, then
// a blank line. Every sample weighs 1.
func parsePerfScript(r io.Reader) ([]stack, error) {
	var out []stack
	var cur *stack
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			cur = nil
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			out = append(out, stack{weight: 1})
			cur = &out[len(out)-1]
			continue
		}
		if cur == nil {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		sym := f[1]
		if i := strings.LastIndex(sym, "+0x"); i > 0 {
			sym = sym[:i]
		}
		cur.frames = append(cur.frames, sym)
	}
	return out, sc.Err()
}

// analyzeGo runs `go tool pprof -traces` on a Go CPU profile.
func analyzeGo(ctx context.Context, file string, k Kind) (Breakdown, error) {
	return analyze(ctx, k, parseTraces, "go", "tool", "pprof", "-traces", file)
}

// analyzePerf runs `perf script` on a perf recording.
func analyzePerf(ctx context.Context, file string, k Kind) (Breakdown, error) {
	return analyze(ctx, k, parsePerfScript, "perf", "script", "-i", file)
}

// analyze runs a tool that prints a profile's stacks, parses its output
// and charges the stacks to k's stages.
func analyze(ctx context.Context, k Kind, parse func(io.Reader) ([]stack, error), name string, args ...string) (Breakdown, error) {
	out, err := run(ctx, name, args...)
	if err != nil {
		return Breakdown{}, err
	}
	stacks, err := parse(bytes.NewReader(out))
	if err != nil {
		return Breakdown{}, err
	}
	return classify(stacks, stagesOf(k)), nil
}

func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, lastLine(stderr.String()))
	}
	return out, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
