# shellcheck shell=bash
# The settlement channel: a genesis block from configtx.yaml (all four
# provinces are both application and ordering organisations; anchor peers are
# in the genesis block), joined by every orderer with osnadmin (channel
# participation API, no system channel) and by every peer. Ordering is
# etcdraft or, with YRD_CONSENSUS=bft, SmartBFT (docs/network.md).

# An organisation's Readers are its admins, peers and orderers, never its
# clients: a bank's certificate cannot pull blocks (from a peer's deliver
# service or an orderer's) or block-level data (qscc, chaincode event
# streams). Clients are Writers: they endorse, submit and, by the ACLs in
# configtx, check their transactions' commit status and the chain height.
# The gateway's event stream listens with the province's admin identity
# (lib/gateway.sh) and hands each client only what it may see.
configtx_org() {
	local org=$1 m=${MSP[$1]}
	cat <<YAML
  - &$m
    Name: $m
    ID: $m
    MSPDir: $(orgdir "$org")/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('$m.admin', '$m.peer', '$m.orderer')"}
      Writers: {Type: Signature, Rule: "OR('$m.admin', '$m.client', '$m.orderer')"}
      Admins: {Type: Signature, Rule: "OR('$m.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('$m.peer')"}
    OrdererEndpoints: [127.0.0.1:$(port "$org" orderer)]
    AnchorPeers: [{Host: 127.0.0.1, Port: $(port "$org" peer)}]
YAML
}

org_refs() {
	local org out=()
	for org in "${ORGS[@]}"; do out+=("*${MSP[$org]}"); done
	(IFS=,; echo "${out[*]}")
}

# channel_capability: SmartBFT needs V3_0 (and then the Gateway broadcasts
# every transaction to all orderers, see docs/network.md); Raft stays on V2_0.
channel_capability() {
	if [ "$CONSENSUS" = bft ]; then echo V3_0; else echo V2_0; fi
}

# consenters_raft prints the etcdraft consenter set: each province's orderer
# by its TLS certificate (Raft traffic shares the orderer's main listener).
consenters_raft() {
	local org t
	echo "      EtcdRaft:"
	echo "        Consenters:"
	for org in "${ORGS[@]}"; do
		t="$(orgdir "$org")/orderer0/tls/cert.pem"
		echo "          - {Host: 127.0.0.1, Port: $(port "$org" orderer), ClientTLSCert: $t, ServerTLSCert: $t}"
	done
	# A tick of RAFT_TICK (250 ms; Fabric's default is 500 ms): followers
	# start an election 10 ticks (2.5-5 s, randomised) after the leader's
	# last heartbeat. With four consenters and one down, an election needs
	# all three others, so a round whose pre-votes meet a follower that has
	# not yet noticed the loss fails and another follows: with 500 ms ticks
	# one leader change in 20 took over 15 s (make chaos).
	echo "        Options: {TickInterval: $RAFT_TICK, ElectionTick: 10, HeartbeatTick: 1, MaxInflightBlocks: 5, SnapshotIntervalSize: 16 MB}"
}

# consenters_bft prints the SmartBFT consenter set and options. Each
# consenter has a fixed ID (the province's index + 1, so Shanghai's orderer
# leads view 0), its province's MSP ID, its enrolment certificate (Identity:
# consensus messages and block signatures are checked against it) and its
# TLS certificate; cluster traffic shares the main listener as with Raft.
# The options are explained in docs/network.md ("BFT ordering").
consenters_bft() {
	local org n
	echo "      ConsenterMapping:"
	for org in "${ORGS[@]}"; do
		n="$(orgdir "$org")/orderer0"
		echo "        - {ID: $((ORG_INDEX[$org] + 1)), Host: 127.0.0.1, Port: $(port "$org" orderer), MSPID: ${MSP[$org]}, Identity: $n/msp/signcerts/cert.pem, ClientTLSCert: $n/tls/cert.pem, ServerTLSCert: $n/tls/cert.pem}"
	done
	cat <<YAML
      SmartBFT:
        RequestBatchMaxCount: $BATCH_MAX_MESSAGES
        RequestBatchMaxBytes: 10485760
        RequestBatchMaxInterval: $BATCH_TIMEOUT
        IncomingMessageBufferSize: 200
        RequestPoolSize: 1000
        RequestForwardTimeout: 2s
        RequestComplainTimeout: 10s
        RequestAutoRemoveTimeout: 3m
        ViewChangeResendInterval: 5s
        ViewChangeTimeout: 20s
        LeaderHeartbeatTimeout: 10s
        LeaderHeartbeatCount: 10
        CollectTimeout: 1s
        SyncOnStart: false
        SpeedUpViewChange: false
YAML
}

configtx() {
	local org ordtype=etcdraft
	[ "$CONSENSUS" = bft ] && ordtype=BFT
	echo "Organizations:"
	for org in "${ORGS[@]}"; do configtx_org "$org"; done
	cat <<YAML
Capabilities:
  Channel: &ChannelCapabilities {$(channel_capability): true}
  Orderer: &OrdererCapabilities {V2_0: true}
  Application: &ApplicationCapabilities {V2_5: true}
Profiles:
  Settlement:
    Policies:
      Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
      Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
      Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    Capabilities: *ChannelCapabilities
    Orderer:
      OrdererType: $ordtype
      BatchTimeout: $BATCH_TIMEOUT
      BatchSize: {MaxMessageCount: $BATCH_MAX_MESSAGES, AbsoluteMaxBytes: 10 MB, PreferredMaxBytes: 2 MB}
YAML
	if [ "$CONSENSUS" = bft ]; then consenters_bft; else consenters_raft; fi
	cat <<YAML
      Organizations: [$(org_refs)]
      Policies:
        Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
        Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
        Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
        BlockValidation: {Type: ImplicitMeta, Rule: "ANY Writers"}
      Capabilities: *OrdererCapabilities
    Application:
      Organizations: [$(org_refs)]
      Policies:
        Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
        Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
        Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
        LifecycleEndorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
        Endorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
      ACLs:
        gateway/CommitStatus: /Channel/Application/Writers
        qscc/GetChainInfo: /Channel/Application/Writers
      Capabilities: *ApplicationCapabilities
YAML
}

channel_genesis() {
	mkdir -p "$STATE/channel"
	configtx >"$STATE/channel/configtx.yaml"
	FABRIC_CFG_PATH="$STATE/channel" "$FABRIC_BIN/configtxgen" -profile Settlement -channelID "$CHANNEL" \
		-outputBlock "$STATE/channel/genesis.block" >"$STATE/logs/configtxgen.log" 2>&1
}

orderer_join() {
	local org=$1 a
	a="$(orgdir "$org")/users/admin/tls"
	"$FABRIC_BIN/osnadmin" channel join --channelID "$CHANNEL" --config-block "$STATE/channel/genesis.block" \
		-o "127.0.0.1:$(port "$org" orderer-admin)" --ca-file "$a/ca.pem" \
		--client-cert "$a/cert.pem" --client-key "$a/key.pem" >>"$STATE/logs/osnadmin.log" 2>&1
}

peer_join() {
	(peer_env "$1" && "$FABRIC_BIN/peer" channel join -b "$STATE/channel/genesis.block") >>"$STATE/logs/peer-cli.log" 2>&1
}

# raft_ready ORG is true once ORG's orderer reports a Raft leader.
raft_ready() {
	curl -fsS "http://127.0.0.1:$(port "$1" orderer-ops)/metrics" 2>/dev/null |
		awk -v ch="$CHANNEL" '$1 ~ "^consensus_etcdraft_is_leader\\{channel=\"" ch "\"" && $2 == 1 {f=1} END {exit !f}'
}

raft_has_leader() {
	local org
	for org in "${ORGS[@]}"; do raft_ready "$org" && return 0; done
	return 1
}

# orderer_metric ORG NAME prints the value of ORG's orderer metric NAME for
# the channel (empty when the orderer does not report it).
orderer_metric() {
	curl -fsS "http://127.0.0.1:$(port "$1" orderer-ops)/metrics" 2>/dev/null |
		awk -v m="$2" -v ch="$CHANNEL" '$1 == m "{channel=\"" ch "\"}" {print $2; exit}'
}

# bft_has_leader is true once every orderer runs the channel's SmartBFT
# chain with all four consenters and they name the same leader.
bft_has_leader() {
	local org id first=""
	for org in "${ORGS[@]}"; do
		[ "$(orderer_metric "$org" consensus_BFT_cluster_size)" = "${#ORGS[@]}" ] || return 1
		id=$(orderer_metric "$org" consensus_BFT_leader_id)
		[ -n "$id" ] && [ "$id" != 0 ] || return 1
		[ -z "$first" ] || [ "$id" = "$first" ] || return 1
		first=$id
	done
}
