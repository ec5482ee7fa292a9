package metrics

import "github.com/prometheus/client_golang/prometheus"

// coalesceCollectors are the metrics of package gateway/coalesce: requests
// (single payments, …) settled together in one transaction. Every series
// carries op, the coalescer's name ("payment").
type coalesceCollectors struct {
	flushes  *prometheus.CounterVec
	batches  *prometheus.CounterVec
	items    *prometheus.HistogramVec
	reruns   *prometheus.CounterVec
	refused  *prometheus.CounterVec
	pending  *prometheus.GaugeVec
	inFlight *prometheus.GaugeVec
}

func newCoalesceCollectors() *coalesceCollectors {
	return &coalesceCollectors{
		flushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yrd_gateway_coalesce_flushes_total",
			Help: "Batches formed from waiting requests, by op and reason (window, count, held, drain).",
		}, []string{"op", "reason"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yrd_gateway_coalesce_batches_total",
			Help: "Batch runs (one transaction each, re-runs included), by op and outcome (answered, rerun, split, failed).",
		}, []string{"op", "outcome"}),
		items: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "yrd_gateway_coalesce_batch_items",
			Help:    "Requests per batch run, by op.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 … 512
		}, []string{"op"}),
		reruns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yrd_gateway_coalesce_reruns_total",
			Help: "Batches run again after failing as a whole, by op and reason (rerun: the same items again; split: in halves).",
		}, []string{"op", "reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yrd_gateway_coalesce_refused_total",
			Help: "Requests refused because the waiting limit was reached (answered 429), by op.",
		}, []string{"op"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "yrd_gateway_coalesce_pending",
			Help: "Requests waiting for a batch, by op.",
		}, []string{"op"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "yrd_gateway_coalesce_batches_in_flight",
			Help: "Batches being run, by op.",
		}, []string{"op"}),
	}
}

func (c *coalesceCollectors) list() []prometheus.Collector {
	return []prometheus.Collector{c.flushes, c.batches, c.items, c.reruns, c.refused, c.pending, c.inFlight}
}

// CoalesceFlush counts one batch formed by op's coalescer and why:
// "window" (the oldest request waited the window), "count" (enough
// requests waited), "held" (requests held back from the previous batch)
// or "drain" (Flush or Close).
func (m *Metrics) CoalesceFlush(op, reason string) {
	if m == nil || m.coalesce == nil {
		return
	}
	m.coalesce.flushes.WithLabelValues(op, reason).Inc()
}

// CoalesceBatch records one batch run of items requests and its outcome:
// "answered" (one answer per request), "rerun" or "split" (failed as a
// whole and run again) or "failed" (failed as a whole, for good).
func (m *Metrics) CoalesceBatch(op string, items int, outcome string) {
	if m == nil || m.coalesce == nil {
		return
	}
	m.coalesce.batches.WithLabelValues(op, outcome).Inc()
	m.coalesce.items.WithLabelValues(op).Observe(float64(items))
}

// CoalesceRerun counts one batch run again: reason "rerun" (the same
// requests) or "split" (in halves).
func (m *Metrics) CoalesceRerun(op, reason string) {
	if m == nil || m.coalesce == nil {
		return
	}
	m.coalesce.reruns.WithLabelValues(op, reason).Inc()
}

// CoalesceRefused counts one request refused at the waiting limit.
func (m *Metrics) CoalesceRefused(op string) {
	if m == nil || m.coalesce == nil {
		return
	}
	m.coalesce.refused.WithLabelValues(op).Inc()
}

// CoalesceLevels sets the requests waiting and the batches in flight.
func (m *Metrics) CoalesceLevels(op string, pending, inFlight int) {
	if m == nil || m.coalesce == nil {
		return
	}
	m.coalesce.pending.WithLabelValues(op).Set(float64(pending))
	m.coalesce.inFlight.WithLabelValues(op).Set(float64(inFlight))
}
