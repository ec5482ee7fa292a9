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
FABRIC_BINS := $(BIN)/peer $(BIN)/orderer $(BIN)/configtxgen $(BIN)/osnadmin
CA_BINS     := $(BIN)/fabric-ca-server $(BIN)/fabric-ca-client
VERSION    := $(shell git describe --always --dirty 2>/dev/null || echo dev)

export GOFLAGS := -buildvcs=false

.PHONY: help up down status test test-unit test-e2e lint build build-fabric build-ours bench prereq clean-bin

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

up: build ## build everything, start the network, deploy chaincode, start gateways
	@$(NETWORK) up

down: ## stop what `make up` started and remove its state
	@$(NETWORK) down

status: ## what runs, ports, heights
	@$(NETWORK) status

test: lint test-unit test-e2e ## vet, unit tests, end-to-end suite on a fresh network

test-unit: ## unit tests (no network)
	go test -count=1 ./...

test-e2e: build ## end-to-end suite: starts its own network on its own ports
	YRD_E2E=1 YRD_BIN=$(BIN) go test -count=1 -timeout 40m -v ./network/e2e/...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

BENCH_DURATION    ?= 20s
BENCH_CONCURRENCY ?= 50
BENCH_SCENARIOS   ?= all

bench: build ## chaincode Go benchmarks, then yrd-bench on a fresh network (writes bench-report.txt/.json)
	go test -run '^$$' -bench . -benchmem ./chaincode/... ./gateway/...
	$(BIN)/yrd-bench -duration $(BENCH_DURATION) -concurrency $(BENCH_CONCURRENCY) -scenarios '$(BENCH_SCENARIOS)'

build: prereq build-fabric build-ours ## build Fabric, Fabric CA and our binaries into ./bin

build-fabric: $(FABRIC_BINS) $(CA_BINS) $(BIN)/config/core.yaml

prereq:
	@command -v go >/dev/null || { echo "Go $(GO_MIN)+ is required: install it from the Go distribution"; exit 1; }
	@v=$$(go env GOVERSION | sed 's/^go//'); \
	 if [ "$$(printf '%s\n' $(GO_MIN) $$v | sort -V | head -1)" != "$(GO_MIN)" ]; then \
	   echo "Go $(GO_MIN) or newer is required (found $$v)"; exit 1; fi
	@command -v gcc >/dev/null || { echo "gcc is required to build fabric-ca (cgo, sqlite): apt-get install gcc"; exit 1; }
	@command -v curl >/dev/null || { echo "curl is required: apt-get install curl"; exit 1; }

# Fabric binaries are rebuilt only when the pinned module changes.
$(FABRIC_BINS) &: network/fabric/go.mod network/fabric/go.sum
	@mkdir -p $(BIN); t0=$$(date +%s); echo "building fabric peer, orderer, configtxgen, osnadmin…"; \
	 cd network/fabric && go build -o $(BIN)/ $(FABRIC_PKG)/cmd/peer $(FABRIC_PKG)/cmd/orderer \
	   $(FABRIC_PKG)/cmd/configtxgen $(FABRIC_PKG)/cmd/osnadmin && \
	 echo "built fabric in $$(( $$(date +%s) - t0 )) s"; touch $(FABRIC_BINS)

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
