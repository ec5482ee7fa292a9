package metrics

import "github.com/prometheus/client_golang/prometheus"

// interbankCollectors are the metrics of the interbank cycle runner
// (package gateway/cycles).
type interbankCollectors struct {
	cycles    *prometheus.CounterVec
	settled   prometheus.Counter
	gross     prometheus.Counter
	liquidity prometheus.Counter
	queue     prometheus.Gauge
	closed    prometheus.Counter
	rejected  prometheus.Counter
}

func newInterbankCollectors() *interbankCollectors {
	return &interbankCollectors{
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yrd_gateway_interbank_cycles_total",
			Help: "Liquidity-saving cycles run, by outcome (settled, nothing, recomputed, busy, failed).",
		}, []string{"outcome"}),
		settled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yrd_gateway_interbank_cycle_transfers_total",
			Help: "Interbank transfers settled by this gateway's cycles.",
		}),
		gross: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yrd_gateway_interbank_cycle_gross_fen_total",
			Help: "Gross value (fen) settled by this gateway's cycles.",
		}),
		liquidity: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yrd_gateway_interbank_cycle_liquidity_fen_total",
			Help: "Liquidity (fen, the sum of net debits) this gateway's cycles used to settle their gross value.",
		}),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "yrd_gateway_interbank_queue_read",
			Help: "Waiting interbank transfers the last cycle read.",
		}),
		closed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yrd_gateway_interbank_days_closed_total",
			Help: "Business days this gateway closed (end of day run to completion).",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yrd_gateway_interbank_rejected_total",
			Help: "Interbank transfers this gateway rejected at the end of their value date.",
		}),
	}
}

func (c *interbankCollectors) list() []prometheus.Collector {
	return []prometheus.Collector{c.cycles, c.settled, c.gross, c.liquidity, c.queue, c.closed, c.rejected}
}

// Cycle counts one cycle run with its outcome: "settled", "nothing" (no
// cycle to settle), "recomputed" (lost a race and was computed again),
// "busy" (a timer tick skipped: a cycle was running) or "failed".
func (m *Metrics) Cycle(outcome string) {
	if m == nil || m.interbank == nil {
		return
	}
	m.interbank.cycles.WithLabelValues(outcome).Inc()
}

// CycleSettled records a settled cycle: its transfers, gross value and
// the liquidity it used, both in fen.
func (m *Metrics) CycleSettled(transfers int, grossFen, liquidityFen int64) {
	if m == nil || m.interbank == nil {
		return
	}
	m.interbank.settled.Add(float64(transfers))
	m.interbank.gross.Add(float64(grossFen))
	m.interbank.liquidity.Add(float64(liquidityFen))
}

// QueueRead sets how many waiting transfers the last cycle read.
func (m *Metrics) QueueRead(n int) {
	if m == nil || m.interbank == nil {
		return
	}
	m.interbank.queue.Set(float64(n))
}

// DayClosed records a closed business day and the transfers it rejected.
func (m *Metrics) DayClosed(rejected int) {
	if m == nil || m.interbank == nil {
		return
	}
	m.interbank.closed.Inc()
	m.interbank.rejected.Add(float64(rejected))
}
