package config

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// EnvPath is the environment variable that names the configuration file when
// no -config flag is given.
const EnvPath = "YRD_GATEWAY_CONFIG"

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("config: invalid")

// Config is the whole gateway configuration.
type Config struct {
	// Listen is the HTTP listen address. Defaults to 127.0.0.1:8080; a
	// non-loopback address requires TLS.
	Listen string `json:"listen"`
	// TLS, when set, makes the gateway serve HTTPS; with ClientCAFile set it
	// also accepts (and verifies) client certificates for mTLS clients.
	TLS *ServerTLS `json:"tls,omitempty"`
	// MaxBodyBytes bounds request bodies; larger ones get 400.
	MaxBodyBytes int64 `json:"maxBodyBytes"`
	// ShutdownGrace is how long in-flight requests may run after a signal.
	ShutdownGrace Duration `json:"shutdownGrace"`
	// HTTP bounds every connection and request.
	HTTP HTTP `json:"http"`
	// MetricsListen, when set, serves /metrics on its own listener (keep it
	// on loopback or behind the operators' network); the API listener never
	// serves /metrics.
	MetricsListen string `json:"metricsListen,omitempty"`
	// StateDir holds the gateway's durable state: operation records
	// (operations.db) and the page-token key. Required.
	StateDir string `json:"stateDir"`
	// Async bounds asynchronous writes (?async=true).
	Async Async `json:"async"`
	// Events bounds the event streams (GET /v1/events).
	Events Events `json:"events"`

	// Peer is the province's peer running the Fabric Gateway service.
	Peer Peer `json:"peer"`
	// MSPID is the province's MSP ID; every identity signs as this MSP.
	MSPID string `json:"mspId"`
	// Channel and Chaincode name what the gateway calls.
	Channel   string `json:"channel"`
	Chaincode string `json:"chaincode"`

	// Timeouts bounds each Fabric stage.
	Timeouts Timeouts `json:"timeouts"`
	// Retry governs conflict retries and the commit-status/resubmit loop.
	Retry Retry `json:"retry"`
	// Selection tunes input selection for payments.
	Selection Selection `json:"selection"`
	// Interbank configures the interbank cycle timer and routes
	// (interbank.go).
	Interbank Interbank `json:"interbank"`
	// Coalesce configures payment coalescing (coalesce.go).
	Coalesce Coalesce `json:"coalesce"`
	// Readiness configures GET /readyz (readiness.go).
	Readiness Readiness `json:"readiness"`

	// Clients are the back-office clients; each maps to one identity.
	Clients []Client `json:"clients"`
}

// ServerTLS is the gateway's own HTTPS material.
type ServerTLS struct {
	CertFile     string `json:"certFile"`
	KeyFile      string `json:"keyFile"`
	ClientCAFile string `json:"clientCAFile,omitempty"`
}

// HTTP bounds connections and requests.
type HTTP struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout Duration `json:"readHeaderTimeout"`
	// ReadTimeout bounds reading a whole request, body included (a client
	// that declares a body and stalls is cut off).
	ReadTimeout Duration `json:"readTimeout"`
	// IdleTimeout bounds an idle keep-alive connection.
	IdleTimeout Duration `json:"idleTimeout"`
	// MaxHeaderBytes bounds the request line and headers; beyond it Go's
	// server answers 431 itself and closes the connection.
	MaxHeaderBytes int `json:"maxHeaderBytes"`
	// MaxURLBytes bounds the request target (path and query, as sent);
	// longer ones get 414 URI_TOO_LONG. At most MaxHeaderBytes.
	MaxURLBytes int `json:"maxURLBytes"`
	// MaxQueryBytes bounds the query string; longer ones get 414.
	MaxQueryBytes int `json:"maxQueryBytes"`
}

// Async bounds the asynchronous write path: a pool of Workers with a queue
// of Queue; a request beyond both answers 429 with Retry-After. Operation
// records are kept in StateDir/operations.db: at most MaxPending pending
// (never evicted), at most MaxFinished finished for at most MaxAge.
type Async struct {
	Workers     int      `json:"workers"`
	Queue       int      `json:"queue"`
	MaxPending  int      `json:"maxPending"`
	MaxFinished int      `json:"maxFinished"`
	MaxAge      Duration `json:"maxAge"`
}

// Events bounds the shared event stream: one peer stream per gateway, fanned
// out to at most MaxSubscribers SSE clients (429 beyond), with the last
// Buffer events kept for resumes.
type Events struct {
	MaxSubscribers int `json:"maxSubscribers"`
	Buffer         int `json:"buffer"`
	// MaxReplays bounds the dedicated streams opened for clients resuming
	// from a block older than the buffer (429 beyond).
	MaxReplays int `json:"maxReplays"`
	// Identity names the client whose ledger identity the gateway listens
	// with (default: the first client).
	Identity string `json:"identity,omitempty"`
	// MaxPerClient bounds the streams (live and replay) one client holds
	// at once (429 beyond), so that one client cannot take every slot.
	MaxPerClient int `json:"maxPerClient"`
}

// Peer locates the peer's Gateway service.
type Peer struct {
	// Endpoint is host:port of the peer.
	Endpoint string `json:"endpoint"`
	// TLSCAFile is the PEM file of the CA that signed the peer's TLS certificate.
	TLSCAFile string `json:"tlsCAFile"`
	// ServerNameOverride is the TLS server name to verify, when it differs
	// from the endpoint host (e.g. "peer0.shanghai.yrd").
	ServerNameOverride string `json:"serverNameOverride,omitempty"`
}

// Timeouts are per Fabric stage.
type Timeouts struct {
	Evaluate Duration `json:"evaluate"`
	Endorse  Duration `json:"endorse"`
	Submit   Duration `json:"submit"`
	// CommitStatus is deliberately short: when it expires the gateway looks
	// the transaction up again and re-sends the same signed transaction.
	CommitStatus Duration `json:"commitStatus"`
	// Commit bounds the whole wait for a valid commit status, resubmits included.
	Commit Duration `json:"commit"`
}

// Retry governs retries.
type Retry struct {
	// ConflictAttempts is how many times a proposal is run in total when it
	// fails with MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT.
	ConflictAttempts int `json:"conflictAttempts"`
	// BackoffBase is the first backoff; it doubles per attempt, with jitter.
	BackoffBase Duration `json:"backoffBase"`
	// BackoffMax caps the backoff.
	BackoffMax Duration `json:"backoffMax"`
	// LagWait bounds how long a proposal is run again while only peers of
	// other provinces refuse it (they lag behind the block that made its
	// inputs, say after an ordering outage): retried with the backoff until
	// this much time has passed since the first such refusal, even beyond
	// ConflictAttempts.
	LagWait Duration `json:"lagWait"`
}

// Selection tunes the input selector.
type Selection struct {
	// LockWait is how long a payment waits for locked outputs to be released
	// when the account has the funds but they are all in flight.
	LockWait Duration `json:"lockWait"`
	// MaxInputs caps the outputs spent by one payment.
	MaxInputs int `json:"maxInputs"`
	// ReservePool is how many unlocked outputs the gateway keeps for a
	// reserve account so that it can send many payments per block: a
	// payment that leaves fewer unlocked has its change split (at most
	// MaxChangeSplit ways) to refill the pool. 0 turns pooling off.
	ReservePool int `json:"reservePool"`
}

// Client is one back-office client and the Fabric identity it uses.
type Client struct {
	// Name identifies the client in logs, metrics and the API.
	Name string `json:"name"`
	// TokenSHA256 is the hex SHA-256 of the client's bearer token.
	TokenSHA256 string `json:"tokenSha256,omitempty"`
	// CertSubject is the subject DN (as Go's pkix.Name.String renders it) of
	// the client's mTLS certificate.
	CertSubject string `json:"certSubject,omitempty"`
	// CertIssuer is the issuer DN of that certificate (required with
	// CertSubject): a client is the pair (issuer, subject), so a
	// certificate with the same subject from another CA is not it.
	CertIssuer string `json:"certIssuer,omitempty"`
	// Identity is the Fabric identity the client's requests are signed with.
	Identity Identity `json:"identity"`
}

// Identity is an X.509 enrolment certificate and its private key (PEM files).
type Identity struct {
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
}

// Duration is a time.Duration written in JSON as a Go duration string ("5s").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string such as "1500ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Defaults returns a configuration with every defaultable field set.
func Defaults() Config {
	return Config{
		Listen:        "127.0.0.1:8080",
		MaxBodyBytes:  1 << 20,
		ShutdownGrace: Duration(30 * time.Second),
		HTTP: HTTP{
			ReadHeaderTimeout: Duration(10 * time.Second),
			ReadTimeout:       Duration(30 * time.Second),
			IdleTimeout:       Duration(2 * time.Minute),
			MaxHeaderBytes:    64 << 10,
			MaxURLBytes:       8 << 10,
			MaxQueryBytes:     4 << 10,
		},
		Async:     Async{Workers: 32, Queue: 256, MaxPending: 10000, MaxFinished: 100000, MaxAge: Duration(7 * 24 * time.Hour)},
		Events:    Events{MaxSubscribers: 256, Buffer: 4096, MaxReplays: 4, MaxPerClient: 8},
		Channel:   "settlement",
		Chaincode: "yrd",
		Timeouts: Timeouts{
			Evaluate:     Duration(5 * time.Second),
			Endorse:      Duration(15 * time.Second),
			Submit:       Duration(5 * time.Second),
			CommitStatus: Duration(3 * time.Second),
			Commit:       Duration(60 * time.Second),
		},
		Retry: Retry{
			ConflictAttempts: 5,
			BackoffBase:      Duration(50 * time.Millisecond),
			BackoffMax:       Duration(2 * time.Second),
			LagWait:          Duration(5 * time.Second),
		},
		Selection: Selection{
			LockWait:    Duration(3 * time.Second),
			MaxInputs:   50,
			ReservePool: 50,
		},
		Readiness: defaultReadiness(),
	}
}

// Parse decodes a JSON configuration over Defaults and validates it.
func Parse(data []byte) (Config, error) {
	cfg := Defaults()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("%w: decode: %w", ErrInvalid, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Load reads and parses the file at path; an empty path falls back to the
// YRD_GATEWAY_CONFIG environment variable.
func Load(path string) (Config, error) {
	if path == "" {
		path = os.Getenv(EnvPath)
	}
	if path == "" {
		return Config{}, fmt.Errorf("%w: no configuration file (use -config or %s)", ErrInvalid, EnvPath)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: read %s: %w", path, err)
	}
	cfg, err := Parse(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

// Validate checks the configuration and names the first bad field.
func (c *Config) Validate() error {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return invalid("listen", "want host:port: %v", err)
	}
	if c.TLS != nil {
		if c.TLS.CertFile == "" {
			return invalid("tls.certFile", "required when tls is set")
		}
		if c.TLS.KeyFile == "" {
			return invalid("tls.keyFile", "required when tls is set")
		}
	} else if !isLoopback(host) {
		return invalid("listen", "%q is not a loopback address; serving beyond 127.0.0.1 requires tls", c.Listen)
	}
	if c.MaxBodyBytes <= 0 {
		return invalid("maxBodyBytes", "must be positive")
	}
	if c.ShutdownGrace < 0 {
		return invalid("shutdownGrace", "must not be negative")
	}
	if c.StateDir == "" {
		return invalid("stateDir", "required (operation records and the page-token key live there)")
	}
	if c.MetricsListen != "" {
		mh, _, err := net.SplitHostPort(c.MetricsListen)
		if err != nil {
			return invalid("metricsListen", "want host:port: %v", err)
		}
		if !isLoopback(mh) {
			return invalid("metricsListen", "%q is not a loopback address", c.MetricsListen)
		}
	}
	for _, t := range []struct {
		name string
		v    int
	}{
		{"http.maxHeaderBytes", c.HTTP.MaxHeaderBytes},
		{"async.workers", c.Async.Workers},
		{"async.queue", c.Async.Queue},
		{"async.maxPending", c.Async.MaxPending},
		{"async.maxFinished", c.Async.MaxFinished},
		{"events.maxSubscribers", c.Events.MaxSubscribers},
		{"events.buffer", c.Events.Buffer},
		{"events.maxReplays", c.Events.MaxReplays},
	} {
		if t.v < 1 {
			return invalid(t.name, "must be at least 1")
		}
	}
	if _, _, err := net.SplitHostPort(c.Peer.Endpoint); err != nil {
		return invalid("peer.endpoint", "want host:port: %v", err)
	}
	if c.Peer.TLSCAFile == "" {
		return invalid("peer.tlsCAFile", "required (the gateway only talks TLS to peers)")
	}
	if c.MSPID == "" {
		return invalid("mspId", "required")
	}
	if c.Channel == "" {
		return invalid("channel", "required")
	}
	if c.Chaincode == "" {
		return invalid("chaincode", "required")
	}
	for _, t := range []struct {
		name string
		d    Duration
	}{
		{"timeouts.evaluate", c.Timeouts.Evaluate},
		{"timeouts.endorse", c.Timeouts.Endorse},
		{"timeouts.submit", c.Timeouts.Submit},
		{"timeouts.commitStatus", c.Timeouts.CommitStatus},
		{"timeouts.commit", c.Timeouts.Commit},
		{"retry.backoffBase", c.Retry.BackoffBase},
		{"retry.backoffMax", c.Retry.BackoffMax},
		{"retry.lagWait", c.Retry.LagWait},
		{"http.readHeaderTimeout", c.HTTP.ReadHeaderTimeout},
		{"http.readTimeout", c.HTTP.ReadTimeout},
		{"http.idleTimeout", c.HTTP.IdleTimeout},
		{"async.maxAge", c.Async.MaxAge},
	} {
		if t.d <= 0 {
			return invalid(t.name, "must be a positive duration")
		}
	}
	if c.Timeouts.Commit < c.Timeouts.CommitStatus {
		return invalid("timeouts.commit", "must be at least timeouts.commitStatus")
	}
	if c.Retry.ConflictAttempts < 1 {
		return invalid("retry.conflictAttempts", "must be at least 1")
	}
	if c.Selection.LockWait < 0 {
		return invalid("selection.lockWait", "must not be negative")
	}
	if c.Selection.MaxInputs < 1 {
		return invalid("selection.maxInputs", "must be at least 1")
	}
	if c.Selection.ReservePool < 0 || c.Selection.ReservePool > 1000 {
		return invalid("selection.reservePool", "must be from 0 to 1000")
	}
	if len(c.Clients) == 0 {
		return invalid("clients", "at least one client is required")
	}
	if c.Events.Identity != "" && !c.hasClient(c.Events.Identity) {
		return invalid("events.identity", "no client named %q", c.Events.Identity)
	}
	if err := c.validateInterbank(); err != nil {
		return err
	}
	if err := c.validateCoalesce(); err != nil {
		return err
	}
	if err := c.validateLimits(); err != nil {
		return err
	}
	names := map[string]bool{}
	tokens := map[string]bool{}
	subjects := map[string]bool{}
	for i, cl := range c.Clients {
		f := fmt.Sprintf("clients[%d]", i)
		if cl.Name == "" {
			return invalid(f+".name", "required")
		}
		if names[cl.Name] {
			return invalid(f+".name", "duplicate client name %q", cl.Name)
		}
		names[cl.Name] = true
		if cl.TokenSHA256 == "" && cl.CertSubject == "" {
			return invalid(f, "needs tokenSha256 or certSubject")
		}
		if cl.TokenSHA256 != "" {
			b, err := hex.DecodeString(cl.TokenSHA256)
			if err != nil || len(b) != 32 {
				return invalid(f+".tokenSha256", "must be 64 hex digits (SHA-256 of the token)")
			}
			k := strings.ToLower(cl.TokenSHA256)
			if tokens[k] {
				return invalid(f+".tokenSha256", "same token as another client")
			}
			tokens[k] = true
		}
		if cl.CertSubject != "" {
			if c.TLS == nil || c.TLS.ClientCAFile == "" {
				return invalid(f+".certSubject", "mTLS clients need tls.clientCAFile")
			}
			if cl.CertIssuer == "" {
				return invalid(f+".certIssuer", "required with certSubject: mTLS clients are pinned to their CA")
			}
			if subjects[cl.CertIssuer+"|"+cl.CertSubject] {
				return invalid(f+".certSubject", "same issuer and subject as another client")
			}
			subjects[cl.CertIssuer+"|"+cl.CertSubject] = true
		}
		if cl.Identity.CertFile == "" {
			return invalid(f+".identity.certFile", "required")
		}
		if cl.Identity.KeyFile == "" {
			return invalid(f+".identity.keyFile", "required")
		}
	}
	return nil
}

func (c *Config) hasClient(name string) bool {
	for _, cl := range c.Clients {
		if cl.Name == name {
			return true
		}
	}
	return false
}

// EventsIdentity is the client whose identity the event stream uses.
func (c *Config) EventsIdentity() string {
	if c.Events.Identity != "" {
		return c.Events.Identity
	}
	return c.Clients[0].Name
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
