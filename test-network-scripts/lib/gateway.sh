# shellcheck shell=bash
# One YRD gateway (HTTP) per province, in front of that province's peer.

gateway_start() { :; }

gateway_endpoints() {
	local org
	for org in "${ORGS[@]}"; do
		[ -f "$STATE/pids/gateway-$org.pid" ] && say "gateway $org: http://127.0.0.1:$(port "$org" gateway)"
	done
	return 0
}
