package raster

import (
	"math"
	"testing"
)

func TestBlurKeepsMean(t *testing.T) {
	p := make([]float32, 30*30)
	p[15*30+15] = 1
	b := Blur(p, 30, 30, 1.5)
	var s float64
	for _, v := range b {
		s += float64(v)
	}
	if math.Abs(s-1) > 1e-5 {
		t.Errorf("blurred sum %v, want 1", s)
	}
}
