// Package ccserver serves a chaincode as an external service (chaincode as
// a service): the peer dials it at the address in the package's
// connection.json. Every chaincode command of ours starts through Serve, so
// they share one configuration contract, flags with environment overrides:
//
//	-address  CHAINCODE_SERVER_ADDRESS  listen address, e.g. 127.0.0.1:7052
//	-id       CHAINCODE_ID              package ID the peer knows this chaincode by
//	-tls-cert CHAINCODE_TLS_CERT        PEM server certificate (TLS is on when set)
//	-tls-key  CHAINCODE_TLS_KEY         PEM server key
//	-tls-client-ca CHAINCODE_TLS_CLIENT_CA  PEM CA of peers' client certificates (optional)
//	-channel-orgs YRD_CHANNEL_ORGS  the channel's provinces, comma-separated sorted MSP IDs (optional)
//
// The channel's provinces are this province's operator's own knowledge of
// the channel, independent of any other province: a command that serves
// the governance contract passes them on (govcc.SetChannelOrgs) so that
// its endorser refuses a gov:Init naming other provinces. Unset, gov:Init
// accepts any valid list.
package ccserver

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/yangtze-delta/settlement/api"
)

// Config is where and how a chaincode server listens, and what it knows of
// its channel.
type Config struct {
	Address, ID                  string
	TLSCert, TLSKey, TLSClientCA string
	// ChannelOrgs are the channel's provinces (MSP IDs, sorted); nil when
	// not given.
	ChannelOrgs []string
}

// ParseFlags reads the configuration from args (without the program name)
// and the environment as getenv reads it (a main passes the process's); both Address
// and ID are required.
func ParseFlags(name string, args []string, getenv func(string) string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.Address, "address", getenv("CHAINCODE_SERVER_ADDRESS"), "listen address")
	fs.StringVar(&c.ID, "id", getenv("CHAINCODE_ID"), "chaincode package ID")
	fs.StringVar(&c.TLSCert, "tls-cert", getenv("CHAINCODE_TLS_CERT"), "TLS certificate file")
	fs.StringVar(&c.TLSKey, "tls-key", getenv("CHAINCODE_TLS_KEY"), "TLS key file")
	fs.StringVar(&c.TLSClientCA, "tls-client-ca", getenv("CHAINCODE_TLS_CLIENT_CA"), "client CA file")
	orgs := fs.String("channel-orgs", getenv("YRD_CHANNEL_ORGS"), "the channel's provinces: comma-separated MSP IDs, sorted")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.Address == "" || c.ID == "" {
		return c, fmt.Errorf("both -address (CHAINCODE_SERVER_ADDRESS) and -id (CHAINCODE_ID) are required")
	}
	if *orgs != "" {
		c.ChannelOrgs = strings.Split(*orgs, ",")
		if err := api.ValidateOrgs("-channel-orgs (YRD_CHANNEL_ORGS)", c.ChannelOrgs); err != nil {
			return c, errors.New(api.MessageOf(err))
		}
	}
	return c, nil
}

// Serve runs cc until the server stops.
func Serve(c Config, cc shim.Chaincode) error {
	tlsProps, err := c.tls()
	if err != nil {
		return err
	}
	server := &shim.ChaincodeServer{CCID: c.ID, Address: c.Address, CC: cc, TLSProps: tlsProps}
	log.Printf("serving chaincode %s at %s (tls=%t)", c.ID, c.Address, !tlsProps.Disabled)
	return server.Start()
}

func (c Config) tls() (shim.TLSProperties, error) {
	if c.TLSCert == "" && c.TLSKey == "" {
		return shim.TLSProperties{Disabled: true}, nil
	}
	var p shim.TLSProperties
	var err error
	if p.Cert, err = os.ReadFile(c.TLSCert); err != nil {
		return p, fmt.Errorf("read TLS certificate: %w", err)
	}
	if p.Key, err = os.ReadFile(c.TLSKey); err != nil {
		return p, fmt.Errorf("read TLS key: %w", err)
	}
	if c.TLSClientCA != "" {
		if p.ClientCACerts, err = os.ReadFile(c.TLSClientCA); err != nil {
			return p, fmt.Errorf("read TLS client CA: %w", err)
		}
	}
	return p, nil
}
