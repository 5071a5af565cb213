package main

import (
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memTracer samples the runtime's memory classes and the process's resident set every
// millisecond and keeps, per stage, the largest value of each: where a peak RSS comes from.
// A nil *memTracer does nothing.
type memTracer struct {
	mu     sync.Mutex
	stage  string
	order  []string
	max    map[string][]float64
	done   chan struct{}
	wg     sync.WaitGroup
	sample []metrics.Sample
	gcs    uint64 // collections seen
	dir    string // where to write a heap profile after each collection ("": none)
}

// memColumns name the sampled values: runtime/metrics names, then "rss" (VmRSS).
var memColumns = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/gc/heap/goal:bytes",
	"/gc/cycles/total:gc-cycles",
}

func startMemTracer(dir string) *memTracer {
	t := &memTracer{stage: "start", max: map[string][]float64{}, done: make(chan struct{}), dir: dir}
	for _, c := range memColumns {
		t.sample = append(t.sample, metrics.Sample{Name: c})
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			t.take()
			select {
			case <-t.done:
				return
			case <-tick.C:
			}
		}
	}()
	return t
}

// rss returns the process's resident set in bytes (/proc/self/statm), or 0.
func rss() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseFloat(f[1], 64)
	return n * float64(os.Getpagesize())
}

func (t *memTracer) take() {
	t.mu.Lock()
	defer t.mu.Unlock()
	metrics.Read(t.sample)
	v := make([]float64, 0, len(t.sample)+1)
	for _, s := range t.sample {
		v = append(v, float64(s.Value.Uint64()))
	}
	// Total minus released is what the runtime holds mapped and possibly resident.
	v[4] -= v[5]
	if gcs := t.sample[7].Value.Uint64(); gcs != t.gcs {
		t.gcs = gcs
		if t.dir != "" {
			// The heap profile's in-use figures are those of the collection just completed.
			if f, err := os.Create(fmt.Sprintf("%s/gc%02d-%s.prof", t.dir, gcs, t.stage)); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}
	v = append(v[:5], v[6], rss())
	m, ok := t.max[t.stage]
	if !ok {
		t.order = append(t.order, t.stage)
		m = make([]float64, len(v))
		t.max[t.stage] = m
	}
	for i := range v {
		m[i] = max(m[i], v[i])
	}
}

func (t *memTracer) enter(stage string) {
	if t == nil {
		return
	}
	t.take()
	t.mu.Lock()
	t.stage = stage
	t.mu.Unlock()
	t.take()
}

func (t *memTracer) stop() {
	if t == nil {
		return
	}
	close(t.done)
	t.wg.Wait()
	fmt.Fprintf(os.Stderr, "%-12s %8s %8s %8s %8s %8s %8s %8s   (largest per stage, MiB)\n", "stage", "objects", "unused", "free", "stacks", "mapped", "goal", "rss")
	for _, s := range t.order {
		fmt.Fprintf(os.Stderr, "%-12s", s)
		for _, v := range t.max[s] {
			fmt.Fprintf(os.Stderr, " %8.1f", v/(1<<20))
		}
		fmt.Fprintln(os.Stderr)
	}
}
