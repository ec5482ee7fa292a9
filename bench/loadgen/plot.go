package loadgen

import (
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"
)

// Plots of a report, as standalone SVG (no dependency): payments/s
// against concurrency, one line per scenario, and per scenario the
// latency distribution (cumulative, one line per concurrency level).

// series is one line of a chart.
type series struct {
	name   string
	points [][2]float64 // x, y; sorted by x
}

// chart is a line chart.
type chart struct {
	title, xLabel, yLabel string
	// logX draws x on a log scale (every x must be positive).
	logX bool
	// yMin, yMax fix the y range when yMax > yMin; otherwise 0 to the
	// data's maximum.
	yMin, yMax float64
	series     []series
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"}

const (
	svgW, svgH                         = 760, 460
	padLeft, padRight, padTop, padBott = 70, 250, 40, 55
)

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// logTicks returns 1-2-5 ticks covering [lo, hi] (both positive).
func logTicks(lo, hi float64) []float64 {
	var out []float64
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo*0.999 && v <= hi*1.001 {
				out = append(out, v)
			}
		}
	}
	return out
}

func fmtTick(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e7:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}

// writeSVG renders the chart.
func (c chart) writeSVG(w io.Writer) error {
	xMin, xMax := math.Inf(1), math.Inf(-1)
	yMax := 0.0
	for _, s := range c.series {
		for _, p := range s.points {
			if c.logX && p[0] <= 0 {
				continue
			}
			xMin, xMax = math.Min(xMin, p[0]), math.Max(xMax, p[0])
			yMax = math.Max(yMax, p[1])
		}
	}
	if math.IsInf(xMin, 0) {
		xMin, xMax = 1, 10
	}
	if xMax == xMin {
		xMin, xMax = xMin/2, xMax*2
		if !c.logX {
			xMin, xMax = xMin-1, xMax+1
		}
	}
	yLo, yHi := 0.0, yMax*1.08
	if c.yMax > c.yMin {
		yLo, yHi = c.yMin, c.yMax
	}
	if yHi <= yLo {
		yHi = yLo + 1
	}
	var xTicks []float64
	if c.logX {
		xMin, xMax = xMin/1.15, xMax*1.15
		xTicks = logTicks(xMin, xMax)
	} else {
		xTicks = niceTicks(xMin, xMax, 6)
	}
	yTicks := niceTicks(yLo, yHi, 6)
	plotW, plotH := float64(svgW-padLeft-padRight), float64(svgH-padTop-padBott)
	px := func(x float64) float64 {
		if c.logX {
			return padLeft + plotW*(math.Log(x)-math.Log(xMin))/(math.Log(xMax)-math.Log(xMin))
		}
		return padLeft + plotW*(x-xMin)/(xMax-xMin)
	}
	py := func(y float64) float64 { return padTop + plotH*(1-(y-yLo)/(yHi-yLo)) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH, svgW, svgH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", padLeft, html.EscapeString(c.title))
	for _, t := range yTicks {
		if t < yLo || t > yHi {
			continue
		}
		y := py(t)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", padLeft, y, padLeft+plotW, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", padLeft-6, y+4, fmtTick(t))
	}
	for _, t := range xTicks {
		if t < xMin || t > xMax {
			continue
		}
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", x, padTop, x, padTop+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x, padTop+plotH+16, fmtTick(t))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", padLeft, padTop, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", padLeft+plotW/2, svgH-12, html.EscapeString(c.xLabel))
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", padTop+plotH/2, html.EscapeString(c.yLabel))
	for i, s := range c.series {
		color := palette[i%len(palette)]
		var pts []string
		for _, p := range s.points {
			if c.logX && p[0] <= 0 {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p[0]), py(math.Min(math.Max(p[1], yLo), yHi))))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", color, strings.Join(pts, " "))
		}
		if len(s.points) <= 12 {
			for _, pt := range pts {
				xy := strings.Split(pt, ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`+"\n", xy[0], xy[1], color)
			}
		}
		ly := padTop + 8 + 18*i
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", padLeft+plotW+12, ly, padLeft+plotW+32, ly, color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", padLeft+plotW+38, ly+4, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// ran reports whether res has measurements to plot.
func ran(res Result) bool { return res.Skipped == "" && res.Error == "" && res.Seconds > 0 }

// WriteThroughputSVG plots committed payments/s against concurrency, one
// line per scenario (a single point per scenario without a sweep).
func (r *Report) WriteThroughputSVG(w io.Writer) error {
	var ss []series
	idx := map[string]int{}
	for _, res := range r.Results {
		if !ran(res) {
			continue
		}
		i, ok := idx[res.Scenario]
		if !ok {
			i = len(ss)
			idx[res.Scenario] = i
			ss = append(ss, series{name: res.Scenario})
		}
		ss[i].points = append(ss[i].points, [2]float64{float64(res.Concurrency), res.PaymentsPerSec})
	}
	for i := range ss {
		sort.Slice(ss[i].points, func(a, b int) bool { return ss[i].points[a][0] < ss[i].points[b][0] })
	}
	c := chart{title: fmt.Sprintf("Committed payments/s against concurrency (run %s)", r.RunID),
		xLabel: "closed-loop workers", yLabel: "committed payments/s", logX: true, series: ss}
	return c.writeSVG(w)
}

// WriteLatencySVG plots scenario's latency distribution: for each
// concurrency level, the share of committed operations (y, %) that took
// at most x ms (log scale).
func (r *Report) WriteLatencySVG(w io.Writer, scenario string) error {
	var ss []series
	for _, res := range r.Results {
		if res.Scenario != scenario || !ran(res) || len(res.LatencyQuantilesMs) == 0 {
			continue
		}
		s := series{name: fmt.Sprintf("%d workers: p50 %.0f, p99 %.0f", res.Concurrency, res.LatencyMs.P50, res.LatencyMs.P99)}
		for q, ms := range res.LatencyQuantilesMs {
			s.points = append(s.points, [2]float64{math.Max(ms, 0.1), float64(q)})
		}
		ss = append(ss, s)
	}
	c := chart{title: fmt.Sprintf("%s: submit-to-commit latency (run %s)", scenario, r.RunID),
		xLabel: "latency, ms (log scale)", yLabel: "% of committed operations at most x", logX: true, yMin: 0, yMax: 100, series: ss}
	return c.writeSVG(w)
}

// PlottedScenarios lists the scenarios with measurements, in report
// order.
func (r *Report) PlottedScenarios() []string {
	var out []string
	seen := map[string]bool{}
	for _, res := range r.Results {
		if ran(res) && !seen[res.Scenario] {
			seen[res.Scenario] = true
			out = append(out, res.Scenario)
		}
	}
	return out
}
