package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

var samples = []string{"astronaut.png", "coffee.png", "camera.png", "horse.png", "bison.png", "armadillo.png"}

// photos are the full-frame samples, about 512 pixels a side.
var photos = map[string]bool{"astronaut.png": true, "coffee.png": true, "camera.png": true}

// TestSamples runs every sample photo through every implemented mode at two quality levels and
// checks what the issue promises: closed, outward, sized, within tolerance, within budget.
// Under the race detector, the standard level of the three 512-pixel photos and of inflation,
// and inflating the photos, are left to the normal run (go test ./generator): they add minutes
// there and no concurrency the other cases do not exercise.
func TestSamples(t *testing.T) {
	g := cpuGenerator(t)
	for _, name := range samples {
		data := readSample(t, name)
		for _, mode := range []Mode{Relief, Lithophane, Extrude, Inflate, Auto} {
			for _, q := range []Quality{Draft, Standard} {
				t.Run(fmt.Sprintf("%s/%s/%s", name, mode, q), func(t *testing.T) {
					if raceEnabled && q != Draft && (photos[name] || mode == Inflate) {
						t.Skip("a large photo, or inflation, at standard quality: run without -race")
					}
					if raceEnabled && q != Draft && mode == Auto {
						t.Skip("auto at standard quality repeats relief or inflate: run without -race")
					}
					if raceEnabled && mode == Inflate && photos[name] {
						t.Skip("inflating a full-frame photo: run without -race")
					}
					res, err := g.Generate(context.Background(), Request{Image: data, Mode: mode, Quality: q})
					if err != nil {
						t.Fatal(err)
					}
					r := res.Report
					topo := res.Mesh.Topology()
					if !topo.Closed() || !topo.Outward || topo != r.Topology {
						t.Fatalf("mesh not closed and outward: %+v", topo)
					}
					if b := res.Mesh.Bounds(); b != r.Bounds {
						t.Errorf("reported bounds %v, mesh bounds %v", r.Bounds, b)
					}
					wantH := 100 * float64(r.Image.Height) / float64(r.Image.Width)
					if mode == Auto {
						mode = r.Mode
						want := Inflate
						if photos[name] {
							// Full-frame photos have no plain background: the object GrabCut
							// finds when it is confident, else a relief saying why not.
							want = Relief
							if r.Image.MaskSource == MaskGrabCut {
								want = Inflate
							} else if r.Image.SegmentNote == "" {
								t.Errorf("auto built a relief of a photo without saying why segmentation was not used")
							}
						}
						if mode != want {
							t.Errorf("auto chose %s (%s), want %s", mode, r.ModeReason, want)
						}
					}
					switch mode {
					case Relief, Lithophane:
						if math.Abs(r.Size[0]-100) > 0.01 || math.Abs(r.Size[1]-wantH) > 0.01 || r.Bounds.Min != [3]float32{} {
							t.Errorf("size %v from %v, want 100 × %.3f from the origin", r.Size, r.Bounds.Min, wantH)
						}
					default: // the object itself is 100 mm wide, its bounding box's corner on the origin
						bottom := float32(0)
						if r.Simplify != nil {
							bottom = 1e-4 // simplification may move the lowest vertex by a hair
						}
						if b := r.Bounds; math.Abs(r.Size[0]-100) > 1e-3 || math.Abs(float64(b.Min[0])) > 1e-3 || math.Abs(float64(b.Min[1])) > 1e-3 || b.Min[2] < -bottom || b.Min[2] > bottom {
							t.Errorf("bounds %v, want 100 mm wide from the origin", b)
						}
						if mode != Relief && len(res.Mesh.Colors) != len(res.Mesh.Positions) {
							t.Errorf("%d colours for %d vertices", len(res.Mesh.Colors), len(res.Mesh.Positions))
						}
					}
					switch mode {
					case Relief: // base 2 + depth 5, the surface normalised to its full range
						if r.Size[2] > 7+1e-4 || r.Size[2] < 7-r.Tolerance-1e-4 {
							t.Errorf("relief thickness %v mm, want 7 within the tolerance %v", r.Size[2], r.Tolerance)
						}
					case Lithophane: // 0.8 to 3 mm
						if r.Size[2] > 3+1e-4 || r.Size[2] < 0.8 {
							t.Errorf("lithophane thickness %v mm, want 0.8..3", r.Size[2])
						}
					case Extrude: // 5 mm tall
						if math.Abs(r.Size[2]-5) > 1e-4 {
							t.Errorf("extrusion height %v mm, want 5", r.Size[2])
						}
					}
					if r.Faces > r.FaceBudget || r.OverBudget {
						t.Errorf("%d faces over the budget %d", r.Faces, r.FaceBudget)
					}
					if r.MaxError > r.Tolerance+1e-9 && !r.BudgetReached {
						t.Errorf("max error %v mm over the tolerance %v without reaching the budget", r.MaxError, r.Tolerance)
					}
					if r.Volume <= 0 || math.Abs(r.Volume-topo.Volume) > 1e-9 {
						t.Errorf("volume %v", r.Volume)
					}
					if r.Simplify != nil {
						t.Logf("simplified from %d faces, error %.4f mm", r.Simplify.FacesBefore, r.Simplify.MaxError)
					}
					t.Logf("%d faces, size %.3f × %.3f × %.3f mm, error %.4f mm (tolerance %.4f), %v", r.Faces, r.Size[0], r.Size[1], r.Size[2], r.MaxError, r.Tolerance, r.Total.Round(time.Millisecond))
				})
			}
		}
	}
}

// TestCylinder checks the placement of a curved lithophane: standing on Z = 0 around the Z axis,
// the image's height along Z.
func TestCylinder(t *testing.T) {
	g := cpuGenerator(t)
	res, err := g.Generate(context.Background(), Request{Image: readSample(t, "coffee.png"), Mode: Lithophane, Quality: Draft,
		Lithophane: backends.LithophaneParams{Shape: backends.Cylinder, Arc: 180}})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report
	if !r.Topology.Closed() || math.Abs(r.Size[2]-100.0*400/600) > 0.01 || r.Bounds.Min[2] != 0 {
		t.Errorf("cylinder: closed %v, size %v, bottom %v; want 66.667 mm tall from Z = 0", r.Topology.Closed(), r.Size, r.Bounds.Min[2])
	}
	// Half a cylinder whose inside is 100 mm long: radius 100/π, so about 2R + 2·3 mm across.
	if d := 2 * 100 / math.Pi; r.Size[0] < d || r.Size[0] > d+6.1 {
		t.Errorf("cylinder width %v mm, want about %v", r.Size[0], d)
	}
}

// TestDeterminism checks that the encoded bytes do not depend on the run or GOMAXPROCS, at
// standard quality (draft under the race detector, which is ten times slower).
func TestDeterminism(t *testing.T) {
	data := readSample(t, "coffee.png")
	q := Standard
	if raceEnabled {
		q = Draft
	}
	encode := func(procs int, mode Mode) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		g := cpuGenerator(t)
		res, err := g.Generate(context.Background(), Request{Image: data, Mode: mode, Quality: q})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := res.Encode(&buf, meshio.GLB); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, mode := range []Mode{Relief, Lithophane} {
		a, b, c := encode(1, mode), encode(4, mode), encode(4, mode)
		if !bytes.Equal(a, b) || !bytes.Equal(b, c) {
			t.Errorf("%s: GLB differs between runs or GOMAXPROCS (%d, %d, %d bytes)", mode, len(a), len(b), len(c))
		}
	}
}

// TestCancelEveryStage cancels from inside each stage and checks that Generate stops with the
// context's error and leaves no goroutine behind.
func TestCancelEveryStage(t *testing.T) {
	g := cpuGenerator(t)
	data := readSample(t, "astronaut.png")
	// The stages, the backend's included, as one uncancelled run reports them.
	var stages []string
	if _, err := g.Generate(context.Background(), Request{Image: data, Mode: Relief, Quality: Standard, Progress: func(s string, _ float64) {
		if len(stages) == 0 || stages[len(stages)-1] != s {
			stages = append(stages, s)
		}
	}}); err != nil {
		t.Fatal(err)
	}
	if len(stages) < 5 || stages[0] != "decode" || stages[1] != "prepare" || stages[len(stages)-1] != "finish" {
		t.Fatalf("stages %v", stages)
	}
	for _, stage := range stages {
		base := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		var once sync.Once
		var at time.Time
		_, err := g.Generate(ctx, Request{Image: data, Mode: Relief, Quality: Standard, Progress: func(s string, f float64) {
			if s == stage {
				once.Do(func() { at = time.Now(); cancel() })
			}
		}})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled in %s: err = %v, want context.Canceled", stage, err)
			continue
		}
		t.Logf("cancelled in %s: returned after %v: %v", stage, time.Since(at), err)
		waitGoroutines(t, base)
	}
}

// coveredXY reports whether the point (x, y) lies under some upward-facing face of m.
func coveredXY(m *mesh.Mesh, x, y float64) bool {
	for i, f := range m.Faces {
		if m.FaceNormal(i)[2] <= 0 {
			continue
		}
		a, b, c := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
		d := func(p, q [3]float32) float64 {
			return (float64(q[0])-float64(p[0]))*(y-float64(p[1])) - (float64(q[1])-float64(p[1]))*(x-float64(p[0]))
		}
		if d(a, b) >= 0 && d(b, c) >= 0 && d(c, a) >= 0 {
			return true
		}
	}
	return false
}

// TestSilhouettes checks what the foreground does to the outline modes: the armadillo (alpha)
// keeps the gaps between its legs, the bison (on white) loses its background, and both come out
// the same on every run.
func TestSilhouettes(t *testing.T) {
	g := cpuGenerator(t)
	for _, name := range []string{"armadillo.png", "bison.png"} {
		req := Request{Image: readSample(t, name), Mode: Extrude, Quality: Draft}
		if name == "bison.png" {
			req.Mode = Inflate // an inflated shape is the harder one to keep deterministic
		}
		res, err := g.Generate(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		r := res.Report
		// Without the background removed, the model would fill its bounding box.
		if fill := r.Volume / (r.Size[0] * r.Size[1] * r.Size[2]); fill > 0.75 {
			t.Errorf("%s: the model fills %.0f %% of its bounding box: background kept", name, 100*fill)
		}
		if name == "armadillo.png" {
			// Along a line just above the feet, the legs are separate runs of material.
			runs, prev := 0, false
			for i := range 200 {
				c := coveredXY(res.Mesh, (float64(i)+0.5)*r.Size[0]/200, 0.04*r.Size[1])
				if c && !prev {
					runs++
				}
				prev = c
			}
			if runs < 3 {
				t.Errorf("armadillo: %d runs of material above the feet, want the legs apart (at least 3)", runs)
			}
		}
		var a, b bytes.Buffer
		if err := res.Encode(&a, meshio.GLB); err != nil {
			t.Fatal(err)
		}
		// The bison's border is white well beyond it: the outline modes work on its crop.
		if name == "bison.png" && !r.Image.Cropped {
			t.Errorf("bison: not cropped to its foreground")
		}
		// Again on one thread: the bytes must not change.
		procs := runtime.GOMAXPROCS(1)
		again, err := g.Generate(context.Background(), req)
		runtime.GOMAXPROCS(procs)
		if err != nil {
			t.Fatal(err)
		}
		if err := again.Encode(&b, meshio.GLB); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: GOMAXPROCS %d and 1 gave different GLB bytes", name, procs)
		}
	}
}

// TestExtrudeFine extrudes every sample at the fine levels and at a very fine tolerance, with
// and without a base plate: the outline's near-straight runs once gave flat cap triangles there.
func TestExtrudeFine(t *testing.T) {
	g := cpuGenerator(t)
	for _, name := range samples {
		data := readSample(t, name)
		for _, c := range []struct {
			q     Quality
			tol   float64
			plate bool
		}{{High, 0, false}, {Ultra, 0, false}, {Ultra, 0.005, true}, {Standard, 0.005, false}} {
			req := Request{Image: data, Mode: Extrude, Quality: c.q, Tolerance: c.tol, Extrude: backends.ExtrudeParams{BasePlate: c.plate}}
			res, err := g.Generate(context.Background(), req)
			if err != nil {
				t.Fatalf("%s %s tolerance %v plate %v: %v", name, c.q, c.tol, c.plate, err)
			}
			if top := res.Mesh.Topology(); !top.Closed() || !top.Outward {
				t.Fatalf("%s %s: %+v", name, c.q, top)
			}
		}
	}
}
