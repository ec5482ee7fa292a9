package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/yangtze-delta/settlement/internal/strictjson"
)

// Mode says how an operation reaches the ledger.
type Mode string

// Modes.
const (
	// Submit: endorsed, ordered and committed; it may write.
	Submit Mode = "submit"
	// Evaluate: run on one peer, never ordered; it must not write.
	Evaluate Mode = "evaluate"
)

// Role is a caller's role, read from the "role" attribute of its
// certificate.
type Role string

// Roles.
const (
	RoleOperator   Role = "operator"   // a bank's back office: accounts and payments
	RoleCompliance Role = "compliance" // freezes and unfreezes
	RoleIssuer     Role = "issuer"     // the province's central-bank branch: mints, redeems
	RoleAuditor    Role = "auditor"    // reads everything
	RoleFiscal     Role = "fiscal"     // a fiscal bureau
	RoleAdmin      Role = "admin"      // the province's administrator
)

// Scope says which records a role may act on.
type Scope string

// Scopes.
const (
	// ScopeAny: records of every province.
	ScopeAny Scope = "any"
	// ScopeProvince: records owned by the caller's province (MSP). For
	// payments: the payer's; for payment reads: payer's or payee's.
	ScopeProvince Scope = "province"
	// ScopeBank: records owned by the caller's bank (the "bank" attribute of
	// its certificate) in the caller's province.
	ScopeBank Scope = "bank"
)

// RoleNeedsBank reports whether callers of role r act for a bank and must
// carry a "bank" attribute: bank operators, the central-bank branch
// (issuer) and the fiscal bureau each own accounts.
func RoleNeedsBank(r Role) bool {
	return r == RoleOperator || r == RoleIssuer || r == RoleFiscal
}

// Access maps each role allowed to call an operation to its scope; a role
// not listed is refused.
type Access map[Role]Scope

// Roles returns the allowed roles, sorted.
func (a Access) Roles() []Role {
	out := make([]Role, 0, len(a))
	for r := range a {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Validator is implemented by requests that check their own syntax and
// limits. The chaincode calls Validate before anything else; the gateway
// calls it to answer 400 without a round trip.
type Validator interface {
	Validate() error
}

// ConfigNeed says how an operation uses the channel configuration.
type ConfigNeed int

// Configuration needs.
const (
	// ConfigRequired (the default): the op answers NOT_CONFIGURED until
	// gov:Init ran, and only callers of configured provinces are served.
	ConfigRequired ConfigNeed = iota
	// ConfigOptional: the op also runs before gov:Init (gov:Init itself,
	// version and identity reads); once configured, ConfigRequired's
	// province check applies.
	ConfigOptional
	// ConfigNone: the op never reads the configuration (the yrdbench
	// contract, whose blind write must read nothing).
	ConfigNone
)

// Op describes one chaincode function. The zero Op is not valid; ops are
// declared in this package with [define].
type Op struct {
	// Contract is the contract's namespace ("token").
	Contract string
	// Name is the function's name within the contract ("Transfer").
	Name string
	Mode Mode
	// Access says who may call it.
	Access Access
	// Transient lists the transient-map keys it reads.
	Transient []string
	// Doc is one sentence for generated documentation.
	Doc string
	// Config says whether the op needs the channel configuration.
	Config ConfigNeed

	request, response reflect.Type
}

// Function is the qualified name the peer routes on: "contract:Name".
func (o Op) Function() string { return o.Contract + ":" + o.Name }

// RequestType is the Go type of the request argument.
func (o Op) RequestType() reflect.Type { return o.request }

// ResponseType is the Go type of the result.
func (o Op) ResponseType() reflect.Type { return o.response }

// Operation is an Op with its request and response types, so that callers
// encode and decode through the compiler's eye.
type Operation[Req, Resp any] struct{ Op }

// Encode renders req as the function's single argument.
func (o Operation[Req, Resp]) Encode(req Req) (string, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("%s: encode request: %w", o.Function(), err)
	}
	return string(b), nil
}

// DecodeRequest parses and validates the function's argument strictly.
// Errors are INVALID_ARGUMENT *Error values.
func (o Operation[Req, Resp]) DecodeRequest(arg string) (Req, error) {
	var req Req
	if err := strictjson.Unmarshal([]byte(arg), &req); err != nil {
		return req, Errorf(CodeInvalidArgument, "request: %v", err)
	}
	if v, ok := any(&req).(Validator); ok {
		if err := v.Validate(); err != nil {
			return req, err
		}
	}
	return req, nil
}

// DecodeResponse parses the function's result. It is lenient about unknown
// fields, so that a newer chaincode adding a field does not break an older
// gateway.
func (o Operation[Req, Resp]) DecodeResponse(b []byte) (Resp, error) {
	var resp Resp
	if err := json.Unmarshal(b, &resp); err != nil {
		return resp, fmt.Errorf("%s: decode result: %w", o.Function(), err)
	}
	return resp, nil
}

var registry = map[string]Op{}

// define declares an operation and adds it to the registry.
func define[Req, Resp any](o Op) Operation[Req, Resp] {
	if o.Contract == "" || o.Name == "" || (o.Mode != Submit && o.Mode != Evaluate) || len(o.Access) == 0 {
		panic("api: incomplete operation " + o.Function())
	}
	if _, dup := registry[o.Function()]; dup {
		panic("api: operation defined twice: " + o.Function())
	}
	o.request, o.response = reflect.TypeFor[Req](), reflect.TypeFor[Resp]()
	registry[o.Function()] = o
	return Operation[Req, Resp]{o}
}

// Operations returns every operation, sorted by function name.
func Operations() []Op {
	out := make([]Op, 0, len(registry))
	for _, o := range registry {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Function() < out[j].Function() })
	return out
}

// ContractOps returns the operations of one contract, sorted by name.
func ContractOps(contract string) []Op {
	var out []Op
	for _, o := range Operations() {
		if o.Contract == contract {
			out = append(out, o)
		}
	}
	return out
}

// Lookup finds an operation by its qualified function name.
func Lookup(function string) (Op, bool) {
	o, ok := registry[function]
	return o, ok
}

// EvaluateNames lists the evaluate-only function names of a contract (the
// names contractapi's GetEvaluateTransactions wants, unqualified).
func EvaluateNames(contract string) []string {
	var out []string
	for _, o := range ContractOps(contract) {
		if o.Mode == Evaluate {
			out = append(out, o.Name)
		}
	}
	return out
}

// Empty is the request of operations that take no input ("{}").
type Empty struct{}

// String describes the op for logs and test failures.
func (o Op) String() string {
	return fmt.Sprintf("%s (%s; %s)", o.Function(), o.Mode, strings.Join(roleNames(o.Access), ","))
}

func roleNames(a Access) []string {
	var out []string
	for _, r := range a.Roles() {
		out = append(out, string(r)+"/"+string(a[r]))
	}
	return out
}
