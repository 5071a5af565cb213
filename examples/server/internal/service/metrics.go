package service

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// genBuckets are the upper bounds, in seconds, of the generation time histogram.
var genBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// metrics are the service's Prometheus counters, written in the text exposition format by hand.
type metrics struct {
	mu       sync.Mutex
	requests map[routeStatus]uint64
	// Generation outcomes and the duration histogram of the ones that ran.
	genOutcome             map[string]uint64
	genCounts              []uint64 // per bucket, not cumulative; the last is +Inf
	genSum                 float64
	genCount               uint64
	rateLimited, queueFull uint64
}

type routeStatus struct {
	route  string
	status int
}

func newMetrics() *metrics {
	return &metrics{
		requests:   make(map[routeStatus]uint64),
		genOutcome: make(map[string]uint64),
		genCounts:  make([]uint64, len(genBuckets)+1),
	}
}

func (m *metrics) request(route string, status int) {
	m.mu.Lock()
	m.requests[routeStatus{route, status}]++
	m.mu.Unlock()
}

// generation records one generation that ran, with its outcome state.
func (m *metrics) generation(outcome string, d time.Duration) {
	sec := d.Seconds()
	i, _ := slices.BinarySearch(genBuckets, sec)
	m.mu.Lock()
	m.genOutcome[outcome]++
	m.genCounts[i]++
	m.genSum += sec
	m.genCount++
	m.mu.Unlock()
}

func (m *metrics) inc(c *uint64) {
	m.mu.Lock()
	*c++
	m.mu.Unlock()
}

// write emits every metric, in a stable order. jobStates are the jobs by state now; queued and
// running the registry's counts.
func (m *metrics) write(w io.Writer, jobStates map[string]int, queued, running int) {
	var b strings.Builder
	m.mu.Lock()
	reqs := make([]routeStatus, 0, len(m.requests))
	for k := range m.requests {
		reqs = append(reqs, k)
	}
	slices.SortFunc(reqs, func(a, b routeStatus) int {
		if c := strings.Compare(a.route, b.route); c != 0 {
			return c
		}
		return a.status - b.status
	})
	b.WriteString("# HELP orfeas_http_requests_total HTTP requests by route pattern and status code.\n# TYPE orfeas_http_requests_total counter\n")
	for _, k := range reqs {
		fmt.Fprintf(&b, "orfeas_http_requests_total{route=\"%s\",status=\"%d\"} %d\n", escapeLabel(k.route), k.status, m.requests[k])
	}
	b.WriteString("# HELP orfeas_generations_total Generations that ran, by outcome.\n# TYPE orfeas_generations_total counter\n")
	for _, o := range []string{stateCompleted, stateFailed, stateCanceled} {
		fmt.Fprintf(&b, "orfeas_generations_total{outcome=\"%s\"} %d\n", o, m.genOutcome[o])
	}
	b.WriteString("# HELP orfeas_generation_duration_seconds Time a generation took, from start to model written.\n# TYPE orfeas_generation_duration_seconds histogram\n")
	var cum uint64
	for i, le := range genBuckets {
		cum += m.genCounts[i]
		fmt.Fprintf(&b, "orfeas_generation_duration_seconds_bucket{le=\"%s\"} %d\n", strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	cum += m.genCounts[len(genBuckets)]
	fmt.Fprintf(&b, "orfeas_generation_duration_seconds_bucket{le=\"+Inf\"} %d\n", cum)
	fmt.Fprintf(&b, "orfeas_generation_duration_seconds_sum %s\n", strconv.FormatFloat(m.genSum, 'g', -1, 64))
	fmt.Fprintf(&b, "orfeas_generation_duration_seconds_count %d\n", m.genCount)
	fmt.Fprintf(&b, "# HELP orfeas_rate_limited_total Requests refused by the per-client rate limit.\n# TYPE orfeas_rate_limited_total counter\norfeas_rate_limited_total %d\n", m.rateLimited)
	fmt.Fprintf(&b, "# HELP orfeas_queue_full_total Generations refused because the queue was full.\n# TYPE orfeas_queue_full_total counter\norfeas_queue_full_total %d\n", m.queueFull)
	m.mu.Unlock()

	b.WriteString("# HELP orfeas_jobs Jobs known to the service, by state.\n# TYPE orfeas_jobs gauge\n")
	for _, st := range []string{stateUploaded, stateQueued, stateProcessing, stateCompleted, stateFailed, stateCanceled} {
		fmt.Fprintf(&b, "orfeas_jobs{state=\"%s\"} %d\n", st, jobStates[st])
	}
	fmt.Fprintf(&b, "# HELP orfeas_registry_queued Generations waiting for a worker.\n# TYPE orfeas_registry_queued gauge\norfeas_registry_queued %d\n", queued)
	fmt.Fprintf(&b, "# HELP orfeas_registry_running Generations running.\n# TYPE orfeas_registry_running gauge\norfeas_registry_running %d\n", running)
	io.WriteString(w, b.String())
}

// escapeLabel escapes a label value for the text format: backslash, double quote and newline.
func escapeLabel(s string) string {
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
