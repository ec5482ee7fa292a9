# shellcheck shell=bash
# Orderers and peers: one of each per province, configured from the Fabric
# sample configuration (bin/config for the pinned build, see
# fabric_config_dir) plus environment overrides.

# node_config ORG NODE writes NODE's configuration directory.
node_config() {
	local org=$1 node=$2 cfg src
	cfg="$(orgdir "$org")/$node/config"
	src=$(fabric_config_dir)
	mkdir -p "$cfg"
	case $node in
	orderer0)
		cp "$src/orderer.yaml" "$cfg/"
		# The orderer builds one kind of cluster consenter, chosen by
		# Consensus.Type (default etcdraft). Consensus is a free-form map, so
		# an environment variable cannot add the key: it goes into the file.
		if [ "$CONSENSUS" = bft ]; then
			sed -i 's#^Consensus:$#&\n    Type: BFT#' "$cfg/orderer.yaml"
			grep -q '^    Type: BFT$' "$cfg/orderer.yaml" ||
				{ echo "orderer.yaml from $src has no Consensus section" >&2; return 1; }
		fi
		;;
	peer0)
		# No Docker: vm.endpoint empty, our chaincode-as-a-service builder.
		sed -e 's#^\(    endpoint:\) unix:///var/run/docker.sock#\1 ""#' \
			-e "s#^\(       - name:\) ccaas_builder#\1 yrd-ccaas#" \
			-e "s#^\(         path:\) /opt/hyperledger/ccaas_builder#\1 $ROOT/network/builders/ccaas#" \
			"$src/core.yaml" >"$cfg/core.yaml"
		grep -q 'endpoint: ""' "$cfg/core.yaml" && grep -q "path: $ROOT/network/builders/ccaas" "$cfg/core.yaml" ||
			{ echo "core.yaml from the Fabric build has an unexpected shape" >&2; return 1; }
		;;
	esac
}

# QUIET_LOGGERS log a line or two per transaction at INFO (a finished
# chaincode call, every gRPC call, every gateway request): kept to warnings,
# as for load runs (docs/performance.md, "Tuning"). YRD_PEER_LOG and
# YRD_ORDERER_LOG replace the whole logging spec.
QUIET_LOGGERS=endorser,gateway,comm.grpc.server

orderer_start() {
	local org=$1 d n wal="etcdraft/wal" log=INFO:comm.grpc.server=WARNING
	d=$(orgdir "$org")
	n="$d/orderer0"
	node_config "$org" orderer0 || return 1
	mkdir -p "$n/data"
	# SmartBFT keeps its own WAL in Consensus.WALDir/CHANNEL (no snapshots).
	# The pinned build's BFT cluster client warns "Certificate … expires in
	# less than -2562047h" on every message it sends (fabric #4404, fixed
	# upstream by #4411 in August 2023): its step logger is kept to errors.
	if [ "$CONSENSUS" = bft ]; then
		wal="smartbft/wal"
		log="INFO:comm.grpc.server=WARNING:orderer.common.cluster.step=ERROR"
	fi
	pprof_env "orderer-$org" "$org" orderer-pprof ORDERER_GENERAL_PROFILE_ENABLED=true ORDERER_GENERAL_PROFILE_ADDRESS=@ADDR@
	tune_env orderer
	start_proc "orderer-$org" "$STATE/logs/orderer-$org.log" env \
		"${PPROF_ENV[@]}" "${TUNE_ENV[@]}" \
		FABRIC_CFG_PATH="$n/config" \
		FABRIC_LOGGING_SPEC="${YRD_ORDERER_LOG:-$log}" \
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
		ORDERER_CONSENSUS_WALDIR="$n/data/$wal" \
		ORDERER_CONSENSUS_SNAPDIR="$n/data/etcdraft/snapshot" \
		ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:$(port "$org" orderer-ops)" \
		ORDERER_METRICS_PROVIDER=prometheus \
		"$FABRIC_BIN/orderer"
	wait_proc "orderer-$org" "$(port "$org" orderer-admin)"
}

peer_start() {
	local org=$1 d n bootstrap
	d=$(orgdir "$org")
	n="$d/peer0"
	node_config "$org" peer0 || return 1
	mkdir -p "$n/data"
	bootstrap="127.0.0.1:$(port "$org" peer)"
	pprof_env "peer-$org" "$org" peer-pprof CORE_PEER_PROFILE_ENABLED=true CORE_PEER_PROFILE_LISTENADDRESS=@ADDR@
	tune_env peer
	start_proc "peer-$org" "$STATE/logs/peer-$org.log" env \
		"${PPROF_ENV[@]}" "${TUNE_ENV[@]}" \
		FABRIC_CFG_PATH="$n/config" \
		FABRIC_LOGGING_SPEC="${YRD_PEER_LOG:-INFO:gossip=WARNING:$QUIET_LOGGERS=WARNING}" \
		CORE_PEER_ID="peer0.$org.yrd" \
		CORE_PEER_ADDRESS="127.0.0.1:$(port "$org" peer)" \
		CORE_PEER_LISTENADDRESS="127.0.0.1:$(port "$org" peer)" \
		CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:$(port "$org" peer-cc)" \
		CORE_PEER_CHAINCODEADDRESS="127.0.0.1:$(port "$org" peer-cc)" \
		CORE_PEER_GOSSIP_BOOTSTRAP="$bootstrap" \
		CORE_PEER_GOSSIP_EXTERNALENDPOINT="127.0.0.1:$(port "$org" peer)" \
		CORE_PEER_GOSSIP_RECONNECTINTERVAL=5s \
		CORE_PEER_GOSSIP_USELEADERELECTION=false \
		CORE_PEER_GOSSIP_ORGLEADER=true \
		CORE_PEER_GOSSIP_STATE_ENABLED=true \
		CORE_PEER_GOSSIP_STATE_CHECKINTERVAL="${YRD_PEER_STATE_CHECK:-5s}" \
		CORE_PEER_DELIVERYCLIENT_RECONNECTBACKOFFTHRESHOLD="${YRD_PEER_DELIVER_BACKOFF:-2s}" \
		CORE_PEER_DELIVERYCLIENT_RECONNECTTOTALTIMETHRESHOLD=3600s \
		CORE_PEER_DELIVERYCLIENT_CONNTIMEOUT=2s \
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
		"$FABRIC_BIN/peer" node start
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
