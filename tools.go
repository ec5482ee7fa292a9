//go:build tools

package settlement

import (
	_ "github.com/hyperledger/fabric-chaincode-go/v2/shim"
	_ "github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	_ "github.com/hyperledger/fabric-gateway/pkg/client"
	_ "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	_ "github.com/stretchr/testify/require"
	_ "google.golang.org/grpc"
	_ "github.com/prometheus/client_golang/prometheus"
)
