#!/usr/bin/env bash
# network.sh runs the YRD settlement network on this machine: four provinces,
# each with a Fabric CA, an orderer (one etcdraft or SmartBFT cluster), a peer with the
# Gateway service and a chaincode server, all as native processes on
# 127.0.0.1. See docs/network.md.
#
# Usage: network.sh up|down|deploy [yrd|yrdbench]|status|logs [NAME]|
#        restart ORG orderer|peer|gateway|cc-restart ORG [BINARY]|
#        rotate-tokens ORG (new bearer tokens for ORG's gateway; tokens are
#        otherwise kept across restarts)
#
# Environment: YRD_STATE_DIR (default ./.state), YRD_PORT_BASE (default 27000),
# YRD_BIN (default ./bin), YRD_OWNER_PID (stop the network when that process
# ends; used by tests), YRD_GATEWAYS (0: no gateways), YRD_BENCH_CC (1: also
# deploy the yrdbench comparison chaincode), YRD_BATCH_TIMEOUT,
# YRD_BATCH_MAX_MESSAGES, YRD_CONSENSUS (raft, the default, or bft),
# FABRIC_BIN (peer, orderer, configtxgen, osnadmin from another directory,
# e.g. an official release's bin/; default the pinned build in YRD_BIN),
# YRD_PROFILE (1: pprof on loopback for peers, orderers and chaincode
# servers, for `make profile`; off by default).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$HERE/lib/common.sh"
. "$HERE/lib/ca.sh"
. "$HERE/lib/nodes.sh"
. "$HERE/lib/channel.sh"
. "$HERE/lib/chaincode.sh"
. "$HERE/lib/gateway.sh"

preflight() {
	local b p owner running
	running=$(running_pids | head -1)
	[ -z "$running" ] || die "a network is already running from $STATE (${running%%=*} has PID ${running#*=}); run 'make down' first"
	local need=(fabric-ca-server fabric-ca-client yrd)
	[ "${YRD_BENCH_CC:-0}" = 1 ] && need+=(yrd-benchcc)
	for b in "${need[@]}"; do
		[ -x "$BIN/$b" ] || die "$BIN/$b is missing; run 'make build' (or 'make up') first"
	done
	check_consensus
	for b in "${FABRIC_TOOLS[@]}"; do
		[ -x "$FABRIC_BIN/$b" ] && continue
		[ "$FABRIC_BIN" = "$BIN" ] && die "$BIN/$b is missing; run 'make build' (or 'make up') first"
		die "FABRIC_BIN=$FABRIC_BIN has no executable $b (it needs ${FABRIC_TOOLS[*]})"
	done
	local cfg v major
	cfg=$(fabric_config_dir)
	[ -f "$cfg/core.yaml" ] && [ -f "$cfg/orderer.yaml" ] || die "no core.yaml and orderer.yaml in $cfg; run 'make build'"
	v=$(fabric_version)
	[ -n "$v" ] || die "$FABRIC_BIN/orderer version reports no version"
	# SmartBFT came with Fabric v3.0 (the pinned development build says "latest").
	major=${v#v}
	major=${major%%.*}
	if [ "$CONSENSUS" = bft ] && [[ $major =~ ^[0-9]+$ ]] && [ "$major" -lt 3 ]; then
		die "YRD_CONSENSUS=bft needs Fabric v3.0 or later; $FABRIC_BIN/orderer is $v"
	fi
	command -v curl >/dev/null || die "curl is required: apt-get install curl"
	command -v setsid >/dev/null || die "setsid is required: apt-get install util-linux"
	for p in $(all_ports); do
		if port_open "$p"; then
			owner=$(ss -Hltnp "sport = :$p" 2>/dev/null | grep -o 'users:(([^)]*' | head -1 | sed 's/users:((//')
			die "port $p is already in use${owner:+ by $owner}; set YRD_PORT_BASE to a free range"
		fi
	done
}

# each FN runs FN ORG for every province in parallel and fails if any did.
each() {
	local fn=$1 org pids=() rc=0
	for org in "${ORGS[@]}"; do
		"$fn" "$org" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	return $rc
}

wait_gossip() {
	local org
	for org in "${ORGS[@]}"; do wait_for 90 "gossip membership of $org" peer_sees_all "$org" || return 1; done
}

wait_cc() {
	local org
	for org in "${ORGS[@]}"; do wait_for 30 "chaincode on $org" cc_ready "$org" || return 1; done
}

watchdog() {
	[ -n "${YRD_OWNER_PID:-}" ] || return 0
	start_proc watchdog "$STATE/logs/watchdog.log" bash -c \
		'while kill -0 "$0" 2>/dev/null; do sleep 1; done; echo "owner $0 gone; stopping network"; "$1" down' \
		"$YRD_OWNER_PID" "$HERE/network.sh"
}

cmd_up() {
	local t0=$SECONDS
	preflight
	mkdir -p "$STATE/logs"
	echo "$PORT_BASE" >"$STATE/port-base"
	save_settings
	say "consensus $CONSENSUS, Fabric $(fabric_version) from $FABRIC_BIN, configuration from $(fabric_config_dir)"
	watchdog
	step "starting 4 certificate authorities" each ca_start || fail_up
	step "enrolling nodes and identities" each ca_identities || fail_up
	step "writing channel genesis block" channel_genesis || fail_up
	step "starting 4 orderers" each orderer_start || fail_up
	step "starting 4 peers" each peer_start || fail_up
	step "joining orderers to channel $CHANNEL" each orderer_join || fail_up
	if [ "$CONSENSUS" = bft ]; then
		step "waiting for the BFT consenters to agree on a leader" wait_for 60 "a BFT leader" bft_has_leader || fail_up
	else
		step "waiting for a Raft leader" wait_for 60 "a Raft leader" raft_has_leader || fail_up
	fi
	step "joining peers to channel $CHANNEL" each peer_join || fail_up
	step "waiting for cross-province gossip" wait_gossip || fail_up
	cmd_deploy yrd || fail_up
	if [ "${YRD_BENCH_CC:-0}" = 1 ]; then
		cmd_deploy yrdbench || fail_up
	fi
	if [ -x "$BIN/yrd-gateway" ] && [ "${YRD_GATEWAYS:-1}" = 1 ]; then
		step "starting 4 gateways" each gateway_start || fail_up
	fi
	say "network up in $((SECONDS - t0)) s"
	cmd_status
}

fail_up() {
	local keep="${STATE%/}.failed-logs"
	rm -rf "$keep"
	cp -R "$STATE/logs" "$keep" 2>/dev/null
	echo "network.sh up failed; stopped what was started; logs kept in $keep" >&2
	cmd_down >/dev/null 2>&1
	exit 1
}

cmd_deploy() {
	cc_select "${1:-$CC_NAME}"
	step "deploying chaincode $CC_NAME" cc_deploy || return 1
	step "waiting for chaincode $CC_NAME on every peer" wait_cc || return 1
	if [ "$CC_NAME" = yrd ]; then
		step "writing the channel configuration (gov:Init)" cc_gov_init || return 1
	fi
}

cmd_down() {
	local f name
	[ -d "$STATE" ] || { say "no network state at $STATE"; return 0; }
	for f in "$STATE"/pids/*.pid; do
		[ -f "$f" ] || continue
		name=$(basename "$f" .pid)
		[ "$name" = watchdog ] && continue
		stop_proc "$name"
	done
	# The watchdog runs down itself (bash may exec it in the watchdog's own
	# PID); stop it last, unless that is us or our parent.
	local wd
	wd=$(cat "$STATE/pids/watchdog.pid" 2>/dev/null)
	if [ -n "$wd" ] && [ "$wd" != "$$" ] && [ "$wd" != "$PPID" ]; then
		stop_proc watchdog
	fi
	rm -rf "$STATE"
	say "network stopped; removed $STATE"
}

cmd_status() {
	local org s pid
	[ -d "$STATE" ] || { say "no network at $STATE"; return 1; }
	printf '%-10s %-12s %-8s %-7s %s\n' PROVINCE PROCESS PID PORT STATE
	for org in "${ORGS[@]}"; do
		for s in ca orderer peer chaincode bench-chaincode gateway; do
			local name="$s-$org" p
			[ "$s" = chaincode ] && name="cc-$org"
			[ "$s" = bench-chaincode ] && name="ccbench-$org"
			[ "$s" = bench-chaincode ] && [ ! -f "$STATE/pids/$name.pid" ] && continue
			p=$(port "$org" "$s")
			pid=$(cat "$STATE/pids/$name.pid" 2>/dev/null || true)
			if proc_alive "$pid"; then st=running; else st=stopped; pid=-; fi
			[ "$s" = peer ] && proc_alive "$pid" && st="running, height $(peer_height "$org")"
			printf '%-10s %-12s %-8s %-7s %s\n' "$org" "$s" "$pid" "$p" "$st"
		done
	done
	say "consensus: $CONSENSUS   Fabric: $FABRIC_BIN   state: $STATE   logs: $STATE/logs"
	gateway_endpoints
}

cmd_logs() {
	if [ $# -gt 0 ]; then
		tail -n 200 -f "$STATE/logs/$1.log"
	else
		ls -1 "$STATE/logs"
	fi
}

# cmd_restart ORG SERVICE stops (if it still runs) and starts one process:
# used to bring a node back after a fault test.
cmd_restart() {
	local org=${1:?usage: network.sh restart ORG orderer|peer|gateway} svc=${2:?usage: network.sh restart ORG orderer|peer|gateway}
	[ -n "${MSP[$org]:-}" ] || die "unknown province $org"
	case $svc in
	orderer | peer | gateway) stop_proc "$svc-$org" && "${svc}_start" "$org" ;;
	*) die "restart: unknown service $svc (orderer, peer, gateway; chaincode: cc-restart)" ;;
	esac
}

cmd_cc_restart() {
	local org=${1:?usage: network.sh cc-restart ORG [BINARY]} bin=${2:-$BIN/yrd}
	cc_select yrd
	cc_server_start "$org" "$(cat "$STATE/chaincode/yrd/$org/package-id")" "$bin"
}

[ "${1:-}" = up ] || load_settings
case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
deploy) shift; cmd_deploy "$@" ;;
status) cmd_status ;;
logs) shift; cmd_logs "$@" ;;
cc-restart) shift; cmd_cc_restart "$@" ;;
restart) shift; cmd_restart "$@" ;;
rotate-tokens) shift; gateway_rotate_tokens "${1:?usage: network.sh rotate-tokens ORG}" ;;
*) echo "usage: network.sh up|down|deploy [yrd|yrdbench]|status|logs [NAME]|restart ORG SERVICE|cc-restart ORG [BINARY]|rotate-tokens ORG" >&2; exit 2 ;;
esac
