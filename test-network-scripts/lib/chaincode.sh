# shellcheck shell=bash
# Chaincode as a service: a package per province holding only connection.json
# (where that province's chaincode server listens), installed on the
# province's peer, approved by every province, committed once; then one
# chaincode server process per province serving under its package ID.

# cc_select NAME points the functions below at one of our chaincodes: yrd
# (the settlement chaincode) or yrdbench (the benchmark comparison chaincode,
# never part of yrd). Each has its own directory of policy files, server
# binary, port and process names.
cc_select() {
	CC_NAME=$1
	CC_DIR="$ROOT/network/chaincode/$CC_NAME"
	case $CC_NAME in
	yrdbench) CC_BIN="$BIN/yrd-benchcc" CC_PORT=bench-chaincode CC_PROC=ccbench ;;
	*) CC_BIN="$BIN/yrd" CC_PORT=chaincode CC_PROC=cc ;;
	esac
	[ -f "$CC_DIR/endorsement-policy" ] || die "no chaincode definition in $CC_DIR"
}
cc_select "$CC_NAME"

# cc_package ORG LABEL writes ORG's package and prints its path.
cc_package() {
	local org=$1 label=$2 w pkg root
	w="$STATE/chaincode/$CC_NAME/$org/pkg"
	rm -rf "$w" && mkdir -p "$w/code"
	root=$(awk '{printf "%s\\n", $0}' "$(cafile "$org")")
	cat >"$w/code/connection.json" <<JSON
{
  "address": "127.0.0.1:$(port "$org" "$CC_PORT")",
  "dial_timeout": "10s",
  "tls_required": true,
  "client_auth_required": false,
  "root_cert": "$root"
}
JSON
	printf '{"type":"ccaas","label":"%s"}\n' "$label" >"$w/metadata.json"
	tar -C "$w/code" -czf "$w/code.tar.gz" connection.json
	pkg="$STATE/chaincode/$CC_NAME/$org/$label.tar.gz"
	tar -C "$w" -czf "$pkg" metadata.json code.tar.gz
	echo "$pkg"
}

# cc_server_start ORG PACKAGE_ID [BINARY] (re)starts ORG's chaincode server.
# YRD_CHANNEL_ORGS is the province's own list of the channel's provinces:
# its endorser refuses a gov:Init naming others (package govcc).
cc_server_start() {
	local org=$1 ccid=$2 bin=${3:-$CC_BIN} t
	t="$(orgdir "$org")/chaincode/tls"
	stop_proc "$CC_PROC-$org"
	PPROF_ENV=()
	[ "$CC_NAME" = yrd ] && pprof_env "$CC_PROC-$org" "$org" cc-pprof YRD_PPROF_LISTEN=@ADDR@
	tune_env chaincode
	start_proc "$CC_PROC-$org" "$STATE/logs/$CC_NAME-$org.log" env \
		"${PPROF_ENV[@]}" "${TUNE_ENV[@]}" \
		CHAINCODE_SERVER_ADDRESS="127.0.0.1:$(port "$org" "$CC_PORT")" \
		CHAINCODE_ID="$ccid" \
		CHAINCODE_TLS_CERT="$t/cert.pem" CHAINCODE_TLS_KEY="$t/key.pem" \
		YRD_CHANNEL_ORGS="$(channel_orgs)" \
		"$bin"
	echo "$ccid" >"$STATE/chaincode/$CC_NAME/$org/package-id"
	wait_proc "$CC_PROC-$org" "$(port "$org" "$CC_PORT")"
}

# channel_orgs prints the provinces' MSP IDs, sorted and comma-separated.
channel_orgs() {
	local org
	for org in "${ORGS[@]}"; do echo "${MSP[$org]}"; done | LC_ALL=C sort | paste -sd,
}

# gov_config prints the channel configuration that gov:Init writes, exactly
# as gov:GetConfig answers it (api.Config's JSON): the provinces' MSP IDs
# sorted, each province's bank-code prefix (its CODE and a dash: SH-CITY,
# SH-PBC, … belong to Shanghai), owner plus two others for owned keys, three
# of four for shared keys (docs/security.md; govcc.DefaultConfig is the
# same). With fewer than four provinces, every other province endorses
# owned keys and all of them shared keys.
gov_config() {
	local org msps prefixes others=2 quorum=3 n=${#ORGS[@]}
	msps=$(for org in "${ORGS[@]}"; do printf '"%s"\n' "${MSP[$org]}"; done | LC_ALL=C sort | paste -sd,)
	prefixes=$(for org in "${ORGS[@]}"; do printf '"%s":"%s-"\n' "${MSP[$org]}" "${CODE[$org]}"; done | LC_ALL=C sort | paste -sd,)
	[ "$n" -lt 4 ] && others=$((n - 1)) && quorum=$n
	printf '{"orgs":[%s],"bankPrefixes":{%s},"ownerEndorsers":%d,"quorum":%d}' "$msps" "$prefixes" "$others" "$quorum"
}

# cc_gov_init writes the configuration once (gov:Init, endorsed by every
# province) and checks what every peer reads back; on a ledger that has one
# already it only checks.
cc_gov_init() {
	local want got org peers=() log="$STATE/logs/lifecycle.log" arg
	want=$(gov_config)
	got=$(peer_env "${ORGS[0]}" operator && "$FABRIC_BIN/peer" chaincode query -C "$CHANNEL" -n "$CC_NAME" \
		-c '{"Args":["gov:GetConfig","{}"]}' 2>>"$log") || true
	if [ -z "$got" ] || [ "$got" = '{"orgs":null,"bankPrefixes":null,"ownerEndorsers":0,"quorum":0}' ]; then
		for org in "${ORGS[@]}"; do
			peers+=(--peerAddresses "127.0.0.1:$(port "$org" peer)" --tlsRootCertFiles "$(cafile "$org")")
		done
		arg=$(printf '%s' "$want" | sed 's/"/\\"/g')
		# shellcheck disable=SC2046
		(peer_env "${ORGS[0]}" admin && "$FABRIC_BIN/peer" chaincode invoke $(orderer_flags "${ORGS[0]}") \
			-C "$CHANNEL" -n "$CC_NAME" "${peers[@]}" --waitForEvent \
			-c "{\"Args\":[\"gov:Init\",\"$arg\"]}") >>"$log" 2>&1 ||
			{ echo "gov:Init failed: see $log" >&2; return 1; }
	fi
	for org in "${ORGS[@]}"; do
		wait_for 30 "the configuration on $org" cc_config_is "$org" "$want" || return 1
	done
}

cc_config_is() {
	local got
	got=$(peer_env "$1" operator && "$FABRIC_BIN/peer" chaincode query -C "$CHANNEL" -n "$CC_NAME" \
		-c '{"Args":["gov:GetConfig","{}"]}' 2>/dev/null) || return 1
	[ "$got" = "$2" ]
}

collections_flag() {
	[ -f "$CC_DIR/collections.json" ] && echo --collections-config "$CC_DIR/collections.json"
}

orderer_flags() {
	local org=$1
	echo -o "127.0.0.1:$(port "$org" orderer)" --tls --cafile "$(cafile "$org")"
}

# cc_committed_sequence prints the committed sequence (0 when none).
cc_committed_sequence() {
	local out
	out=$(peer_env "${ORGS[0]}" && "$FABRIC_BIN/peer" lifecycle chaincode querycommitted -C "$CHANNEL" -n "$CC_NAME" 2>/dev/null) || { echo 0; return; }
	sed -n 's/.*Sequence: \([0-9]*\).*/\1/p' <<<"$out" | head -1
}

cc_committed_on() {
	local org=$1 seq=$2
	(peer_env "$org" && "$FABRIC_BIN/peer" lifecycle chaincode querycommitted -C "$CHANNEL" -n "$CC_NAME" 2>/dev/null) |
		grep -q "Sequence: $seq,"
}

# cc_deploy installs, approves and commits the chaincode with the next
# sequence, and (re)starts every province's chaincode server.
cc_deploy() {
	local seq label org pkg ccid policy peers=() log="$STATE/logs/lifecycle.log"
	seq=$(($(cc_committed_sequence) + 1))
	label="${CC_NAME}_${YRD_CC_VERSION:-v$seq}"
	policy=$(tr -d '\n' <"$CC_DIR/endorsement-policy")
	mkdir -p "$STATE/chaincode/$CC_NAME"
	for org in "${ORGS[@]}"; do
		pkg=$(cc_package "$org" "$label")
		(peer_env "$org" && "$FABRIC_BIN/peer" lifecycle chaincode install "$pkg") >>"$log" 2>&1 ||
			(peer_env "$org" && "$FABRIC_BIN/peer" lifecycle chaincode queryinstalled) 2>/dev/null | grep -q "Label: $label" ||
			{ echo "install on $org failed: see $log" >&2; return 1; }
		ccid=$(peer_env "$org" && "$FABRIC_BIN/peer" lifecycle chaincode calculatepackageid "$pkg" 2>>"$log")
		cc_server_start "$org" "$ccid" || return 1
		# shellcheck disable=SC2046
		(peer_env "$org" && "$FABRIC_BIN/peer" lifecycle chaincode approveformyorg $(orderer_flags "$org") \
			-C "$CHANNEL" -n "$CC_NAME" -v "$label" --package-id "$ccid" --sequence "$seq" \
			--signature-policy "$policy" $(collections_flag)) >>"$log" 2>&1 ||
			{ echo "approve by $org failed: see $log" >&2; return 1; }
		peers+=(--peerAddresses "127.0.0.1:$(port "$org" peer)" --tlsRootCertFiles "$(cafile "$org")")
	done
	# shellcheck disable=SC2046
	(peer_env "${ORGS[0]}" && "$FABRIC_BIN/peer" lifecycle chaincode commit $(orderer_flags "${ORGS[0]}") \
		-C "$CHANNEL" -n "$CC_NAME" -v "$label" --sequence "$seq" \
		--signature-policy "$policy" $(collections_flag) "${peers[@]}") >>"$log" 2>&1 ||
		{ echo "commit failed: see $log" >&2; return 1; }
	for org in "${ORGS[@]}"; do
		wait_for 30 "chaincode sequence $seq on $org" cc_committed_on "$org" "$seq" || return 1
	done
	echo "$seq" >"$STATE/chaincode/$CC_NAME/sequence"
}

# cc_ready ORG is true once ORG's peer answers a query through the chaincode.
cc_ready() {
	local probe='{"Args":["system:Version","{}"]}'
	[ "$CC_NAME" = yrdbench ] && probe='{"Args":["Balance","{\"account\":\"probe\"}"]}'
	(peer_env "$1" operator && "$FABRIC_BIN/peer" chaincode query -C "$CHANNEL" -n "$CC_NAME" -c "$probe") >/dev/null 2>&1
}
