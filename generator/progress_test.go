package generator

import (
	"slices"
	"testing"
)

func TestTracker(t *testing.T) {
	type call struct {
		stage string
		f     float64
	}
	var calls []call
	tr := newTracker(func(s string, f float64) { calls = append(calls, call{s, f}) })
	tr.enter("decode", 0)
	tr.enter("prepare", bandDecode)
	tr.within(bandDecode, bandPrepare)(0.5)
	tr.within(bandDecode, bandPrepare)(2) // out of range: clamped
	tr.enterQuiet(stageReconstruct)
	tr.backend("a", 0.5)
	tr.backend("b", 1)
	tr.backend("a", 0) // a stage coming back, at 0: held, not decreasing
	tr.backend("a", -1)
	tr.enter("finish", bandBackend)
	tr.within(bandBackend, 1)(1)
	timings := tr.finish()
	tr.backend("late", 1) // after finish: ignored

	var stages []string
	for i, c := range calls {
		if i > 0 && c.f < calls[i-1].f || c.f < 0 || c.f > 1 {
			t.Errorf("call %d: fraction %v after %v", i, c.f, calls[max(i-1, 0)].f)
		}
		if c.stage == stageReconstruct || c.stage == "late" {
			t.Errorf("call %d reports stage %q", i, c.stage)
		}
		if len(stages) == 0 || stages[len(stages)-1] != c.stage {
			stages = append(stages, c.stage)
		}
	}
	if want := []string{"decode", "prepare", "a", "b", "a", "finish"}; !slices.Equal(stages, want) {
		t.Errorf("stages %v, want %v", stages, want)
	}
	if last := calls[len(calls)-1]; last.f != 1 {
		t.Errorf("last fraction %v, want 1", last.f)
	}
	var timed []string
	for _, s := range timings {
		timed = append(timed, s.Stage)
	}
	// The backend's first stage takes over the placeholder.
	if want := []string{"decode", "prepare", "a", "b", "a", "finish"}; !slices.Equal(timed, want) {
		t.Errorf("timed stages %v, want %v", timed, want)
	}

	// A backend that reports nothing is timed as "reconstruct".
	tr = newTracker(nil)
	tr.enter("prepare", 0)
	tr.enterQuiet(stageReconstruct)
	tr.enter("finish", bandBackend)
	if got := tr.finish(); len(got) != 3 || got[1].Stage != stageReconstruct {
		t.Errorf("timings %v", got)
	}
}
