package grabcut_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/orfeas3d/orfeas/estimators/grabcut"
	"github.com/orfeas3d/orfeas/estimators/grabcut/composite"
)

var update = flag.Bool("update", false, "rewrite testdata/masks.golden from this build's masks")

const goldenPath = "testdata/masks.golden"

// goldenCase is one input and options whose mask is pinned by testdata/masks.golden.
type goldenCase struct {
	name string
	img  image.Image
	opts grabcut.Options
}

// goldenCases are the committed photos whole, the composites of TestCompositeIoU, a synthetic
// disc at the benchmark's sizes, and the non-default options.
func goldenCases(t *testing.T) []goldenCase {
	var cs []goldenCase
	for _, n := range []string{"astronaut.png", "camera.png", "coffee.png", "armadillo.png",
		"bison.png", "horse.png", "chelsea.png", "rocket.jpg", "brick.png"} {
		cs = append(cs, goldenCase{n, load(t, n), grabcut.Options{}})
	}
	coffee := load(t, "coffee.png")
	cs = append(cs,
		goldenCase{"coffee hard", coffee, grabcut.Options{Hard: true}},
		goldenCase{"coffee distinct+centre", coffee, grabcut.Options{Prior: grabcut.PriorDistinct | grabcut.PriorCentre}},
		goldenCase{"coffee maxside 64 k3", coffee, grabcut.Options{MaxSide: 64, Components: 3}},
		goldenCase{"coffee native", coffee, grabcut.Options{MaxSide: 600}},
	)
	for _, n := range []int{512, 1024, 2048} {
		cs = append(cs, goldenCase{"noisy disc " + strconv.Itoa(n), noisyDisc(n), grabcut.Options{}})
	}
	bison, horse := load(t, "bison.png"), load(t, "horse.png")
	subjects := []composite.Named{
		{Name: "armadillo", Image: load(t, "armadillo.png")},
		{Name: "bison", Image: composite.WithMask(bison, composite.FloodMask(bison, 24))},
		{Name: "horse", Image: composite.WithMask(horse, composite.FloodMask(horse, 24))},
	}
	backgrounds := []composite.Named{
		{Name: "chelsea", Image: load(t, "chelsea.png")},
		{Name: "rocket", Image: load(t, "rocket.jpg")},
		{Name: "brick", Image: load(t, "brick.png")},
		{Name: "coffee", Image: coffee},
	}
	for _, c := range composite.Build(subjects, backgrounds, 4, 16, composite.Options{Width: 320, Height: 240}) {
		cs = append(cs, goldenCase{c.Name, c.Image, grabcut.Options{}})
	}
	if raceBuild {
		// The race detector's tenfold slowdown: a few cases that between them take every
		// path (three rounds, both priors, a native-size cut, a soft and a hard outline).
		var few []goldenCase
		for _, c := range cs {
			switch c.name {
			case "astronaut.png", "coffee distinct+centre", "coffee maxside 64 k3", "coffee hard",
				"noisy disc 512", "armadillo on rocket":
				few = append(few, c)
			}
		}
		cs = few
	}
	return cs
}

// noisyDisc is a red disc on a noisy blue background, n×n, as BenchmarkSegmentSize draws it.
func noisyDisc(n int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	rng := rand.New(rand.NewPCG(1, 7))
	cx, cy, r := float64(n)*0.45, float64(n)*0.55, float64(n)*0.3
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			v := func(v int) uint8 { return uint8(min(255, max(0, v+rng.IntN(61)-30))) }
			c := color.RGBA{v(40), v(60), v(170), 255}
			if dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy; dx*dx+dy*dy <= r*r {
				c = color.RGBA{v(200), v(40), v(40), 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// goldenLine is a case's mask hash and figures as testdata/masks.golden records them.
func goldenLine(r grabcut.Result) string {
	h := sha256.Sum256(r.Mask.Pix)
	return fmt.Sprintf("%s conf=%.6f iter=%d pieces=%d", hex.EncodeToString(h[:12]), r.Confidence, r.Iterations, r.Pieces)
}

// TestGoldenMasks pins every golden case's mask to the bytes recorded in testdata/masks.golden
// (recorded on main 8a79c31, before the speed work), at GOMAXPROCS 1, 2 and 4: a change to the
// arithmetic that moves a single mask value fails here. Rewrite with -update only for a change
// whose IoU and confidence effects were measured (bench/RESULTS.md, issue 16).
func TestGoldenMasks(t *testing.T) {
	cases := goldenCases(t)
	want := map[string]string{}
	if !*update {
		f, err := os.Open(goldenPath)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			name, line, ok := strings.Cut(sc.Text(), "\t")
			if ok {
				want[name] = line
			}
		}
		f.Close()
	}
	procs := []int{1, 2, 4}
	switch {
	case *update:
		procs = procs[:1]
	case raceBuild:
		procs = []int{1, 4}
	}
	got := make([]string, len(cases))
	for _, p := range procs {
		prev := runtime.GOMAXPROCS(p)
		for i, c := range cases {
			r, err := grabcut.New(c.opts).SegmentDetail(context.Background(), c.img)
			if err != nil {
				runtime.GOMAXPROCS(prev)
				t.Fatalf("%s: %v", c.name, err)
			}
			line := goldenLine(r)
			if *update {
				got[i] = line
				continue
			}
			w, ok := want[c.name]
			switch {
			case !ok:
				t.Errorf("%s: not in %s (run with -update)", c.name, goldenPath)
			case w != line && !sameButConfidence(w, line):
				t.Errorf("GOMAXPROCS %d, %s:\n got %s\nwant %s", p, c.name, line, w)
			}
		}
		runtime.GOMAXPROCS(prev)
	}
	if *update {
		var b strings.Builder
		for i, c := range cases {
			fmt.Fprintf(&b, "%s\t%s\n", c.name, got[i])
		}
		if raceBuild {
			t.Fatal("-update under -race would record only part of the cases")
		}
		if err := os.WriteFile(filepath.FromSlash(goldenPath), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sameButConfidence allows the confidence's last printed digit to move by one (float
// summation order); the mask hash and the counts must match exactly.
func sameButConfidence(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	if len(fa) != len(fb) || len(fa) != 4 || fa[0] != fb[0] || fa[2] != fb[2] || fa[3] != fb[3] {
		return false
	}
	ca, err1 := strconv.ParseFloat(strings.TrimPrefix(fa[1], "conf="), 64)
	cb, err2 := strconv.ParseFloat(strings.TrimPrefix(fb[1], "conf="), 64)
	return err1 == nil && err2 == nil && math.Abs(ca-cb) <= 1.5e-6
}
