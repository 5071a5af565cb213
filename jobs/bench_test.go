package jobs

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/internal/cputime"
)

// BenchmarkSubmitComplete measures the throughput of trivial jobs, from
// Submit to Succeeded, with GOMAXPROCS workers and submitters on all
// cores. Each job has its own ID and key (no sharing); finished records
// are not retained. Reports jobs/s.
func BenchmarkSubmitComplete(b *testing.B) {
	for _, bc := range []struct {
		name   string
		retain time.Duration
	}{
		{"retain=none", -1},
		{"retain=24h", 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := New[int](Options{QueueSize: 1024, Retain: bc.retain})
			defer r.Close(context.Background())
			fn := func(context.Context, func(string, float64)) (int, error) { return 1, nil }
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cputime.Process()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := strconv.FormatInt(next.Add(1), 36) // a caller's ID is a fresh string too
					for {
						_, err := r.Submit(id, id, fn)
						if err == nil {
							break
						}
						if !errors.Is(err, ErrQueueFull) {
							b.Fatal(err)
						}
						runtime.Gosched() // back-pressure: let the workers drain
					}
				}
			})
			for r.Stats().Succeeded < b.N {
				runtime.Gosched()
			}
			elapsed, cpu := time.Since(start), cputime.Process()-cpu0
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkSubmitSharedKey measures submissions that all share executions
// (many IDs, few keys): the singleflight path.
func BenchmarkSubmitSharedKey(b *testing.B) {
	r := New[int](Options{QueueSize: 1024, Retain: -1})
	defer r.Close(context.Background())
	fn := func(context.Context, func(string, float64)) (int, error) { return 1, nil }
	keys := make([]string, 16)
	for i := range keys {
		keys[i] = "key" + strconv.Itoa(i)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cputime.Process()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			for {
				_, err := r.Submit("", keys[n%int64(len(keys))], fn)
				if err == nil {
					break
				}
				if !errors.Is(err, ErrQueueFull) {
					b.Fatal(err)
				}
				runtime.Gosched()
			}
		}
	})
	for r.Stats().Succeeded < b.N {
		runtime.Gosched()
	}
	elapsed, cpu := time.Since(start), cputime.Process()-cpu0
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	reportCPU(b, cpu)
}

// reportCPU adds the process CPU time per job, which, unlike jobs/s, does
// not depend on how many other processes share the machine. Skipped where
// the platform does not tell (cpuTime returns 0).
func reportCPU(b *testing.B, cpu time.Duration) {
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/job")
	}
}

// BenchmarkCancelLatency measures the time from Cancel being called to the
// running work observing ctx.Done, and reports its p50 and p99.
func BenchmarkCancelLatency(b *testing.B) {
	r := New[int](Options{Workers: 1, Retain: -1})
	defer r.Close(context.Background())
	started := make(chan struct{})
	observed := make(chan time.Time)
	fn := func(ctx context.Context, _ func(string, float64)) (int, error) {
		started <- struct{}{}
		<-ctx.Done()
		observed <- time.Now()
		return 0, ctx.Err()
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		if _, err := r.Submit("job", "work", fn); err != nil {
			b.Fatal(err)
		}
		<-started
		t0 := time.Now()
		if err := r.Cancel("job"); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-observed).Sub(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) }
	b.ReportMetric(pct(0.50), "p50-ns")
	b.ReportMetric(pct(0.99), "p99-ns")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
}
