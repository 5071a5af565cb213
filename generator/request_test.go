package generator

import (
	"errors"
	"image"
	"math"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"

	"github.com/orfeas3d/orfeas/backends"
)

func TestParseQuality(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Quality
	}{
		{"", Standard}, {"draft", Draft}, {"Standard", Standard}, {" HIGH ", High}, {"ultra", Ultra},
		{"1", Draft}, {"2", Draft}, {"3", Standard}, {"6", Standard}, {"7", High}, {"8", High}, {"9", Ultra}, {"10", Ultra},
	} {
		got, err := ParseQuality(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseQuality(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"0", "11", "-3", "best", "7.5"} {
		if q, err := ParseQuality(in); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("ParseQuality(%q) = %q, %v; want ErrInvalidRequest", in, q, err)
		}
	}
}

func TestQualitySettings(t *testing.T) {
	want := map[Quality][2]int{Draft: {256, 50_000}, Standard: {512, 200_000}, High: {1024, 500_000}, Ultra: {2048, 2_000_000}, "": {512, 200_000}}
	prev := math.Inf(1)
	for _, q := range append(Qualities, "") {
		s, err := q.Settings()
		if err != nil || s.Resolution != want[q][0] || s.FaceBudget != want[q][1] {
			t.Errorf("%q.Settings() = %+v, %v; want resolution %d, budget %d", q, s, err, want[q][0], want[q][1])
		}
		if q != "" {
			if !(s.ToleranceFraction > 0 && s.ToleranceFraction < prev) {
				t.Errorf("%q: tolerance fraction %v does not shrink with quality", q, s.ToleranceFraction)
			}
			prev = s.ToleranceFraction
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Auto, "auto": Auto, "Relief": Relief, "lithophane": Lithophane, "extrude": Extrude, "inflate": Inflate} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMode("sculpt"); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("ParseMode(sculpt): err = %v, want ErrInvalidRequest", err)
	}
}

// TestValidate checks every problem Validate knows, alone and all together.
func TestValidate(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	ok := Request{Image: []byte{1}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("minimal request: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(r *Request)
		want   string // a fragment of the message
		also   error  // another error the problem must match
	}{
		{"no image", func(r *Request) { r.Image = nil }, "no image", nil},
		{"two images", func(r *Request) { r.Decoded = img }, "2 images given", nil},
		{"tiny decoded", func(r *Request) { r.Image, r.Decoded = nil, image.NewGray(image.Rect(0, 0, 1, 5)) }, "1×5 pixels", nil},
		{"two depth maps", func(r *Request) { r.DepthMap, r.DepthMapImage = []byte{1}, img }, "two depth maps", nil},
		{"depth map mode", func(r *Request) { r.DepthMapImage, r.Mode = img, Lithophane }, "relief mode only", nil},
		{"unknown mode", func(r *Request) { r.Mode = "sculpt" }, `unknown mode "sculpt"`, nil},
		{"upper-case mode", func(r *Request) { r.Mode = "Relief" }, `unknown mode "Relief"`, nil},
		{"unknown quality", func(r *Request) { r.Quality = "best" }, `unknown quality "best"`, nil},
		{"negative width", func(r *Request) { r.Width = -1 }, "width -1 mm", nil},
		{"NaN height", func(r *Request) { r.Height = math.NaN() }, "height NaN mm", nil},
		{"infinite depth", func(r *Request) { r.Depth = math.Inf(1) }, "depth +Inf mm", nil},
		{"huge width", func(r *Request) { r.Width = 2e4 }, "exceeds the largest size", nil},
		{"negative budget", func(r *Request) { r.FaceBudget = -5 }, "face budget -5", nil},
		{"negative tolerance", func(r *Request) { r.Tolerance = -0.1 }, "tolerance -0.1", nil},
		{"mask tolerance", func(r *Request) { r.MaskTolerance = 1.5 }, "mask tolerance 1.5", nil},
		{"depth conflict", func(r *Request) { r.Mode, r.Depth, r.Relief.Depth = Relief, 4, 6 }, "contradicts the relief depth", nil},
		{"min >= max thickness", func(r *Request) {
			r.Mode, r.Lithophane.MinThickness, r.Lithophane.MaxThickness = Lithophane, 3, 2
		}, "minimum thickness 3 mm must be below maximum thickness 2 mm", backends.ErrInvalidInput},
		{"depth below min thickness", func(r *Request) { r.Mode, r.Depth = Lithophane, 0.5 }, "must be below maximum thickness 0.5 mm", backends.ErrInvalidInput},
		{"negative relief depth", func(r *Request) { r.Mode, r.Relief.Depth = Relief, -2 }, "relief depth -2 mm", backends.ErrInvalidInput},
		{"auto checks relief", func(r *Request) { r.Relief.Gamma = -1 }, "relief gamma -1", backends.ErrInvalidInput},
		{"auto checks inflate", func(r *Request) { r.Inflate.Profile = "cube" }, `unknown inflate profile "cube"`, backends.ErrInvalidInput},
		{"lithophane shape", func(r *Request) { r.Mode, r.Lithophane.Shape = Lithophane, "cone" }, `unknown lithophane shape "cone"`, backends.ErrInvalidInput},
		{"arc", func(r *Request) { r.Mode, r.Lithophane.Arc = Lithophane, 400 }, "arc 400", backends.ErrInvalidInput},
		{"extrude height", func(r *Request) { r.Mode, r.Extrude.Height = Extrude, -1 }, "extrusion height -1", backends.ErrInvalidInput},
		{"inflate profile", func(r *Request) { r.Mode, r.Inflate.Profile = Inflate, "square" }, `unknown inflate profile "square"`, backends.ErrInvalidInput},
	}
	var all Request = ok
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ok
			c.mutate(&r)
			err := r.Validate()
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("err = %v, want one wrapping ErrInvalidRequest", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to mention %q", err, c.want)
			}
			if c.also != nil && !errors.Is(err, c.also) {
				t.Errorf("err = %v, want it to match %v too", err, c.also)
			}
		})
	}
	// Several problems at once: all are reported.
	all.Image = nil
	all.Width, all.Height, all.Quality, all.FaceBudget = -1, -2, "best", -3
	all.Mode, all.Lithophane.MinThickness, all.Lithophane.MaxThickness = Lithophane, 3, 2
	err := all.Validate()
	var me *multierror.Error
	if !errors.As(err, &me) || len(me.Errors) != 6 {
		t.Fatalf("err = %v, want 6 problems in a *multierror.Error", err)
	}
	for _, e := range me.Errors {
		if !errors.Is(e, ErrInvalidRequest) {
			t.Errorf("problem %q does not wrap ErrInvalidRequest", e)
		}
	}
	if !errors.Is(err, ErrInvalidRequest) || !strings.HasPrefix(err.Error(), "generator: invalid request: 6 problems: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %q, want one line starting with the problem count", err)
	}
}
