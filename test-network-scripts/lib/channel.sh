# shellcheck shell=bash
# The settlement channel: a genesis block from configtx.yaml (all four
# provinces are both application and ordering organisations; anchor peers are
# in the genesis block), joined by every orderer with osnadmin (channel
# participation API, no system channel) and by every peer.

configtx_org() {
	local org=$1 m=${MSP[$1]}
	cat <<YAML
  - &$m
    Name: $m
    ID: $m
    MSPDir: $(orgdir "$org")/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('$m.admin', '$m.peer', '$m.client', '$m.orderer')"}
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

configtx() {
	local org
	echo "Organizations:"
	for org in "${ORGS[@]}"; do configtx_org "$org"; done
	cat <<YAML
Capabilities:
  Channel: &ChannelCapabilities {V2_0: true}
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
      OrdererType: etcdraft
      BatchTimeout: $BATCH_TIMEOUT
      BatchSize: {MaxMessageCount: $BATCH_MAX_MESSAGES, AbsoluteMaxBytes: 10 MB, PreferredMaxBytes: 2 MB}
      EtcdRaft:
        Consenters:
YAML
	local t
	for org in "${ORGS[@]}"; do
		t="$(orgdir "$org")/orderer0/tls/cert.pem"
		echo "          - {Host: 127.0.0.1, Port: $(port "$org" orderer), ClientTLSCert: $t, ServerTLSCert: $t}"
	done
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
      Capabilities: *ApplicationCapabilities
YAML
}

channel_genesis() {
	mkdir -p "$STATE/channel"
	configtx >"$STATE/channel/configtx.yaml"
	FABRIC_CFG_PATH="$STATE/channel" "$BIN/configtxgen" -profile Settlement -channelID "$CHANNEL" \
		-outputBlock "$STATE/channel/genesis.block" >"$STATE/logs/configtxgen.log" 2>&1
}

orderer_join() {
	local org=$1 a
	a="$(orgdir "$org")/users/admin/tls"
	"$BIN/osnadmin" channel join --channelID "$CHANNEL" --config-block "$STATE/channel/genesis.block" \
		-o "127.0.0.1:$(port "$org" orderer-admin)" --ca-file "$a/ca.pem" \
		--client-cert "$a/cert.pem" --client-key "$a/key.pem" >>"$STATE/logs/osnadmin.log" 2>&1
}

peer_join() {
	(peer_env "$1" && "$BIN/peer" channel join -b "$STATE/channel/genesis.block") >>"$STATE/logs/peer-cli.log" 2>&1
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
