// Package config holds the gateway's typed configuration: where it listens,
// which peer it talks to, the channel and chaincode, the timeout of each
// Fabric stage, and the back-office clients it accepts together with the
// Fabric identity each client signs with.
//
// A configuration is read from a JSON file (unknown fields are refused),
// filled with [Defaults] for every field left out, and checked by
// [Config.Validate], whose error names the offending field as a JSON path
// (for example "clients[1].identity.keyFile"). The gateway refuses to start
// with an invalid configuration.
package config
