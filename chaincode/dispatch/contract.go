package dispatch

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/yangtze-delta/settlement/api"
)

// Contract is what every contract of the yrd chaincode embeds: contractapi's
// base, named after its api contract, and the read-only functions declared
// from the api table, so that no contract lists them by hand.
type Contract struct {
	contractapi.Contract
}

// NewContract names a contract (an api.ContractX constant) and titles it.
func NewContract(name, title string) Contract {
	c := Contract{}
	c.Name = name
	c.Info.Title = title
	c.Info.Version = "1"
	return c
}

// GetEvaluateTransactions declares the read-only functions (from package api).
func (c *Contract) GetEvaluateTransactions() []string { return api.EvaluateNames(c.Name) }
