package generator

import (
	"sync"
	"time"
)

// Bands of the overall progress fraction each part of Generate covers.
const (
	bandDecode   = 0.05 // decode: [0, bandDecode)
	bandPrepare  = 0.15 // prepare: [bandDecode, bandPrepare)
	bandBackend  = 0.95 // the backend's stages: [bandPrepare, bandBackend)
	bandSimplify = 0.98 // simplify, when needed: [bandBackend, bandSimplify); finish: the rest
)

// tracker turns the stages of one Generate call into the caller's progress callback (one overall
// fraction, never decreasing, calls serialised) and into stage timings.
type tracker struct {
	mu      sync.Mutex
	fn      func(stage string, fraction float64)
	last    float64 // the last overall fraction reported
	stage   string
	since   time.Time
	timings []StageTiming
	closed  bool

	// The backend's current stage spans [bStart, bStart+bSpan) of the overall fraction; each new
	// backend stage takes half of what is left of the backend's band, as their number is unknown.
	bStart, bSpan float64
}

func newTracker(fn func(string, float64)) *tracker {
	return &tracker{fn: fn, since: time.Now()}
}

// stageReconstruct names the backend's time until it reports a stage of its own, and all of it
// for a backend that reports none. It is not passed to the caller's callback.
const stageReconstruct = "reconstruct"

// enterQuiet starts a stage without calling the callback.
func (t *tracker) enterQuiet(stage string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.switchLocked(stage)
}

// switchLocked ends the current stage's timing and starts stage.
func (t *tracker) switchLocked(stage string) {
	if t.closed {
		return
	}
	now := time.Now()
	if t.stage != "" {
		t.timings = append(t.timings, StageTiming{Stage: t.stage, Duration: now.Sub(t.since)})
	}
	t.stage, t.since = stage, now
}

// enter starts a new stage at overall fraction at; it ends the previous stage's timing.
func (t *tracker) enter(stage string, at float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.enterLocked(stage, at)
}

func (t *tracker) enterLocked(stage string, at float64) {
	if t.closed {
		return
	}
	t.switchLocked(stage)
	t.reportLocked(at)
}

// reportLocked passes the overall fraction to the callback, held to never decrease.
func (t *tracker) reportLocked(f float64) {
	f = min(max(f, t.last), 1)
	t.last = f
	if t.fn != nil && !t.closed {
		t.fn(t.stage, f)
	}
}

// within reports fraction f (0..1) of the current stage, which spans [lo, hi) overall.
func (t *tracker) within(lo, hi float64) func(float64) {
	return func(f float64) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.closed {
			t.reportLocked(lo + (hi-lo)*min(max(f, 0), 1))
		}
	}
}

// backend is the Progress handed to the backend: its stages become the caller's stages.
func (t *tracker) backend(stage string, f float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if stage != t.stage {
		t.bStart = t.last
		t.bSpan = (bandBackend - t.bStart) / 2
		if t.stage == stageReconstruct {
			// The backend's first stage takes over the placeholder, and its time.
			t.stage = stage
		} else {
			t.enterLocked(stage, t.bStart)
		}
	}
	t.reportLocked(t.bStart + t.bSpan*min(max(f, 0), 1))
}

// finish ends the last stage and stops all further callbacks; it returns the stage timings.
func (t *tracker) finish() []StageTiming {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed && t.stage != "" {
		t.timings = append(t.timings, StageTiming{Stage: t.stage, Duration: time.Since(t.since)})
	}
	t.closed = true
	return t.timings
}
