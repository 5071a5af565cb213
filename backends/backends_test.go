package backends_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/hashicorp/go-multierror"

	"github.com/orfeas3d/orfeas/backends"
)

func validInput() *backends.Input {
	return &backends.Input{Width: 4, Height: 3, Luminance: make([]float32, 12), PixelSize: 1, Mode: backends.Relief}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	in := validInput()
	in.Luminance = in.Luminance[:5]
	in.Mask = make([]float32, 2)
	in.PixelSize = -1
	in.FaceBudget = -3
	in.Relief.Depth = -2
	err := in.Validate()
	var merr *multierror.Error
	if !errors.As(err, &merr) || len(merr.Errors) != 5 {
		t.Fatalf("got %v, want 5 problems in one error", err)
	}
	for _, e := range merr.Errors {
		if !errors.Is(e, backends.ErrInvalidInput) {
			t.Errorf("%v does not wrap ErrInvalidInput", e)
		}
	}
	if !errors.Is(err, backends.ErrInvalidInput) {
		t.Error("errors.Is does not find ErrInvalidInput through the multierror")
	}
}

func TestValidateModes(t *testing.T) {
	cases := []struct {
		name string
		edit func(*backends.Input)
		want string // substring of the error, or "" for valid
	}{
		{"relief defaults", func(in *backends.Input) {}, ""},
		{"lithophane min >= max", func(in *backends.Input) {
			in.Mode = backends.Lithophane
			in.Lithophane = backends.LithophaneParams{MinThickness: 3, MaxThickness: 2}
		}, "must be below maximum thickness"},
		{"lithophane arc", func(in *backends.Input) {
			in.Mode = backends.Lithophane
			in.Lithophane = backends.LithophaneParams{Shape: backends.Cylinder, Arc: 400}
		}, "arc"},
		{"extrude base", func(in *backends.Input) {
			in.Mode = backends.Extrude
			in.Extrude = backends.ExtrudeParams{BasePlate: true, BaseMargin: -1}
		}, "base margin"},
		{"inflate profile", func(in *backends.Input) {
			in.Mode = backends.Inflate
			in.Inflate = backends.InflateParams{Profile: "cube"}
		}, "unknown inflate profile"},
		{"unknown mode", func(in *backends.Input) { in.Mode = "auto" }, "unknown mode"},
		{"relief NaN smoothing", func(in *backends.Input) { in.Relief.Smooth = math.NaN() }, "smoothing sigma"},
		{"relief sunken frame", func(in *backends.Input) { in.Relief.FrameWidth, in.Relief.FrameHeight = 5, -10 }, "sink the frame"},
		{"inflate NaN rim", func(in *backends.Input) {
			in.Mode = backends.Inflate
			in.Inflate.MinRim = math.NaN()
		}, "minimum rim"},
		{"tiny image", func(in *backends.Input) { in.Width, in.Height, in.Luminance = 1, 1, make([]float32, 1) }, "at least 2×2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := validInput()
			tc.edit(in)
			err := in.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, backends.ErrInvalidInput) {
				t.Fatalf("got %v, want an ErrInvalidInput containing %q", err, tc.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	if p := (backends.ReliefParams{}).Defaults(); p.Depth != 5 || p.Base != 2 || p.Gamma != 1 || p.FrameHeight != 5 {
		t.Errorf("relief defaults %+v", p)
	}
	if p := (backends.LithophaneParams{}).Defaults(); p.MinThickness != 0.8 || p.MaxThickness != 3 || p.Shape != backends.Flat || p.Arc != 360 || p.FrameWidth != 3 {
		t.Errorf("lithophane defaults %+v", p)
	}
	if p := (backends.InflateParams{}).Defaults(); p.Profile != backends.Round || p.Thickness != 1 || p.MinRim != 1 {
		t.Errorf("inflate defaults %+v", p)
	}
	if p := (backends.ExtrudeParams{Height: 7}).Defaults(); p.Height != 7 || p.BaseThickness != 2 || p.BaseMargin != 3 {
		t.Errorf("extrude defaults %+v", p)
	}
}

// Validate reports every problem with an Input at once.
func ExampleInput_Validate() {
	in := &backends.Input{Width: 4, Height: 3, Luminance: make([]float32, 12), PixelSize: 0, Mode: backends.Lithophane,
		Lithophane: backends.LithophaneParams{MinThickness: 2, MaxThickness: 1}}
	var merr *multierror.Error
	if errors.As(in.Validate(), &merr) {
		for _, e := range merr.Errors {
			fmt.Println(e)
		}
	}
	// Output:
	// backends: invalid input: pixel size 0 mm must be positive
	// backends: invalid input: minimum thickness 2 mm must be below maximum thickness 1 mm
}

// TestParamsValidate checks that each parameter set's Validate finds, without an image, the
// problems Input.Validate reports for that mode, and that zero parameters are valid.
func TestParamsValidate(t *testing.T) {
	problems := func(err error) []string {
		var me *multierror.Error
		if !errors.As(err, &me) {
			return []string{err.Error()}
		}
		var s []string
		for _, e := range me.Errors {
			s = append(s, e.Error())
		}
		return s
	}
	for _, c := range []struct {
		mode  backends.Mode
		edit  func(*backends.Input)
		check func(*backends.Input) error
		want  int // problems
	}{
		{backends.Relief, func(in *backends.Input) { in.Relief = backends.ReliefParams{Depth: -1, Gamma: math.NaN()} }, func(in *backends.Input) error { return in.Relief.Validate() }, 2},
		{backends.Lithophane, func(in *backends.Input) { in.Lithophane = backends.LithophaneParams{Shape: "cone"} }, func(in *backends.Input) error { return in.Lithophane.Validate() }, 1},
		{backends.Extrude, func(in *backends.Input) {
			in.Extrude = backends.ExtrudeParams{BasePlate: true, BaseThickness: -1, BaseMargin: -1}
		}, func(in *backends.Input) error { return in.Extrude.Validate() }, 2},
		{backends.Inflate, func(in *backends.Input) { in.Inflate = backends.InflateParams{Thickness: -1} }, func(in *backends.Input) error { return in.Inflate.Validate() }, 1},
	} {
		in := validInput()
		in.Mode = c.mode
		if err := c.check(in); err != nil {
			t.Errorf("%s: zero parameters: %v", c.mode, err)
		}
		c.edit(in)
		perr, ierr := c.check(in), in.Validate()
		if !errors.Is(perr, backends.ErrInvalidInput) || ierr == nil {
			t.Fatalf("%s: params: %v; input: %v; want both to wrap ErrInvalidInput", c.mode, perr, ierr)
		}
		if p, i := problems(perr), problems(ierr); len(p) != c.want || strings.Join(p, "|") != strings.Join(i, "|") {
			t.Errorf("%s: params give %q, the input %q; want the same %d problems", c.mode, p, i, c.want)
		}
	}
}

func TestCheckOrder(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(live)
	cancel()
	bad := validInput()
	bad.PixelSize = -1
	for _, c := range []struct {
		name   string
		ctx    context.Context
		closed bool
		in     *backends.Input
		is     error
		msg    string
	}{
		{"ok", live, false, validInput(), nil, ""},
		{"closed first", done, true, nil, backends.ErrClosed, "x: backends: backend closed"},
		{"nil input", done, false, nil, backends.ErrInvalidInput, "backends: invalid input: nil input"},
		{"invalid before context", done, false, bad, backends.ErrInvalidInput, ""},
		{"context", done, false, validInput(), context.Canceled, "x: context canceled"},
	} {
		err := backends.Check(c.ctx, "x", c.closed, c.in)
		if !errors.Is(err, c.is) || (c.is == nil) != (err == nil) {
			t.Errorf("%s: Check = %v, want one wrapping %v", c.name, err, c.is)
		}
		if c.msg != "" && err != nil && err.Error() != c.msg {
			t.Errorf("%s: message %q, want %q", c.name, err, c.msg)
		}
	}
}
