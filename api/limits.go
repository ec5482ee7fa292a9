package api

// Limits on identifiers, texts and request sizes. The chaincode enforces
// them; the gateway checks them first to answer 400 without a round trip.
const (
	MaxIDLen          = 64  // account IDs
	MaxPaymentIDLen   = 128 // payment, mint, redeem, merge and ping IDs
	MaxOutputIDLen    = 2 * MaxPaymentIDLen
	MaxPurposeLen     = 64   // purpose codes
	MaxReasonLen      = 256  // freeze reasons
	MaxNoteLen        = 256  // ping notes
	MaxCustomerRefLen = 256  // customer references (transient)
	MaxInputs         = 100  // inputs per transfer, redeem or merge
	MaxChangeSplit    = 50   // change outputs per transfer
	MaxBatchItems     = 500  // items per TransferBatch
	DefaultPageSize   = 100  // page size when none is given
	MaxPageSize       = 1000 // largest page of a paged query
	MaxBookmarkLen    = 1024 // a page bookmark the chaincode returned
	MaxCappedOutputs  = 1000 // unspent outputs of a capped (customer) account
)

// ValidateID checks an identifier: 1 to max characters from
// [A-Za-z0-9._:-]. what names the field in the error.
func ValidateID(what, id string, max int) error {
	if id == "" || len(id) > max {
		return Errorf(CodeInvalidArgument, "%s must be 1 to %d characters", what, max)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-' || c == ':'
		if !ok {
			return Errorf(CodeInvalidArgument, "%s %q has a character outside [A-Za-z0-9._:-]", what, id)
		}
	}
	return nil
}

// Namespaces. Account, payment and merge IDs belong to a bank: they read
// "BANK:local", where BANK is the owning (paying) bank's code, and the
// chaincode refuses an ID in another bank's namespace. Proposal IDs read
// "MSP:local" for the proposing province.
const NamespaceSep = ":"

// MaxBankLen bounds a bank code.
const MaxBankLen = 16

// ValidateBank checks a bank code: 2 to MaxBankLen characters of [A-Z0-9-].
func ValidateBank(what, code string) error {
	if len(code) < 2 || len(code) > MaxBankLen {
		return Errorf(CodeInvalidArgument, "%s %q must be 2 to %d characters", what, code, MaxBankLen)
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return Errorf(CodeInvalidArgument, "%s %q has a character outside [A-Z0-9-]", what, code)
		}
	}
	return nil
}

// NamespaceOf returns the namespace of an ID ("" when it has none).
func NamespaceOf(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == ':' {
			return id[:i]
		}
	}
	return ""
}

// ValidateNamespaced checks an ID of the form "NAMESPACE:local".
func ValidateNamespaced(what, id string, max int) error {
	if err := ValidateID(what, id, max); err != nil {
		return err
	}
	ns := NamespaceOf(id)
	if ns == "" || len(ns) == len(id)-1 {
		return Errorf(CodeInvalidArgument, "%s %q must read NAMESPACE:local (the owning bank's code, or the province's MSP ID)", what, id)
	}
	return nil
}

// ValidateText checks free text: at most max bytes of printable UTF-8
// without control characters; empty is allowed unless required.
func ValidateText(what, s string, max int, required bool) error {
	if required && s == "" {
		return Errorf(CodeInvalidArgument, "%s is required", what)
	}
	if len(s) > max {
		return Errorf(CodeInvalidArgument, "%s must be at most %d bytes", what, max)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return Errorf(CodeInvalidArgument, "%s has a control or invalid character", what)
		}
	}
	return nil
}

// ValidatePage checks a page size (0 means DefaultPageSize) and bookmark.
func ValidatePage(size int, bookmark string) error {
	if size < 0 || size > MaxPageSize {
		return Errorf(CodeInvalidArgument, "pageSize must be 1 to %d (0 for %d)", MaxPageSize, DefaultPageSize)
	}
	if len(bookmark) > MaxBookmarkLen {
		return Errorf(CodeInvalidArgument, "bookmark is longer than %d bytes", MaxBookmarkLen)
	}
	return nil
}

// PageSize returns size, or DefaultPageSize for 0.
func PageSize(size int) int {
	if size == 0 {
		return DefaultPageSize
	}
	return size
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
