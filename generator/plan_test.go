package generator

import (
	"context"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orfeas3d/orfeas/backends"
)

// TestNewPlan checks what a request alone resolves to: the level's settings, overridden where
// the request says so, Depth applied to each mode's own depth, the defaults filled in, and
// nothing that only the image decides.
func TestNewPlan(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for _, c := range []struct {
		name string
		req  Request
		want plan
	}{
		{"zero", Request{Decoded: img}, plan{
			quality:    Standard,
			prep:       prepOptions{resolution: 512, wantColor: true, maskTolerance: DefaultMaskTolerance},
			foreground: ForegroundOptions{MinIslandRatio: 0.005, MaxHoleRatio: 0.0005, Margin: 0.03},
			requested:  Auto, minStroke: DefaultMinStrokeWidth, faceBudget: 200_000, toleranceFraction: 0.02,
		}},
		{"lithophane at draft with overrides", Request{
			Decoded: img, Mode: Lithophane, Quality: Draft, Width: 80, Height: 60, Depth: 4,
			FaceBudget: 1000, Tolerance: 0.3, MaskTolerance: 0.2, Foreground: ForegroundOptions{Margin: -1},
			Relief: backends.ReliefParams{Base: 1}, Inflate: backends.InflateParams{FlatBack: true},
		}, plan{
			quality:    Draft,
			prep:       prepOptions{resolution: 256, width: 80, height: 60, maskTolerance: 0.2},
			foreground: ForegroundOptions{MinIslandRatio: 0.005, MaxHoleRatio: 0.0005, Margin: -1},
			requested:  Lithophane,
			params: modeParams{
				relief:     backends.ReliefParams{Depth: 4, Base: 1},
				lithophane: backends.LithophaneParams{MaxThickness: 4},
				extrude:    backends.ExtrudeParams{Height: 4},
				inflate:    backends.InflateParams{FlatBack: true},
			},
			depth: 4, minStroke: DefaultMinStrokeWidth, faceBudget: 1000, tolerance: 0.3, toleranceFraction: 0.04,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := c.req.Validate(); err != nil {
				t.Fatal(err)
			}
			got := newPlan(&c.req)
			got.source = source{} // the request's own values, not resolved
			if diff := cmp.Diff(c.want, *got, cmp.AllowUnexported(plan{}, source{}, prepOptions{}, modeParams{})); diff != "" {
				t.Errorf("newPlan: -want +got:\n%s", diff)
			}
		})
	}
}

// TestPlanResolvedOnce checks that preparation resolves Auto, the model's size and the level's
// tolerance into the plan, once, and that what comes after reads them from there.
func TestPlanResolvedOnce(t *testing.T) {
	// A dark disk on a white 200×100 canvas: a clean foreground covering about a fifth of it.
	img := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for y := range 100 {
		for x := range 200 {
			c := color.NRGBA{255, 255, 255, 255}
			if dx, dy := x-100, y-50; dx*dx+dy*dy < 35*35 {
				c = color.NRGBA{20, 40, 200, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	req := Request{Decoded: img, Quality: Draft, Width: 50}
	if err := req.Validate(); err != nil {
		t.Fatal(err)
	}
	pl := newPlan(&req)
	if pl.mode != "" || pl.reason != "" || pl.tolerance != 0 {
		t.Fatalf("before preparation: mode %q, reason %q, tolerance %v; want them unresolved", pl.mode, pl.reason, pl.tolerance)
	}
	p, err := prepareForeground(context.Background(), img, nil, pl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pl.mode != Inflate || !strings.HasPrefix(pl.reason, "auto: a solid subject (from border") {
		t.Errorf("mode %q (%q), want inflate for a clean foreground", pl.mode, pl.reason)
	}
	if !p.cropped || pl.widthMM != 50 || pl.widthMM != p.widthMM || pl.heightMM != p.heightMM {
		t.Errorf("cropped %v, plan %v×%v mm, working image %v×%v mm; want the crop's size, 50 mm wide",
			p.cropped, pl.widthMM, pl.heightMM, p.widthMM, p.heightMM)
	}
	if want := 0.04 * 50 / 20; pl.tolerance != want {
		t.Errorf("tolerance %v mm, want the draft fraction of a twentieth of 50 mm, %v", pl.tolerance, want)
	}
	in, err := pl.input(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if in.Mode != pl.mode || in.Tolerance != pl.tolerance || in.FaceBudget != 50_000 || in.Width != p.w {
		t.Errorf("input: mode %q, tolerance %v, budget %d, width %d; want the plan's", in.Mode, in.Tolerance, in.FaceBudget, in.Width)
	}
	defer func() {
		if recover() == nil {
			t.Error("resolving the plan a second time did not panic")
		}
	}()
	pl.resolve(Relief, "again", p)
}
