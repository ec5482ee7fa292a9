# YRD Settlement. `make up` builds everything and starts the network;
# `make test` runs vet, unit tests and the end-to-end suite on a fresh
# network of its own. See README.md.

SHELL := /bin/bash
.DEFAULT_GOAL := help

BIN        := $(CURDIR)/bin
NETWORK    := test-network-scripts/network.sh
GO_MIN     := 1.25
FABRIC_PKG := github.com/hyperledger/fabric
CA_PKG     := github.com/hyperledger/fabric-ca
FABRIC_TOOLS := $(BIN)/configtxgen $(BIN)/osnadmin
FABRIC_BINS := $(FABRIC_TOOLS) $(BIN)/peer $(BIN)/orderer
# Our patches to the pinned Fabric (see docs/network.md, "The orderer WAL patch")
# and the build directory where they are applied to a copy of the module.
FABRIC_PATCHES := $(sort $(wildcard network/fabric/patches/*.patch))
FABRIC_BUILD   := $(CURDIR)/.build/fabric
FABRIC_SRC     := $(FABRIC_BUILD)/src
FABRIC_MODFILE := $(FABRIC_BUILD)/go.mod
CA_BINS     := $(BIN)/fabric-ca-server $(BIN)/fabric-ca-client
VERSION    := $(shell git describe --always --dirty 2>/dev/null || echo dev)

export GOFLAGS := -buildvcs=false

.PHONY: help up down status test test-unit test-e2e test-e2e-bft test-e2e-bft-ci chaos chaos-jobs lint build build-fabric build-ours bench prereq clean-bin test-fabric-patch profile caliper

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

up: build ## build everything, start the network, deploy chaincode, start gateways
	@$(NETWORK) up

down: ## stop what `make up` started and remove its state
	@$(NETWORK) down

status: ## what runs, ports, heights
	@$(NETWORK) status

test: lint test-unit test-fabric-patch test-e2e test-e2e-bft-ci ## vet, unit tests, the orderer patch test, end-to-end suite on a fresh network, a subset of it on BFT

test-unit: ## unit tests (no network)
	go test -count=1 ./...

# YRD_CONSENSUS (raft, the default, or bft) and FABRIC_BIN pass through to the
# suite's network (docs/network.md). On bft the test that needs what BFT cannot
# do in the pinned Fabric is skipped (docs/network.md, "The e2e suite on BFT"):
# a 1 MB transaction (TestBatchOf500).
E2E_SKIP_bft := ^(TestBatchOf500)$$
E2E_SKIP     := $(E2E_SKIP_$(YRD_CONSENSUS))

test-e2e: build ## end-to-end suite: starts its own network on its own ports (YRD_CONSENSUS=bft: on BFT)
	YRD_E2E=1 YRD_BIN=$(BIN) go test -count=1 -timeout 40m -v $(if $(E2E_SKIP),-skip '$(E2E_SKIP)') ./network/e2e/...

test-e2e-bft: ## the end-to-end suite on a BFT ordering service (YRD_CONSENSUS=bft make test-e2e)
	@$(MAKE) --no-print-directory test-e2e YRD_CONSENSUS=bft

# What `make test` runs on BFT (a fresh SmartBFT network of its own), to keep
# CI inside its time: identities, the token lifecycle, mints by quorum,
# 200 concurrent gateway payments, SDK payments under contention (the
# fabric #4415 look-up), the bench smoke (every scenario), an interbank day,
# a programme. `make test-e2e-bft` runs the whole suite on BFT.
E2E_BFT_CI := ^(TestCallerIdentity|TestTokenLifecycle|TestMintByQuorum|TestGatewayConcurrentPayments|TestHotAccounts|TestBenchSmoke|TestInterbankDay|TestProgramme)$$

test-e2e-bft-ci: build ## the subset of the end-to-end suite that `make test` runs on BFT
	YRD_E2E=1 YRD_CONSENSUS=bft YRD_BIN=$(BIN) go test -count=1 -timeout 30m -v -run '$(E2E_BFT_CI)' ./network/e2e/

# The fault suite in full (TestFaults with YRD_CHAOS=1, on a network of its
# own, under continuous payments through the four gateways): kill -9 and
# restart of the orderer leader and a follower, every peer, chaincode server
# and gateway, one whole province, an ordering outage, then 20 leader kill +
# restart cycles. `make test` runs a short list of it. YRD_CONSENSUS passes
# through (bft: on SmartBFT).
chaos: build ## fault suite in full: kill -9 + restart of every node under load, 20 leader cycles (own network, ~20 min)
	YRD_E2E=1 YRD_CHAOS=1 YRD_BIN=$(BIN) go test -count=1 -timeout 60m -v -run '^TestFaults$$' ./network/e2e/

# Not part of `make test`: a disbursement job of 100,000 lines whose gateway
# is killed (SIGKILL) and restarted mid-way, then the job re-submitted
# (TestChaosJobResubmit; YRD_CHAOS_JOB_LINES=N for a smaller job).
chaos-jobs: build ## 100,000-line disbursement job re-submitted after a gateway kill -9 (own network, ~10 min)
	YRD_E2E=1 YRD_CHAOS_JOBS=1 YRD_BIN=$(BIN) go test -count=1 -timeout 60m -v -run '^TestChaosJobResubmit$$' ./network/e2e/

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

BENCH_DURATION    ?= 20s
# A sweep: the scenarios of BENCH_SWEEP are measured at every level (for the
# plot of payments/s against concurrency; level 1 is the lone payment), the
# others once at the middle one (50). BENCH_BFT are measured again on a
# fresh SmartBFT network for the raft vs bft table. The report ends with the
# goals of issues 12 and 9 checked on the run.
BENCH_CONCURRENCY ?= 1,10,50,200
BENCH_SWEEP       ?= gw:distinct,sdk:distinct,bench:put
BENCH_SCENARIOS   ?= all
BENCH_BFT         ?= gw:distinct,gw:batch,bench:put

bench: build ## chaincode Go benchmarks, then yrd-bench on a fresh network (writes bench-report.txt/.json and bench-*.svg plots)
	go test -run '^$$' -bench . -benchmem ./chaincode/... ./gateway/...
	$(BIN)/yrd-bench -duration $(BENCH_DURATION) -concurrency $(BENCH_CONCURRENCY) -sweep-scenarios '$(BENCH_SWEEP)' -scenarios '$(BENCH_SCENARIOS)' \
	  -bft-scenarios '$(BENCH_BFT)'

# CPU profiles of every process under load (docs/performance.md, "Where the
# time goes"): a fresh network with YRD_PROFILE=1 (pprof on loopback), the
# scenarios of PROFILE_SCENARIOS at 50 workers, and per phase the CPU of every
# process, the stages it adds up to per payment and a real transaction's
# read-write set, in PROFILE_DIR (summary.txt first).
PROFILE_DIR       ?= profiles
PROFILE_SCENARIOS ?= sdk:distinct,gw:distinct,gw:batch,bench:put

profile: build ## profile peers, orderers, chaincode servers and gateways under yrd-bench (fresh network): PROFILE_DIR/summary.txt
	@mkdir -p $(PROFILE_DIR)
	$(BIN)/yrd-bench -profile $(PROFILE_DIR) -scenarios '$(PROFILE_SCENARIOS)' -duration $(BENCH_DURATION) -concurrency 50 \
	  -cycle 0 -disburse 0 -simulate off -text $(PROFILE_DIR)/bench-report.txt -json $(PROFILE_DIR)/bench-report.json -plots $(PROFILE_DIR)/bench

# Hyperledger Caliper against the network of `make up` (bench/caliper): npm
# installs Caliper and the Fabric gateway binding into bench/caliper/node_modules
# (once), gen-config.sh writes the network configuration from the state dir,
# yrd-bench -payers funds CALIPER_PAYERS payers, Caliper pays for
# CALIPER_DURATION seconds with CALIPER_PAYERS payments in flight.
CALIPER_DIR      := bench/caliper
CALIPER_STATE    ?= $(CURDIR)/.state
CALIPER_PAYERS   ?= 50
CALIPER_WORKERS  ?= 2
CALIPER_DURATION ?= 20

$(CALIPER_DIR)/node_modules/.installed: $(CALIPER_DIR)/package.json
	cd $(CALIPER_DIR) && npm install --no-audit --no-fund --loglevel=error
	@touch $@

caliper: build-ours $(CALIPER_DIR)/node_modules/.installed ## Hyperledger Caliper benchmark (token:Transfer, closed loop) against the network of `make up`
	@[ -d "$(CALIPER_STATE)/orgs" ] || { echo "no network in $(CALIPER_STATE): run 'make up' first"; exit 1; }
	YRD_STATE_DIR=$(CALIPER_STATE) $(CALIPER_DIR)/gen-config.sh $(CALIPER_DIR)/generated
	$(BIN)/yrd-bench -state-dir $(CALIPER_STATE) -port-base $$(cat $(CALIPER_STATE)/port-base) -simulate off \
	  -concurrency $(CALIPER_PAYERS) -payers $(CALIPER_DIR)/generated/payers.json
	sed -e 's/^    number: 2$$/    number: $(CALIPER_WORKERS)/' -e 's/txDuration: 20$$/txDuration: $(CALIPER_DURATION)/' \
	  -e 's/transactionLoad: 50$$/transactionLoad: $(CALIPER_PAYERS)/' \
	  -e 's#payersFile: generated/payers.json#payersFile: $(abspath $(CALIPER_DIR))/generated/payers.json#' \
	  $(CALIPER_DIR)/benchmark.yaml >$(CALIPER_DIR)/generated/benchmark.yaml
	cd $(CALIPER_DIR) && set -o pipefail && npx caliper launch manager --caliper-workspace . \
	  --caliper-networkconfig generated/networkconfig.yaml --caliper-benchconfig generated/benchmark.yaml \
	  --caliper-flow-only-test --caliper-report-path generated/report.html 2>&1 | tee generated/caliper.log

build: prereq build-fabric build-ours ## build Fabric, Fabric CA and our binaries into ./bin

build-fabric: $(FABRIC_BINS) $(CA_BINS) $(BIN)/config/core.yaml

prereq:
	@command -v go >/dev/null || { echo "Go $(GO_MIN)+ is required: install it from the Go distribution"; exit 1; }
	@v=$$(go env GOVERSION | sed 's/^go//'); \
	 if [ "$$(printf '%s\n' $(GO_MIN) $$v | sort -V | head -1)" != "$(GO_MIN)" ]; then \
	   echo "Go $(GO_MIN) or newer is required (found $$v)"; exit 1; fi
	@command -v gcc >/dev/null || { echo "gcc is required to build fabric-ca (cgo, sqlite): apt-get install gcc"; exit 1; }
	@command -v curl >/dev/null || { echo "curl is required: apt-get install curl"; exit 1; }

# Fabric binaries are rebuilt only when the pinned module (or, for the orderer
# and the peer, one of our patches) changes. configtxgen and osnadmin come
# straight from the module cache.
$(FABRIC_TOOLS) &: network/fabric/go.mod network/fabric/go.sum
	@mkdir -p $(BIN); t0=$$(date +%s); echo "building fabric configtxgen, osnadmin…"; \
	 cd network/fabric && go build -o $(BIN)/ \
	   $(FABRIC_PKG)/cmd/configtxgen $(FABRIC_PKG)/cmd/osnadmin && \
	 echo "built fabric tools in $$(( $$(date +%s) - t0 )) s"; touch $(FABRIC_TOOLS)

# The orderer and the peer are built from a copy of the pinned module with
# network/fabric/patches applied in order (patch -p1), through a generated go.mod that replaces the Fabric
# module with that copy. Its version output and start-up log line name the
# patches ("Commit SHA: <pinned commit>+<patch names>"). The copy comes from the
# module cache that `go mod download` fills, so this works offline once the
# module has been downloaded; a patch that no longer applies stops the build.
$(FABRIC_MODFILE): network/fabric/go.mod network/fabric/go.sum $(FABRIC_PATCHES)
	@command -v patch >/dev/null || { echo "patch is required to build the orderer: apt-get install patch"; exit 1; }
	@set -e; rm -rf $(FABRIC_BUILD); mkdir -p $(FABRIC_BUILD); cd network/fabric; \
	 go mod download $(FABRIC_PKG); src=$$(go list -m -f '{{.Dir}}' $(FABRIC_PKG)); \
	 cp -R "$$src" $(FABRIC_SRC).tmp; chmod -R u+w $(FABRIC_SRC).tmp; \
	 for p in $(FABRIC_PATCHES); do \
	   echo "applying $$p"; patch -d $(FABRIC_SRC).tmp -p1 --forward --batch --quiet <"$(CURDIR)/$$p"; \
	 done; \
	 mv $(FABRIC_SRC).tmp $(FABRIC_SRC); cp go.sum $(FABRIC_BUILD)/go.sum; cp go.mod $(FABRIC_MODFILE).tmp; \
	 go mod edit -replace=$(FABRIC_PKG)=$(FABRIC_SRC) $(FABRIC_MODFILE).tmp; mv $(FABRIC_MODFILE).tmp $(FABRIC_MODFILE)

$(BIN)/orderer $(BIN)/peer &: $(FABRIC_MODFILE)
	@mkdir -p $(BIN); t0=$$(date +%s); echo "building fabric orderer and peer (patched)…"; \
	 cd network/fabric && v=$$(go list -m -f '{{.Version}}' $(FABRIC_PKG)) && sha=$${v##*-} && \
	 for p in $(FABRIC_PATCHES); do sha="$$sha+$$(basename $$p .patch)"; done && \
	 go build -modfile=$(FABRIC_MODFILE) -ldflags "-X $(FABRIC_PKG)/common/metadata.CommitSHA=$$sha" \
	   -o $(BIN)/ $(FABRIC_PKG)/cmd/orderer $(FABRIC_PKG)/cmd/peer && \
	 echo "built fabric orderer and peer in $$(( $$(date +%s) - t0 )) s"; touch $(BIN)/orderer $(BIN)/peer

# The patches' regression tests (network/fabric/walfix, network/fabric/sbefix),
# run against the pinned module as published, where they must see the deadlock
# and the per-key policy evaluations, then against the patched copy.
test-fabric-patch: $(FABRIC_MODFILE) ## Fabric patch tests: must fail the unpatched way unpatched, pass patched (~30 s)
	cd network/fabric && YRD_FABRIC_UNPATCHED=1 go test -count=1 -v ./walfix/ ./sbefix/
	cd network/fabric && go test -count=1 -v -modfile=$(FABRIC_MODFILE) ./walfix/ ./sbefix/

$(CA_BINS) &: network/fabric-ca/go.mod network/fabric-ca/go.sum
	@mkdir -p $(BIN); t0=$$(date +%s); echo "building fabric-ca-server, fabric-ca-client (cgo)…"; \
	 cd network/fabric-ca && CGO_ENABLED=1 go build -o $(BIN)/ $(CA_PKG)/cmd/fabric-ca-server $(CA_PKG)/cmd/fabric-ca-client && \
	 echo "built fabric-ca in $$(( $$(date +%s) - t0 )) s"; touch $(CA_BINS)

# The pinned Fabric's sample configuration, which network.sh overrides.
$(BIN)/config/core.yaml: network/fabric/go.mod
	@mkdir -p $(BIN)/config
	@d=$$(cd network/fabric && go list -m -f '{{.Dir}}' $(FABRIC_PKG)) && \
	 install -m 644 $$d/sampleconfig/core.yaml $$d/sampleconfig/orderer.yaml $(BIN)/config/

build-ours: ## build the chaincode server and gateway
	go build -ldflags "-X main.version=$(VERSION)" -o $(BIN)/ ./chaincode/cmd/... $(if $(wildcard gateway/cmd),./gateway/cmd/...) ./bench/cmd/...

clean-bin: ## remove built binaries
	rm -rf $(BIN)
