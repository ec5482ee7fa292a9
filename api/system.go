package api

// ContractSystem is the namespace of the system contract: version, caller
// identity, and a ping that checks the endorse-order-commit path.
const ContractSystem = "system"

var anyRole = Access{RoleOperator: ScopeProvince, RoleCompliance: ScopeProvince, RoleIssuer: ScopeProvince,
	RoleAuditor: ScopeProvince, RoleFiscal: ScopeProvince, RoleAdmin: ScopeProvince}

// The system contract's operations. Ping records are the caller's own:
// GetPing shows a ping only to callers of the province that wrote it.
var (
	Version = define[Empty, VersionInfo](Op{Contract: ContractSystem, Name: "Version", Mode: Evaluate,
		Access: anyRole, Config: ConfigOptional, Doc: "reports the chaincode build version"})
	WhoAmI = define[Empty, Caller](Op{Contract: ContractSystem, Name: "WhoAmI", Mode: Evaluate,
		Access: anyRole, Config: ConfigOptional, Doc: "reports the caller's identity as the chaincode sees it"})
	Ping = define[PingRequest, PingRecord](Op{Contract: ContractSystem, Name: "Ping", Mode: Submit,
		Access: Access{RoleOperator: ScopeProvince, RoleAdmin: ScopeProvince}, Doc: "writes one ping record (end-to-end check)"})
	GetPing = define[PingID, PingRecord](Op{Contract: ContractSystem, Name: "GetPing", Mode: Evaluate,
		Access: anyRole, Doc: "reads a ping record of the caller's province"})
)

// VersionInfo is Version's answer.
type VersionInfo struct {
	Version string `json:"version"`
}

// Caller is the identity that signed a proposal, as the chaincode reads it
// from the certificate.
type Caller struct {
	MSPID string `json:"mspId"`
	// ID is the unique identity string of the certificate (subject and issuer).
	ID   string `json:"id"`
	Role Role   `json:"role"`
	Bank string `json:"bank,omitempty"`
}

// PingRequest writes a ping.
type PingRequest struct {
	ID   string `json:"id"`
	Note string `json:"note,omitempty"`
}

// Validate checks syntax.
func (r *PingRequest) Validate() error {
	if err := ValidateID("id", r.ID, MaxIDLen); err != nil {
		return err
	}
	return ValidateText("note", r.Note, MaxNoteLen, false)
}

// PingID names a ping.
type PingID struct {
	ID string `json:"id"`
}

// Validate checks syntax.
func (r *PingID) Validate() error { return ValidateID("id", r.ID, MaxIDLen) }

// PingRecord is one ping as stored.
type PingRecord struct {
	ID     string `json:"id"`
	Note   string `json:"note"`
	MSPID  string `json:"mspId"`
	Role   Role   `json:"role"`
	TxID   string `json:"txId"`
	TxTime string `json:"txTime"`
}
