package modes

import (
	"testing"

	"github.com/orfeas3d/orfeas/backends"
)

// TestReliefLiftRamp checks that a lifted subject with a hard (0 or 1) mask rises from the base
// on a ramp outside its outline, not a one-pixel cliff on the pixel staircase: the background
// pixels beside the subject stand strictly between the base and the subject, those beyond the
// ramp at the base, and the subject's own pixels keep their heights.
func TestReliefLiftRamp(t *testing.T) {
	const w, h = 40, 40
	in := &backends.Input{Width: w, Height: h, PixelSize: 0.2, Mask: make([]float32, w*h), Luminance: make([]float32, w*h)}
	for y := 10; y < 30; y++ {
		for x := 10; x < 30; x++ {
			in.Mask[y*w+x] = 1
		}
	}
	p := backends.ReliefParams{UseMask: true, SubjectLift: 0.3}.Defaults()
	f := make([]float64, w*h) // uniform: a flat subject at the full depth
	g := ReliefHeights(in, p, f)
	top := float32(p.Base + p.Depth)
	for y := range h {
		for x := range w {
			z := g.Z[y*w+x]
			in, beside, far := x >= 10 && x < 30 && y >= 10 && y < 30, (x == 9 || x == 30) && y >= 12 && y < 28, x < 5 || x >= 35 || y < 5 || y >= 35
			switch {
			case in && z != top:
				t.Fatalf("subject pixel (%d, %d) at %v mm, want %v", x, y, z, top)
			case beside && !(z > float32(p.Base) && z < top):
				t.Fatalf("pixel (%d, %d) beside the outline at %v mm, want strictly between %v and %v", x, y, z, p.Base, top)
			case far && z != float32(p.Base):
				t.Fatalf("far background pixel (%d, %d) at %v mm, want the base %v", x, y, z, p.Base)
			}
		}
	}
}
