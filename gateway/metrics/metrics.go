// Package metrics defines the gateway's Prometheus metrics in one place so
// that the HTTP layer, the Fabric layer and input selection report into one
// registry, served at /metrics on the gateway's separate metrics listener.
//
// Every method is safe on a nil *Metrics, which records nothing; tests and
// tools that do not care about metrics pass nil.
package metrics

import (
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the gateway's collectors and the registry they live in.
type Metrics struct {
	Registry *prometheus.Registry

	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	stage         *prometheus.HistogramVec
	retries       *prometheus.CounterVec
	conflicts     *prometheus.CounterVec
	lockedOutputs prometheus.Gauge
	lockWaits     *prometheus.CounterVec
	// interbank: the cycle runner (interbank.go).
	interbank *interbankCollectors
	// coalesce: requests settled together (coalesce.go).
	coalesce *coalesceCollectors
}

// New returns metrics registered in a fresh registry (with Go and process
// collectors).
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yrd_gateway_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "yrd_gateway_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "yrd_gateway_http_in_flight_requests",
			Help: "HTTP requests being served.",
		}),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "yrd_gateway_fabric_stage_duration_seconds",
			Help:    "Latency of each Fabric stage (evaluate, endorse, submit, commit_status) by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 15),
		}, []string{"stage", "outcome"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yrd_gateway_fabric_retries_total",
			Help: "Retries by reason (conflict, endorse, resubmit, commit_status).",
		}, []string{"reason"}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yrd_gateway_fabric_conflicts_total",
			Help: "Transactions invalidated by read conflicts, by validation code.",
		}, []string{"code"}),
		lockedOutputs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "yrd_gateway_selection_locked_outputs",
			Help: "Unspent outputs currently locked by in-flight payments.",
		}),
		lockWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yrd_gateway_selection_waits_total",
			Help: "Payments that waited for locked outputs, by outcome.",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.requests, m.latency, m.inFlight, m.stage, m.retries, m.conflicts,
		m.lockedOutputs, m.lockWaits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.interbank = newInterbankCollectors()
	reg.MustRegister(m.interbank.list()...)
	m.coalesce = newCoalesceCollectors()
	reg.MustRegister(m.coalesce.list()...)
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// Gauges registers a function whose values (by name, prefixed with
// yrd_gateway_) are read at each scrape: bounded-resource levels such as
// the async queue and the event subscribers.
func (m *Metrics) Gauges(read func() map[string]float64) {
	if m == nil {
		return
	}
	m.Registry.MustRegister(gaugeFunc{read: read})
}

type gaugeFunc struct{ read func() map[string]float64 }

var gaugeDesc = prometheus.NewDesc("yrd_gateway_resource", "Levels of the gateway's bounded resources, by name.", []string{"name"}, nil)

func (g gaugeFunc) Describe(ch chan<- *prometheus.Desc) { ch <- gaugeDesc }

func (g gaugeFunc) Collect(ch chan<- prometheus.Metric) {
	vals := g.read()
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ch <- prometheus.MustNewConstMetric(gaugeDesc, prometheus.GaugeValue, vals[n], n)
	}
}

// Request records one served HTTP request.
func (m *Metrics) Request(route string, code int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, statusLabel(code)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// InFlight adds delta to the in-flight request gauge.
func (m *Metrics) InFlight(delta float64) {
	if m == nil {
		return
	}
	m.inFlight.Add(delta)
}

// Stage records the duration of one Fabric stage; outcome is "ok" or an error code.
func (m *Metrics) Stage(stage, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.stage.WithLabelValues(stage, outcome).Observe(d.Seconds())
}

// Retry counts one retry for reason.
func (m *Metrics) Retry(reason string) {
	if m == nil {
		return
	}
	m.retries.WithLabelValues(reason).Inc()
}

// Conflict counts one transaction invalidated with the given validation code.
func (m *Metrics) Conflict(code string) {
	if m == nil {
		return
	}
	m.conflicts.WithLabelValues(code).Inc()
}

// LockedOutputs sets the number of outputs locked by in-flight payments.
func (m *Metrics) LockedOutputs(n int) {
	if m == nil {
		return
	}
	m.lockedOutputs.Set(float64(n))
}

// LockWait counts one wait for locked outputs with its outcome.
func (m *Metrics) LockWait(outcome string) {
	if m == nil {
		return
	}
	m.lockWaits.WithLabelValues(outcome).Inc()
}

func statusLabel(code int) string {
	const digits = "0123456789"
	if code < 100 || code > 999 {
		return "other"
	}
	return string([]byte{digits[code/100], digits[code/10%10], digits[code%10]})
}
