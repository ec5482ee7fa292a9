// Package access identifies the caller of a chaincode transaction from its
// X.509 certificate: the MSP ID that issued it and the Fabric CA attributes
// (role, bank) embedded in it. Nothing here is ever taken from transaction
// arguments.
package access
