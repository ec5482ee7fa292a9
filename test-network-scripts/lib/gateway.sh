# shellcheck shell=bash
# One YRD gateway (HTTP) per province, in front of that province's peer.
# Every client identity of the province gets a back-office client with a
# bearer token, made once and kept across restarts (gateway_rotate_tokens
# makes new ones); the token is written to orgs/ORG/gateway/tokens/USER and
# only its SHA-256 goes into the config. The gateway keeps its operation
# records in orgs/ORG/gateway/state. Each gateway runs the interbank cycle
# timer as its province's issuer (client ORG-issuer), at the business
# calendar's interval; YRD_INTERBANK_CYCLES=0 turns the timer off (cycles
# then run only on POST /v1/interbank/cycles).

gateway_config() {
	local org=$1 d g user token sep=""
	d=$(orgdir "$org")
	g="$d/gateway"
	mkdir -p "$g/tokens" "$g/state"
	chmod 700 "$g/tokens" "$g/state"
	{
		cat <<JSON
{
  "listen": "127.0.0.1:$(port "$org" gateway)",
  "mspId": "${MSP[$org]}",
  "channel": "$CHANNEL",
  "chaincode": "$MAIN_CC",
  "peer": {"endpoint": "127.0.0.1:$(port "$org" peer)", "tlsCAFile": "$(cafile "$org")"},
  "stateDir": "$g/state",
  "metricsListen": "127.0.0.1:$(port "$org" gateway-ops)",
JSON
		# The event stream needs a channel reader: the province's admin.
		printf '  "events": {"identity": "%s-admin"},\n' "$org"
		if [ "${YRD_INTERBANK_CYCLES:-1}" != 0 ]; then
			printf '  "interbank": {"cycleIdentity": "%s-issuer"},\n' "$org"
		fi
		printf '  "clients": [\n'
		for user in "${USERS[@]}"; do
			if [ -s "$g/tokens/$user" ]; then
				token=$(head -1 "$g/tokens/$user")
			else
				token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
				printf '%s\n' "$token" >"$g/tokens/$user"
			fi
			printf '%s    {"name": "%s-%s", "tokenSha256": "%s", "identity": {"certFile": "%s", "keyFile": "%s"}}' \
				"$sep" "$org" "$user" "$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)" \
				"$d/users/$user/msp/signcerts/cert.pem" "$d/users/$user/msp/keystore/key.pem"
			sep=$',\n'
		done
		printf '\n  ]\n}\n'
	} >"$g/config.json"
	chmod 600 "$g/tokens"/*
}

gateway_start() {
	local org=$1 g
	g="$(orgdir "$org")/gateway"
	gateway_config "$org" || return 1
	start_proc "gateway-$org" "$STATE/logs/gateway-$org.log" "$BIN/yrd-gateway" -config "$g/config.json"
	wait_proc "gateway-$org" "$(port "$org" gateway)"
}

# gateway_rotate_tokens ORG replaces every token of ORG's gateway and
# restarts it: the old tokens stop working.
gateway_rotate_tokens() {
	local org=$1
	rm -f "$(orgdir "$org")/gateway/tokens"/*
	stop_proc "gateway-$org"
	gateway_start "$org"
}

gateway_endpoints() {
	local org
	for org in "${ORGS[@]}"; do
		[ -f "$STATE/pids/gateway-$org.pid" ] || continue
		say "gateway $org: http://127.0.0.1:$(port "$org" gateway)  tokens: $(orgdir "$org")/gateway/tokens/"
	done
	return 0
}
