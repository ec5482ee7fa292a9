# shellcheck shell=bash
# Orderers and peers: one of each per province, configured from the pinned
# Fabric's sample configuration (bin/config) plus environment overrides.

# node_config ORG NODE writes NODE's configuration directory.
node_config() {
	local org=$1 node=$2 cfg
	cfg="$(orgdir "$org")/$node/config"
	mkdir -p "$cfg"
	case $node in
	orderer0) cp "$BIN/config/orderer.yaml" "$cfg/" ;;
	peer0)
		# No Docker: vm.endpoint empty, our chaincode-as-a-service builder.
		sed -e 's#^\(    endpoint:\) unix:///var/run/docker.sock#\1 ""#' \
			-e "s#^\(       - name:\) ccaas_builder#\1 yrd-ccaas#" \
			-e "s#^\(         path:\) /opt/hyperledger/ccaas_builder#\1 $ROOT/network/builders/ccaas#" \
			"$BIN/config/core.yaml" >"$cfg/core.yaml"
		grep -q 'endpoint: ""' "$cfg/core.yaml" && grep -q "path: $ROOT/network/builders/ccaas" "$cfg/core.yaml" ||
			{ echo "core.yaml from the Fabric build has an unexpected shape" >&2; return 1; }
		;;
	esac
}

orderer_start() {
	local org=$1 d n
	d=$(orgdir "$org")
	n="$d/orderer0"
	node_config "$org" orderer0 || return 1
	mkdir -p "$n/data"
	start_proc "orderer-$org" "$STATE/logs/orderer-$org.log" env \
		FABRIC_CFG_PATH="$n/config" \
		FABRIC_LOGGING_SPEC="${YRD_ORDERER_LOG:-INFO}" \
		ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 \
		ORDERER_GENERAL_LISTENPORT="$(port "$org" orderer)" \
		ORDERER_GENERAL_LOCALMSPID="${MSP[$org]}" \
		ORDERER_GENERAL_LOCALMSPDIR="$n/msp" \
		ORDERER_GENERAL_BOOTSTRAPMETHOD=none \
		ORDERER_GENERAL_TLS_ENABLED=true \
		ORDERER_GENERAL_TLS_PRIVATEKEY="$n/tls/key.pem" \
		ORDERER_GENERAL_TLS_CERTIFICATE="$n/tls/cert.pem" \
		ORDERER_GENERAL_TLS_ROOTCAS="[$n/tls/ca.pem]" \
		ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$n/tls/cert.pem" \
		ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$n/tls/key.pem" \
		ORDERER_GENERAL_CLUSTER_ROOTCAS="[$n/tls/ca.pem]" \
		ORDERER_CHANNELPARTICIPATION_ENABLED=true \
		ORDERER_ADMIN_LISTENADDRESS="127.0.0.1:$(port "$org" orderer-admin)" \
		ORDERER_ADMIN_TLS_ENABLED=true \
		ORDERER_ADMIN_TLS_PRIVATEKEY="$n/tls/key.pem" \
		ORDERER_ADMIN_TLS_CERTIFICATE="$n/tls/cert.pem" \
		ORDERER_ADMIN_TLS_ROOTCAS="[$n/tls/ca.pem]" \
		ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true \
		ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$n/tls/ca.pem]" \
		ORDERER_FILELEDGER_LOCATION="$n/data/ledger" \
		ORDERER_CONSENSUS_WALDIR="$n/data/etcdraft/wal" \
		ORDERER_CONSENSUS_SNAPDIR="$n/data/etcdraft/snapshot" \
		ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:$(port "$org" orderer-ops)" \
		ORDERER_METRICS_PROVIDER=prometheus \
		"$BIN/orderer"
	wait_proc "orderer-$org" "$(port "$org" orderer-admin)"
}

peer_start() {
	local org=$1 d n bootstrap
	d=$(orgdir "$org")
	n="$d/peer0"
	node_config "$org" peer0 || return 1
	mkdir -p "$n/data"
	bootstrap="127.0.0.1:$(port "$org" peer)"
	start_proc "peer-$org" "$STATE/logs/peer-$org.log" env \
		FABRIC_CFG_PATH="$n/config" \
		FABRIC_LOGGING_SPEC="${YRD_PEER_LOG:-INFO:gossip=WARNING}" \
		CORE_PEER_ID="peer0.$org.yrd" \
		CORE_PEER_ADDRESS="127.0.0.1:$(port "$org" peer)" \
		CORE_PEER_LISTENADDRESS="127.0.0.1:$(port "$org" peer)" \
		CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:$(port "$org" peer-cc)" \
		CORE_PEER_CHAINCODEADDRESS="127.0.0.1:$(port "$org" peer-cc)" \
		CORE_PEER_GOSSIP_BOOTSTRAP="$bootstrap" \
		CORE_PEER_GOSSIP_EXTERNALENDPOINT="127.0.0.1:$(port "$org" peer)" \
		CORE_PEER_GOSSIP_RECONNECTINTERVAL=5s \
		CORE_PEER_LOCALMSPID="${MSP[$org]}" \
		CORE_PEER_MSPCONFIGPATH="$n/msp" \
		CORE_PEER_TLS_ENABLED=true \
		CORE_PEER_TLS_CERT_FILE="$n/tls/cert.pem" \
		CORE_PEER_TLS_KEY_FILE="$n/tls/key.pem" \
		CORE_PEER_TLS_ROOTCERT_FILE="$n/tls/ca.pem" \
		CORE_PEER_FILESYSTEMPATH="$n/data" \
		CORE_PEER_GATEWAY_ENABLED=true \
		CORE_LEDGER_STATE_STATEDATABASE=goleveldb \
		CORE_LEDGER_SNAPSHOTS_ROOTDIR="$n/data/snapshots" \
		CORE_OPERATIONS_LISTENADDRESS="127.0.0.1:$(port "$org" peer-ops)" \
		CORE_METRICS_PROVIDER=prometheus \
		"$BIN/peer" node start
	wait_proc "peer-$org" "$(port "$org" peer)"
}

# peer_members ORG prints how many other peers ORG's peer sees on the channel.
peer_members() {
	curl -fsS "http://127.0.0.1:$(port "$1" peer-ops)/metrics" 2>/dev/null |
		awk -v ch="$CHANNEL" '$1 ~ "^gossip_membership_total_peers_known\\{channel=\"" ch "\"" {print $2}'
}

peer_sees_all() { [ "$(peer_members "$1")" = $((${#ORGS[@]} - 1)) ]; }

# peer_height ORG prints the channel height ORG's peer reports.
peer_height() {
	curl -fsS "http://127.0.0.1:$(port "$1" peer-ops)/metrics" 2>/dev/null |
		awk -v ch="$CHANNEL" '$1 ~ "^ledger_blockchain_height\\{channel=\"" ch "\"" {print $2}'
}
