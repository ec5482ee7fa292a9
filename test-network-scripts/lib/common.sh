# shellcheck shell=bash
# Shared settings and helpers for network.sh: paths, the port plan, the
# province table and process management by PID file.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${YRD_BIN:-$ROOT/bin}
STATE=${YRD_STATE_DIR:-$ROOT/.state}
PORT_BASE=${YRD_PORT_BASE:-27000}
CHANNEL=${YRD_CHANNEL:-settlement}
MAIN_CC=yrd
CC_NAME=$MAIN_CC
# Block cutting (Raft BatchTimeout/MaxMessageCount, SmartBFT
# RequestBatchMaxInterval/RequestBatchMaxCount): see docs/network.md.
BATCH_TIMEOUT=${YRD_BATCH_TIMEOUT:-250ms}
# Raft tick (docs/network.md, "Raft elections"); Fabric's default is 500ms.
RAFT_TICK=${YRD_RAFT_TICK:-250ms}
BATCH_MAX_MESSAGES=${YRD_BATCH_MAX_MESSAGES:-500}
# Ordering: raft (etcdraft, the default) or bft (SmartBFT, channel
# capability V3_0). Fabric binaries (peer, orderer, configtxgen, osnadmin):
# the pinned build in $BIN unless FABRIC_BIN names another directory, e.g. an
# official release's bin/. A running network keeps both in $STATE/network.env
# (load_settings), so restart uses what up used whatever the caller's env.
CONSENSUS=${YRD_CONSENSUS:-raft}
FABRIC_BIN=${FABRIC_BIN:-$BIN}
FABRIC_BIN=$(cd "$FABRIC_BIN" 2>/dev/null && pwd || echo "$FABRIC_BIN")
FABRIC_TOOLS=(peer orderer configtxgen osnadmin)

# save_settings writes the settings a network keeps for its lifetime.
save_settings() {
	printf 'YRD_CONSENSUS=%q\nFABRIC_BIN=%q\n' "$CONSENSUS" "$FABRIC_BIN" >"$STATE/network.env"
}

# load_settings reads them back for every command but up; the caller's
# environment cannot switch a running network's consensus or binaries.
load_settings() {
	local f="$STATE/network.env" c b
	[ -f "$f" ] || return 0
	c=$(. "$f" && echo "$YRD_CONSENSUS")
	b=$(. "$f" && echo "$FABRIC_BIN")
	if [ -n "${YRD_CONSENSUS:-}" ] && [ "$YRD_CONSENSUS" != "$c" ]; then
		echo "network.sh: the network in $STATE runs $c; ignoring YRD_CONSENSUS=$YRD_CONSENSUS" >&2
	fi
	if [ "$FABRIC_BIN" != "$b" ]; then
		echo "network.sh: the network in $STATE runs Fabric from $b; ignoring FABRIC_BIN" >&2
	fi
	CONSENSUS=$c FABRIC_BIN=$b
}

# check_consensus refuses an unknown YRD_CONSENSUS.
check_consensus() {
	case $CONSENSUS in
	raft | bft) ;;
	*) die "YRD_CONSENSUS=$CONSENSUS: must be raft (default) or bft" ;;
	esac
}

# fabric_config_dir prints where the Fabric sample configuration (core.yaml,
# orderer.yaml) comes from: next to FABRIC_BIN in a release's layout
# (bin/ and config/ side by side), else the pinned build's $BIN/config.
fabric_config_dir() {
	local rel
	rel=$(cd "$FABRIC_BIN/.." 2>/dev/null && pwd)/config
	if [ "$FABRIC_BIN" != "$BIN" ] && [ -f "$rel/core.yaml" ] && [ -f "$rel/orderer.yaml" ]; then
		echo "$rel"
	else
		echo "$BIN/config"
	fi
}

# fabric_version prints the version an orderer binary reports ("latest" for
# the pinned development build, e.g. "2.5.4" or "v3.0.0" for a release).
fabric_version() {
	"$FABRIC_BIN/orderer" version 2>/dev/null | awk '$1 == "Version:" {print $2; exit}'
}

# The provinces: short name, MSP ID, display name. Order fixes the port plan.
ORGS=(shanghai jiangsu zhejiang anhui)
declare -A MSP=([shanghai]=ShanghaiMSP [jiangsu]=JiangsuMSP [zhejiang]=ZhejiangMSP [anhui]=AnhuiMSP)
declare -A ORG_INDEX=([shanghai]=0 [jiangsu]=1 [zhejiang]=2 [anhui]=3)
# A province's code prefixes its banks' codes (e.g. SH-CITY).
declare -A CODE=([shanghai]=SH [jiangsu]=JS [zhejiang]=ZJ [anhui]=AH)

# Client identities every province gets, with their role attribute; those
# acting for a bank also carry the bank's code (bank_of). Two commercial
# banks per province: a city commercial bank (operator) and a national bank's
# branch (operator2); the central-bank branch (issuer) owns the reserve; the
# fiscal bureau owns fiscal accounts and programmes: fiscal is its maker,
# fiscal2 its checker (a second officer of the same bureau).
USERS=(admin operator operator2 issuer fiscal fiscal2 auditor compliance)

# bank_of ORG USER prints USER's bank code ("" for roles without a bank).
bank_of() {
	case $2 in
	operator) echo "${CODE[$1]}-CITY" ;;
	operator2) echo "${CODE[$1]}-ICBC" ;;
	issuer) echo "${CODE[$1]}-PBC" ;;
	fiscal | fiscal2) echo "${CODE[$1]}-FIN" ;;
	esac
}

# role_of USER prints USER's role attribute.
role_of() {
	case $1 in
	operator2) echo operator ;;
	fiscal2) echo fiscal ;;
	*) echo "$1" ;;
	esac
}

# port ORG SERVICE prints the port of SERVICE for ORG. Each province owns a
# block of 20 ports starting at PORT_BASE + 20*index.
port() {
	local off
	case $2 in
	ca) off=0 ;; ca-ops) off=1 ;;
	orderer) off=2 ;; orderer-admin) off=3 ;; orderer-ops) off=4 ;;
	peer) off=5 ;; peer-cc) off=6 ;; peer-ops) off=7 ;;
	chaincode) off=8 ;; gateway) off=9 ;; gateway-ops) off=10 ;; bench-chaincode) off=11 ;;
	peer-pprof) off=12 ;; orderer-pprof) off=13 ;; cc-pprof) off=14 ;;
	*) die "unknown service $2" ;;
	esac
	echo $((PORT_BASE + 20 * ORG_INDEX[$1] + off))
}

all_ports() {
	local o s
	for o in "${ORGS[@]}"; do
		for s in ca ca-ops orderer orderer-admin orderer-ops peer peer-cc peer-ops chaincode gateway gateway-ops bench-chaincode; do
			port "$o" "$s"
		done
		if [ "$PROFILE" = 1 ]; then
			for s in peer-pprof orderer-pprof cc-pprof; do port "$o" "$s"; done
		fi
	done
}

# Profiling (opt-in, off by default): with YRD_PROFILE=1 every peer
# (peer.profile), orderer (General.Profile) and yrd chaincode server
# (YRD_PPROF_LISTEN) serves Go's net/http/pprof on a loopback port of its
# own (peer-pprof, orderer-pprof, cc-pprof), and its address is recorded in
# $STATE/pprof/NAME for `make profile` (bench/profile). See
# docs/performance.md, "Profiling".
PROFILE=${YRD_PROFILE:-0}

# Tuning knobs, each off (Fabric's and Go's defaults) unless set; what
# they change and what they were measured to give: docs/performance.md,
# "Tuning". tune_env KIND sets TUNE_ENV to KIND's variables (peer, orderer,
# chaincode).
#   YRD_GOGC            Go's GC target (GOGC) of peers, orderers, chaincode servers
#   YRD_VALIDATOR_POOL  peer.validatorPoolSize (Fabric: the number of CPUs)
#   YRD_PEER_HISTORY    false: no history index (ledger.history; nothing here reads it)
tune_env() {
	TUNE_ENV=()
	[ -n "${YRD_GOGC:-}" ] && TUNE_ENV+=("GOGC=$YRD_GOGC")
	if [ "$1" = peer ]; then
		[ -n "${YRD_VALIDATOR_POOL:-}" ] && TUNE_ENV+=("CORE_PEER_VALIDATORPOOLSIZE=$YRD_VALIDATOR_POOL")
		[ -n "${YRD_PEER_HISTORY:-}" ] && TUNE_ENV+=("CORE_LEDGER_HISTORY_ENABLEHISTORYDATABASE=$YRD_PEER_HISTORY")
	fi
	return 0
}

# pprof_env NAME ORG SERVICE VAR=VALUE... sets PPROF_ENV to the variables
# that turn NAME's pprof listener on (@ADDR@ in a value becomes its
# address) and records the address; with profiling off PPROF_ENV is empty.
pprof_env() {
	local name=$1 org=$2 svc=$3 addr v
	shift 3
	PPROF_ENV=()
	[ "$PROFILE" = 1 ] || return 0
	addr="127.0.0.1:$(port "$org" "$svc")"
	mkdir -p "$STATE/pprof"
	echo "$addr" >"$STATE/pprof/$name"
	for v in "$@"; do PPROF_ENV+=("${v//@ADDR@/$addr}"); done
}

orgdir() { echo "$STATE/orgs/$1"; }
cafile() { echo "$STATE/orgs/$1/msp/cacerts/ca.pem"; }

die() {
	echo "network.sh: $*" >&2
	exit 1
}

say() { printf '%s\n' "$*"; }

# step LABEL CMD... runs CMD, printing the label and how long it took.
step() {
	local label=$1 t0=$SECONDS
	shift
	printf '%s… ' "$label"
	if "$@"; then
		printf '%d s\n' $((SECONDS - t0))
	else
		local rc=$?
		printf 'failed after %d s\n' $((SECONDS - t0))
		return $rc
	fi
}

# wait_for TIMEOUT_S DESCRIPTION CMD... polls CMD every 0.5 s.
wait_for() {
	local limit=$1 what=$2 t0=$SECONDS
	shift 2
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS - t0 >= limit)); then
			echo "timed out after ${limit}s waiting for $what" >&2
			return 1
		fi
		sleep 0.5
	done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_proc NAME PORT [TIMEOUT_S] waits until the process started as NAME
# listens on PORT; if it exits first, it fails at once with its log's tail.
wait_proc() {
	local name=$1 port=$2 limit=${3:-60} t0=$SECONDS pid
	pid=$(cat "$STATE/pids/$name.pid" 2>/dev/null)
	until port_open "$port"; do
		if ! proc_alive "$pid"; then
			echo "$name exited before listening on port $port; its log says:" >&2
			tail -n 5 "$(cat "$STATE/pids/$name.log")" 2>/dev/null | sed 's/^/    /' >&2
			return 1
		fi
		if ((SECONDS - t0 >= limit)); then
			echo "timed out after ${limit}s waiting for $name on port $port" >&2
			return 1
		fi
		sleep 0.3
	done
}

# start_proc NAME LOG CMD... starts CMD in its own session, records its PID.
start_proc() {
	local name=$1 log=$2
	shift 2
	mkdir -p "$STATE/pids" "$(dirname "$log")"
	setsid "$@" >>"$log" 2>&1 </dev/null &
	echo $! >"$STATE/pids/$name.pid"
	echo "$log" >"$STATE/pids/$name.log"
}

# stop_proc NAME stops the process recorded under NAME, if it is still ours.
stop_proc() {
	local f="$STATE/pids/$1.pid" pid i
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if proc_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 50); do
			proc_alive "$pid" || break
			sleep 0.1
		done
		proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$f" "$STATE/pids/$1.log"
}

# proc_alive PID is true while PID runs and is not a zombie.
proc_alive() {
	[ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

running_pids() {
	local f
	for f in "$STATE"/pids/*.pid; do
		[ -f "$f" ] || continue
		proc_alive "$(cat "$f")" && echo "$(basename "$f" .pid)=$(cat "$f")"
	done
}

# peer_env ORG [USER] exports the peer CLI environment acting as USER
# (default admin) of ORG against ORG's peer.
peer_env() {
	local org=$1 user=${2:-admin} d
	d=$(orgdir "$org")
	export FABRIC_CFG_PATH="$d/peer0/config"
	export CORE_PEER_LOCALMSPID=${MSP[$org]}
	export CORE_PEER_MSPCONFIGPATH="$d/users/$user/msp"
	CORE_PEER_ADDRESS="127.0.0.1:$(port "$org" peer)"
	CORE_PEER_TLS_ROOTCERT_FILE=$(cafile "$org")
	export CORE_PEER_ADDRESS CORE_PEER_TLS_ROOTCERT_FILE
	export CORE_PEER_TLS_ENABLED=true
	export CORE_PEER_TLS_CLIENTCERT_FILE="$d/users/$user/tls/cert.pem"
	export CORE_PEER_TLS_CLIENTKEY_FILE="$d/users/$user/tls/key.pem"
	export FABRIC_LOGGING_SPEC=${FABRIC_LOGGING_SPEC_CLI:-WARNING}
}
