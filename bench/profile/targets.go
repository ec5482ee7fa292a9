package profile

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Kind is what a network process is.
type Kind string

// The kinds of network processes, by the name prefix network.sh gives
// them in STATE/pids.
const (
	KindPeer      Kind = "peer"
	KindOrderer   Kind = "orderer"
	KindChaincode Kind = "chaincode"
	KindGateway   Kind = "gateway"
	KindCA        Kind = "ca"
	KindOther     Kind = "other"
)

// Target is one process of the network.
type Target struct {
	// Name is network.sh's process name (peer-shanghai, cc-jiangsu…).
	Name string
	Kind Kind
	PID  int
	// Pprof is the host:port of its Go pprof listener ("" when none).
	Pprof string
}

func kindOf(name string) Kind {
	prefix, _, _ := strings.Cut(name, "-")
	switch prefix {
	case "peer":
		return KindPeer
	case "orderer":
		return KindOrderer
	case "cc", "ccbench":
		return KindChaincode
	case "gateway":
		return KindGateway
	case "ca":
		return KindCA
	}
	return KindOther
}

// Targets lists the running processes of the network in stateDir (from
// STATE/pids/NAME.pid, which network.sh writes) with their pprof
// addresses (STATE/pprof/NAME, written with YRD_PROFILE=1), sorted by
// name. Processes that no longer run are left out.
func Targets(stateDir string) ([]Target, error) {
	files, err := filepath.Glob(filepath.Join(stateDir, "pids", "*.pid"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("profile: no processes recorded in %s/pids", stateDir)
	}
	var out []Target
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".pid")
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || !alive(pid) {
			continue
		}
		t := Target{Name: name, Kind: kindOf(name), PID: pid}
		if b, err := os.ReadFile(filepath.Join(stateDir, "pprof", name)); err == nil {
			t.Pprof = strings.TrimSpace(string(b))
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

// clockTicks is the kernel's USER_HZ, the unit of /proc CPU times (100 on
// every Linux build this runs on).
const clockTicks = 100

// processCPU returns the user+system CPU seconds process pid has used.
func processCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) from a
// /proc/PID/stat line; the command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("profile: malformed /proc stat line")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, errors.New("profile: short /proc stat line")
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	s, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("profile: bad CPU times in /proc stat line")
	}
	return float64(u+s) / clockTicks, nil
}

// machineCPU returns the machine's busy and total CPU seconds so far (all
// cores, from the first line of /proc/stat): busy is everything but idle
// and iowait.
func machineCPU() (busy, total float64, err error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0, errors.New("profile: empty /proc/stat")
	}
	return parseMachineCPU(sc.Text())
}

func parseMachineCPU(line string) (busy, total float64, err error) {
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("profile: unexpected /proc/stat line %q", line)
	}
	var ticks uint64
	var idle uint64
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("profile: /proc/stat: %w", err)
		}
		// guest and guest_nice (fields 9, 10) are already in user and nice.
		if i >= 8 {
			break
		}
		ticks += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	return float64(ticks-idle) / clockTicks, float64(ticks) / clockTicks, nil
}

// loadAverage returns the 1-minute load average ("" when unreadable).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
