# shellcheck shell=bash
# Certificate authorities: one fabric-ca-server per province, which issues
# that province's enrolment (MSP) and TLS certificates, and client identities
# carrying the attributes the chaincode authorises by.

# ca_start ORG initialises and starts ORG's CA and waits until it answers.
ca_start() {
	local org=$1 d home pw
	d=$(orgdir "$org")
	home="$d/ca"
	mkdir -p "$home"
	pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	echo "$pw" >"$home/bootstrap-secret"
	chmod 600 "$home/bootstrap-secret"
	FABRIC_CA_SERVER_OPERATIONS_LISTENADDRESS="127.0.0.1:$(port "$org" ca-ops)" \
		start_proc "ca-$org" "$STATE/logs/ca-$org.log" \
		"$BIN/fabric-ca-server" start --home "$home" -b "registrar:$pw" \
		--address 127.0.0.1 --port "$(port "$org" ca)" \
		--ca.name "ca-$org" --csr.cn "ca.$org.yrd" --csr.hosts 127.0.0.1,localhost \
		--tls.enabled
	wait_proc "ca-$org" "$(port "$org" ca)" && wait_for 30 "CA certificate of $org" test -s "$home/ca-cert.pem"
}

# ca_client ORG ARGS... runs fabric-ca-client against ORG's CA as its
# bootstrap registrar.
ca_client() {
	local org=$1
	shift
	"$BIN/fabric-ca-client" "$@" -u "https://127.0.0.1:$(port "$org" ca)" \
		--home "$(orgdir "$org")/ca/registrar" --tls.certfiles "$(orgdir "$org")/ca/ca-cert.pem" >/dev/null 2>&1
}

# nodeous_config CAFILE prints an MSP config.yaml with NodeOUs on.
nodeous_config() {
	cat <<YAML
NodeOUs:
  Enable: true
  ClientOUIdentifier: {Certificate: $1, OrganizationalUnitIdentifier: client}
  PeerOUIdentifier: {Certificate: $1, OrganizationalUnitIdentifier: peer}
  AdminOUIdentifier: {Certificate: $1, OrganizationalUnitIdentifier: admin}
  OrdererOUIdentifier: {Certificate: $1, OrganizationalUnitIdentifier: orderer}
YAML
}

# enroll ORG NAME SECRET DIR enrols NAME twice: an MSP (DIR/msp) and a TLS
# key pair (DIR/tls/{cert,key,ca}.pem), both with fixed file names.
enroll() {
	local org=$1 name=$2 secret=$3 dir=$4 url ca tmp
	url="https://$name:$secret@127.0.0.1:$(port "$org" ca)"
	ca="$(orgdir "$org")/ca/ca-cert.pem"
	mkdir -p "$dir"
	"$BIN/fabric-ca-client" enroll -u "$url" --home "$dir/.client" --tls.certfiles "$ca" \
		--mspdir "$dir/msp" --csr.hosts "127.0.0.1,localhost,$name.$org.yrd" >/dev/null 2>&1 ||
		{ echo "enrol $name of $org failed" >&2; return 1; }
	tidy_msp "$dir/msp"
	tmp="$dir/.tlsmsp"
	"$BIN/fabric-ca-client" enroll -u "$url" --home "$dir/.client" --tls.certfiles "$ca" \
		--mspdir "$tmp" --enrollment.profile tls --csr.hosts "127.0.0.1,localhost,$name.$org.yrd" >/dev/null 2>&1 ||
		{ echo "TLS enrol $name of $org failed" >&2; return 1; }
	mkdir -p "$dir/tls"
	cp "$tmp/signcerts/cert.pem" "$dir/tls/cert.pem"
	cp "$tmp"/keystore/*_sk "$dir/tls/key.pem"
	cp "$ca" "$dir/tls/ca.pem"
	rm -rf "$tmp" "$dir/.client"
}

# tidy_msp DIR gives an enrolled MSP fixed file names and NodeOUs.
tidy_msp() {
	local d=$1
	mv "$d"/keystore/*_sk "$d/keystore/key.pem"
	mv "$d"/cacerts/*.pem "$d/cacerts/ca.pem.tmp" && mv "$d/cacerts/ca.pem.tmp" "$d/cacerts/ca.pem"
	mkdir -p "$d/tlscacerts"
	cp "$d/cacerts/ca.pem" "$d/tlscacerts/ca.pem"
	nodeous_config cacerts/ca.pem >"$d/config.yaml"
	rm -rf "$d/IssuerPublicKey" "$d/IssuerRevocationPublicKey" "$d/user"
}

# ca_identities ORG registers and enrols ORG's nodes and users and writes
# the province's channel MSP (orgs/ORG/msp).
ca_identities() {
	local org=$1 d pw name secret attrs type
	d=$(orgdir "$org")
	pw=$(cat "$d/ca/bootstrap-secret")
	"$BIN/fabric-ca-client" enroll -u "https://registrar:$pw@127.0.0.1:$(port "$org" ca)" \
		--home "$d/ca/registrar" --tls.certfiles "$d/ca/ca-cert.pem" >/dev/null 2>&1 ||
		{ echo "registrar enrol of $org failed" >&2; return 1; }

	mkdir -p "$d/msp/cacerts" "$d/msp/tlscacerts"
	cp "$d/ca/ca-cert.pem" "$d/msp/cacerts/ca.pem"
	cp "$d/ca/ca-cert.pem" "$d/msp/tlscacerts/ca.pem"
	nodeous_config cacerts/ca.pem >"$d/msp/config.yaml"

	for name in peer0 orderer0 chaincode "${USERS[@]}"; do
		secret=$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')
		attrs=""
		case $name in
		peer0) type=peer ;;
		orderer0) type=orderer ;;
		chaincode) type=client ;;
		admin) type=admin attrs="role=admin:ecert" ;;
		*)
			type=client attrs="role=$(role_of "$name"):ecert"
			[ -n "$(bank_of "$org" "$name")" ] && attrs+=",bank=$(bank_of "$org" "$name"):ecert"
			;;
		esac
		ca_client "$org" register --id.name "$name" --id.secret "$secret" --id.type "$type" \
			${attrs:+--id.attrs "$attrs"} ||
			{ echo "register $name of $org failed" >&2; return 1; }
		case $name in
		peer0 | orderer0 | chaincode) enroll "$org" "$name" "$secret" "$d/$name" || return 1 ;;
		*) enroll "$org" "$name" "$secret" "$d/users/$name" || return 1 ;;
		esac
	done
}
