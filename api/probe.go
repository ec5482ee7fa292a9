package api

import (
	"strings"
	"unicode/utf8"
)

// ContractProbe is the namespace of the probe contract, served by the
// yrdbench chaincode only (never by yrd): it runs a script of stub calls in
// one transaction and reports what each returned, so that the behaviour
// suite (chaincode/memstub/stubtest) can run the same script on the
// in-memory stub and on a real peer. It holds no value and reads no
// configuration.
const ContractProbe = "probe"

// The probe's key space. A script names keys in full, and every key, range
// end and bookmark must lie in it: simple keys start with ProbeSimplePrefix,
// composite keys have object type ProbeObjectType.
const (
	ProbeObjectType   = "probe"
	ProbeSimplePrefix = "probe/"
)

// probeCompositePrefix starts every composite key of ProbeObjectType.
const probeCompositePrefix = "\x00" + ProbeObjectType + "\x00"

// Limits of a probe script.
const (
	MaxProbeSteps    = 32   // steps per script
	MaxProbeKeyLen   = 512  // bytes of a key, range end or bookmark
	MaxProbeValueLen = 1024 // bytes of a value or event payload
	MaxProbeAttrs    = 8    // attributes of a partial composite key
	MaxProbeAttrLen  = 128  // bytes of one attribute
	MaxProbeOrgs     = 16   // MSPs of a key-level policy
	// MaxProbeResults bounds the query results a script returns in all;
	// iteration stops there and the step is marked truncated.
	MaxProbeResults = 256
)

var probeAccess = Access{RoleOperator: ScopeProvince, RoleAdmin: ScopeProvince}

// The probe contract's operations.
var (
	ProbeRun = define[ProbeScript, ProbeOutput](Op{Contract: ContractProbe, Name: "Run", Mode: Submit,
		Access: probeAccess, Config: ConfigNone, Doc: "runs a script of stub calls in one transaction and reports each call's result"})
	ProbeEval = define[ProbeScript, ProbeOutput](Op{Contract: ContractProbe, Name: "Eval", Mode: Evaluate,
		Access: probeAccess, Config: ConfigNone, Doc: "runs a read-only script of stub calls and reports each call's result"})
)

// ProbeOp names the stub call of a step.
type ProbeOp string

// Probe operations; the fields each takes are listed (all others must be
// empty).
const (
	// ProbeGet: GetState(Key).
	ProbeGet ProbeOp = "get"
	// ProbePut: PutState(Key, Value); Value may be empty.
	ProbePut ProbeOp = "put"
	// ProbeDel: DelState(Key).
	ProbeDel ProbeOp = "del"
	// ProbeGetPolicy: GetStateValidationParameter(Key).
	ProbeGetPolicy ProbeOp = "getPolicy"
	// ProbeSetPolicy: SetStateValidationParameter(Key, p) where p needs
	// peers of Quorum of Orgs.
	ProbeSetPolicy ProbeOp = "setPolicy"
	// ProbeRange: GetStateByRange(Key, End), or, with Paged,
	// GetStateByRangeWithPagination(Key, End, PageSize, Bookmark). A
	// positive Limit stops reading after that many results.
	ProbeRange ProbeOp = "range"
	// ProbePartial: GetStateByPartialCompositeKey(ProbeObjectType, Attrs),
	// or, with Paged, its WithPagination form (PageSize, Bookmark); Limit
	// as for ProbeRange.
	ProbePartial ProbeOp = "partial"
	// ProbeEvent: SetEvent(Name, Value).
	ProbeEvent ProbeOp = "event"
)

// ProbeScript is probe:Run's and probe:Eval's input.
type ProbeScript struct {
	Steps []ProbeStep `json:"steps"`
}

// ProbeStep is one stub call.
type ProbeStep struct {
	Op       ProbeOp  `json:"op"`
	Key      string   `json:"key,omitempty"`
	End      string   `json:"end,omitempty"`
	Attrs    []string `json:"attrs,omitempty"`
	Value    string   `json:"value,omitempty"`
	Name     string   `json:"name,omitempty"`
	Orgs     []string `json:"orgs,omitempty"`
	Quorum   int      `json:"quorum,omitempty"`
	Paged    bool     `json:"paged,omitempty"`
	PageSize int32    `json:"pageSize,omitempty"`
	Bookmark string   `json:"bookmark,omitempty"`
	Limit    int      `json:"limit,omitempty"`
}

// ProbeOutput is the probe's answer: one result per step.
type ProbeOutput struct {
	TxID    string        `json:"txId"`
	Results []ProbeResult `json:"results"`
}

// ProbeResult is what one stub call returned. A failed call sets only
// Failed (error texts are not returned: they need not be byte-identical on
// every endorser).
type ProbeResult struct {
	Failed bool `json:"failed,omitempty"`
	// Found and Value: get.
	Found bool   `json:"found,omitempty"`
	Value string `json:"value,omitempty"`
	// Policy describes the key-level policy (getPolicy), "" for none.
	Policy string `json:"policy,omitempty"`
	// KVs are a query's results; Truncated is set when the step's Limit or
	// the script's result budget (MaxProbeResults) stopped the iteration
	// while the iterator had more.
	KVs       []ProbeKV `json:"kvs,omitempty"`
	Truncated bool      `json:"truncated,omitempty"`
	// Bookmark and Fetched are a paged query's response metadata.
	Bookmark string `json:"bookmark,omitempty"`
	Fetched  int32  `json:"fetched,omitempty"`
}

// ProbeKV is one query result.
type ProbeKV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ReadOnly reports whether the script writes nothing (no put, del or
// setPolicy step).
func (s *ProbeScript) ReadOnly() bool {
	for _, st := range s.Steps {
		switch st.Op {
		case ProbePut, ProbeDel, ProbeSetPolicy:
			return false
		}
	}
	return true
}

// Validate checks the script's syntax and limits: a known op per step,
// the op's fields set and no other, every key in the probe's key space.
func (s *ProbeScript) Validate() error {
	if len(s.Steps) == 0 || len(s.Steps) > MaxProbeSteps {
		return Errorf(CodeInvalidArgument, "steps: need 1 to %d", MaxProbeSteps)
	}
	for i := range s.Steps {
		if err := s.Steps[i].validate(); err != nil {
			return Errorf(CodeInvalidArgument, "steps[%d]: %s", i, MessageOf(err))
		}
	}
	return nil
}

// probe step fields, for the per-op table.
const (
	fKey = 1 << iota
	fEnd
	fAttrs
	fValue
	fName
	fPolicy // orgs and quorum
	fPage   // paged, pageSize, bookmark
	fLimit
)

var probeFields = map[ProbeOp]int{
	ProbeGet:       fKey,
	ProbePut:       fKey | fValue,
	ProbeDel:       fKey,
	ProbeGetPolicy: fKey,
	ProbeSetPolicy: fKey | fPolicy,
	ProbeRange:     fKey | fEnd | fPage | fLimit,
	ProbePartial:   fAttrs | fPage | fLimit,
	ProbeEvent:     fName | fValue,
}

func (st *ProbeStep) validate() error {
	fields, ok := probeFields[st.Op]
	if !ok {
		return Errorf(CodeInvalidArgument, "op %q is not a probe operation", st.Op)
	}
	set := 0
	for _, f := range []struct {
		bit int
		on  bool
	}{
		{fKey, st.Key != ""}, {fEnd, st.End != ""}, {fAttrs, st.Attrs != nil}, {fValue, st.Value != ""},
		{fName, st.Name != ""}, {fPolicy, st.Orgs != nil || st.Quorum != 0},
		{fPage, st.Paged || st.PageSize != 0 || st.Bookmark != ""}, {fLimit, st.Limit != 0},
	} {
		if f.on {
			set |= f.bit
		}
	}
	if extra := set &^ fields; extra != 0 {
		return Errorf(CodeInvalidArgument, "op %s takes none of the fields %s", st.Op, probeFieldNames(extra))
	}
	if fields&fKey != 0 {
		if err := probeKey("key", st.Key, MaxProbeKeyLen); err != nil {
			return err
		}
	}
	if fields&fEnd != 0 {
		if err := probeKey("end", st.End, MaxProbeKeyLen); err != nil {
			return err
		}
	}
	if fields&fAttrs != 0 {
		if len(st.Attrs) == 0 || len(st.Attrs) > MaxProbeAttrs {
			return Errorf(CodeInvalidArgument, "attrs: need 1 to %d", MaxProbeAttrs)
		}
		for j, a := range st.Attrs {
			if len(a) > MaxProbeAttrLen || !utf8.ValidString(a) {
				return Errorf(CodeInvalidArgument, "attrs[%d] must be UTF-8 of at most %d bytes", j, MaxProbeAttrLen)
			}
		}
	}
	if len(st.Value) > MaxProbeValueLen || !utf8.ValidString(st.Value) {
		return Errorf(CodeInvalidArgument, "value must be UTF-8 of at most %d bytes", MaxProbeValueLen)
	}
	if fields&fName != 0 {
		if err := ValidateID("name", st.Name, MaxIDLen); err != nil {
			return err
		}
	}
	if fields&fPolicy != 0 {
		if len(st.Orgs) < 2 || len(st.Orgs) > MaxProbeOrgs {
			return Errorf(CodeInvalidArgument, "orgs: need 2 to %d MSP IDs", MaxProbeOrgs)
		}
		seen := map[string]bool{}
		for _, o := range st.Orgs {
			if err := ValidateID("orgs", o, MaxIDLen); err != nil {
				return err
			}
			if seen[o] {
				return Errorf(CodeInvalidArgument, "orgs: %s listed twice", o)
			}
			seen[o] = true
		}
		if st.Quorum < 1 || st.Quorum > len(st.Orgs) {
			return Errorf(CodeInvalidArgument, "quorum must be 1 to %d", len(st.Orgs))
		}
	}
	if st.Limit < 0 || st.Limit > MaxProbeResults {
		return Errorf(CodeInvalidArgument, "limit must be 0 to %d", MaxProbeResults)
	}
	if fields&fPage != 0 {
		switch {
		case !st.Paged && (st.PageSize != 0 || st.Bookmark != ""):
			return Errorf(CodeInvalidArgument, "pageSize and bookmark need paged")
		case st.Paged && (st.PageSize < 1 || st.PageSize > MaxPageSize):
			return Errorf(CodeInvalidArgument, "pageSize must be 1 to %d", MaxPageSize)
		case st.Bookmark != "":
			if err := probeKey("bookmark", st.Bookmark, MaxProbeKeyLen); err != nil {
				return err
			}
		}
	}
	return nil
}

// probeKey checks that k is a key of the probe's key space.
func probeKey(what, k string, max int) error {
	if k == "" || len(k) > max || !utf8.ValidString(k) {
		return Errorf(CodeInvalidArgument, "%s must be UTF-8 of 1 to %d bytes", what, max)
	}
	if !strings.HasPrefix(k, ProbeSimplePrefix) && !strings.HasPrefix(k, probeCompositePrefix) {
		return Errorf(CodeInvalidArgument, "%s %q is outside the probe's keys (%q… or composite keys of %q)", what, k, ProbeSimplePrefix, ProbeObjectType)
	}
	return nil
}

func probeFieldNames(bits int) string {
	var names []string
	for _, f := range []struct {
		bit  int
		name string
	}{{fKey, "key"}, {fEnd, "end"}, {fAttrs, "attrs"}, {fValue, "value"}, {fName, "name"},
		{fPolicy, "orgs/quorum"}, {fPage, "paged/pageSize/bookmark"}, {fLimit, "limit"}} {
		if bits&f.bit != 0 {
			names = append(names, f.name)
		}
	}
	return strings.Join(names, ", ")
}
