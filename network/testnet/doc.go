// Package testnet starts and stops a real four-province YRD network for
// end-to-end tests: it runs test-network-scripts/network.sh in a temporary
// state directory on a free block of ports, and hands out what a test needs
// to talk to it (peer endpoints, CA files, identities, gateway URLs, Fabric
// Gateway SDK connections).
//
// The network is tied to the test process: network.sh's watchdog stops it
// when the process that started it exits, even if the test binary is killed
// before its cleanup runs.
package testnet
