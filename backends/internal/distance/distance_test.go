package distance

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSquaredDistanceBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		w, h := 1+rng.IntN(30), 1+rng.IntN(30)
		target := make([]bool, w*h)
		for i := range target {
			target[i] = rng.Float64() < 0.05*float64(trial%4+1)
		}
		got, idx := SquaredDistance(target, w, h)
		for i := range got {
			want := math.Inf(1)
			for j, tj := range target {
				if tj {
					dx, dy := float64(i%w-j%w), float64(i/w-j/w)
					want = min(want, dx*dx+dy*dy)
				}
			}
			if got[i] != want {
				t.Fatalf("trial %d (%d×%d): pixel %d distance² %v, want %v", trial, w, h, i, got[i], want)
			}
			if j := idx[i]; (j < 0) != math.IsInf(want, 1) || (j >= 0 && (!target[j] || float64((i%w-int(j)%w)*(i%w-int(j)%w)+(i/w-int(j)/w)*(i/w-int(j)/w)) != want)) {
				t.Fatalf("trial %d: pixel %d nearest index %d is not a nearest target", trial, i, j)
			}
		}
	}
}

func TestSignedDistanceDisc(t *testing.T) {
	const w, r = 101, 40.0
	mask := make([]float32, w*w)
	for i := range mask {
		x, y := float64(i%w)+0.5-50.5, float64(i/w)+0.5-50.5
		var s float32
		for sy := range 4 {
			for sx := range 4 {
				if math.Hypot(x+(float64(sx)+0.5)/4-0.5, y+(float64(sy)+0.5)/4-0.5) <= r {
					s += 1.0 / 16
				}
			}
		}
		mask[i] = s
	}
	sd := SignedDistance(mask, w, w)
	for i, s := range sd {
		x, y := float64(i%w)+0.5-50.5, float64(i/w)+0.5-50.5
		want := r - math.Hypot(x, y)
		tol := max(0.2, 0.01*math.Abs(want))
		if math.Abs(float64(s)-want) > tol {
			t.Fatalf("pixel (%d,%d): signed distance %v, want %v", i%w, i/w, s, want)
		}
	}
}
