package generator

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// Synthetic images for the fidelity tests (issue 14). Each is drawn at 256×256.

const synthSize = 256

// synthStar is a five-pointed star of thin black strokes (4 px) on transparency: dark line art,
// whose alpha is the subject.
func synthStar() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, synthSize, synthSize))
	var pts [5][2]float64
	for k := range 5 {
		a := -math.Pi/2 + float64(k)*4*math.Pi/5
		pts[k] = [2]float64{128 + 110*math.Cos(a), 128 + 110*math.Sin(a)}
	}
	for k := range 5 {
		strokeLine(img, pts[k], pts[(k+1)%5], 2, color.NRGBA{0, 0, 0, 255})
	}
	return img
}

// synthLineArt is black ink on white: a house of thin strokes with separate marks (windows, a
// sun's rays), in many parts.
func synthLineArt() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, synthSize, synthSize))
	fill(img, color.NRGBA{255, 255, 255, 255})
	ink := color.NRGBA{10, 10, 10, 255}
	for _, l := range [][4]float64{{40, 220, 200, 220}, {40, 220, 40, 120}, {200, 220, 200, 120}, {30, 130, 120, 50}, {120, 50, 210, 130},
		{70, 150, 100, 150}, {70, 180, 100, 180}, {140, 150, 170, 150}, {140, 180, 170, 180}} {
		strokeLine(img, [2]float64{l[0], l[1]}, [2]float64{l[2], l[3]}, 1.5, ink)
	}
	for k := range 8 {
		a := float64(k) * math.Pi / 4
		strokeLine(img, [2]float64{215 + 14*math.Cos(a), 35 + 14*math.Sin(a)}, [2]float64{215 + 26*math.Cos(a), 35 + 26*math.Sin(a)}, 1.5, ink)
	}
	return img
}

// synthTile is a white icon (a disc with a bar) on a blue rounded tile, on transparency.
func synthTile() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, synthSize, synthSize))
	blue, white := color.NRGBA{30, 90, 200, 255}, color.NRGBA{255, 255, 255, 255}
	for y := range synthSize {
		for x := range synthSize {
			dx := max(math.Abs(float64(x)-127.5)-90, 0)
			dy := max(math.Abs(float64(y)-127.5)-90, 0)
			if dx*dx+dy*dy <= 24*24 && math.Abs(float64(x)-127.5) < 114 && math.Abs(float64(y)-127.5) < 114 {
				img.SetNRGBA(x, y, blue)
			}
			if r := math.Hypot(float64(x)-110, float64(y)-120); r < 50 {
				img.SetNRGBA(x, y, white)
			}
			if x > 170 && x < 195 && y > 60 && y < 200 {
				img.SetNRGBA(x, y, white)
			}
		}
	}
	return img
}

// synthSquare is a black square on white, filling half the image's side.
func synthSquare() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, synthSize, synthSize))
	fill(img, color.NRGBA{255, 255, 255, 255})
	for y := 64; y < 192; y++ {
		for x := 64; x < 192; x++ {
			img.SetNRGBA(x, y, color.NRGBA{20, 20, 20, 255})
		}
	}
	return img
}

// synthRing is a red ring (genus 1) on white.
func synthRing() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, synthSize, synthSize))
	fill(img, color.NRGBA{255, 255, 255, 255})
	for y := range synthSize {
		for x := range synthSize {
			if r := math.Hypot(float64(x)-127.5, float64(y)-127.5); r > 50 && r < 100 {
				img.SetNRGBA(x, y, color.NRGBA{200, 30, 30, 255})
			}
		}
	}
	return img
}

// synthPhoto is a photo-like picture: a diagonal gradient, a bright disc, and per-pixel noise
// of ±25 levels (seeded), with no plain border.
func synthPhoto() image.Image {
	r := rand.New(rand.NewPCG(3, 4))
	img := image.NewNRGBA(image.Rect(0, 0, synthSize, synthSize))
	for y := range synthSize {
		for x := range synthSize {
			v := 40 + 150*float64(x+y)/(2*synthSize)
			if math.Hypot(float64(x)-160, float64(y)-100) < 45 {
				v += 60
			}
			v += 50 * (r.Float64() - 0.5)
			c := uint8(min(max(v, 0), 255))
			img.SetNRGBA(x, y, color.NRGBA{c, uint8(min(int(c)+20, 255)), c, 255})
		}
	}
	return img
}

func fill(img *image.NRGBA, c color.NRGBA) {
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			img.SetNRGBA(x, y, c)
		}
	}
}

// strokeLine paints the segment a–b with half-width hw.
func strokeLine(img *image.NRGBA, a, b [2]float64, hw float64, c color.NRGBA) {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	for y := int(min(a[1], b[1]) - hw - 1); y <= int(max(a[1], b[1])+hw+1); y++ {
		for x := int(min(a[0], b[0]) - hw - 1); x <= int(max(a[0], b[0])+hw+1); x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			t := min(max(((px-a[0])*dx+(py-a[1])*dy)/l2, 0), 1)
			if math.Hypot(px-a[0]-t*dx, py-a[1]-t*dy) <= hw {
				img.SetNRGBA(x, y, c)
			}
		}
	}
}

func generateDecoded(t *testing.T, img image.Image, m Mode) *Result {
	t.Helper()
	res, err := cpuGenerator(t).Generate(context.Background(), Request{Decoded: img, Mode: m})
	if err != nil {
		t.Fatalf("%s: %v", m, err)
	}
	if top := res.Report.Topology; !top.Closed() || !top.Outward {
		t.Fatalf("%s: not closed: %+v", m, top)
	}
	return res
}

func hasWarning(r Report, k WarningKind) bool {
	for _, w := range r.Warnings {
		if w.Kind == k {
			return true
		}
	}
	return false
}

// TestDefectTransparentLineArtBlank reproduces issue 14's first defect: dark strokes on alpha,
// in auto, relief or lithophane, became a blank plate of 14 faces, because luminance was
// weighted by alpha and the strokes vanished. Now the strokes show: the model is not blank,
// its surface follows the image, and in auto it is one piece.
func TestDefectTransparentLineArtBlank(t *testing.T) {
	for _, m := range []Mode{Auto, Relief, Lithophane} {
		r := generateDecoded(t, synthStar(), m).Report
		f := r.Fidelity
		if f.Blank || r.Faces < 200 || hasWarning(r, WarnBlank) {
			t.Errorf("%s: blank (%d faces, %+v)", m, r.Faces, r.Warnings)
		}
		if f.HeightCorrelation != nil && *f.HeightCorrelation < 0.5 {
			t.Errorf("%s: height correlation %.2f, want ≥ 0.5", m, *f.HeightCorrelation)
		}
		if f.Pieces != 1 {
			t.Errorf("%s (%s): %d pieces, want 1", m, r.Mode, f.Pieces)
		}
	}
}

// TestDefectInflateUncapped reproduces the second defect: a square became a 100×100×99.5 mm
// cube. Now the thickness is capped (ratio ≤ 0.6, by default 0.35) and the report says so.
func TestDefectInflateUncapped(t *testing.T) {
	r := generateDecoded(t, synthSquare(), Inflate).Report
	if f := r.Fidelity; f.ThicknessRatio > 0.6 || hasWarning(r, WarnThick) {
		t.Errorf("thickness ratio %.2f (size %v), want ≤ 0.6", f.ThicknessRatio, r.Size)
	}
	if r.Size[2] > 0.36*math.Min(r.Size[0], r.Size[1]) {
		t.Errorf("size %v: thicker than the default cap of 0.35 × the smaller side", r.Size)
	}
}

// TestDefectLineArtPieces reproduces the third defect: ink line art in auto was inflated into
// many loose pieces. Now auto extrudes it on a base plate: one piece.
func TestDefectLineArtPieces(t *testing.T) {
	r := generateDecoded(t, synthLineArt(), Auto).Report
	if r.Mode != Extrude || r.Fidelity.Pieces != 1 || len(r.Warnings) > 0 {
		t.Errorf("mode %s (%s), %d pieces, warnings %+v; want extrude on a plate, 1 piece, no warning",
			r.Mode, r.ModeReason, r.Fidelity.Pieces, r.Warnings)
	}
}

// TestDefectInflateFloatsAndTunnels reproduces the fourth: inflate shells floated (the
// armadillo's head began at z = 1.09 mm), about 2 % of the footprint touched the bed, and the
// horse had genus 4 where its extrusion has 0. Now every shell is grounded, the bottom is flat
// and the tunnels are the silhouette's.
func TestDefectInflateFloatsAndTunnels(t *testing.T) {
	g := cpuGenerator(t)
	for _, name := range []string{"armadillo.png", "horse.png", "bison.png"} {
		data := readSample(t, name)
		inf, err := g.Generate(context.Background(), Request{Image: data, Mode: Inflate})
		if err != nil {
			t.Fatal(err)
		}
		ext, err := g.Generate(context.Background(), Request{Image: data, Mode: Extrude})
		if err != nil {
			t.Fatal(err)
		}
		f := inf.Report.Fidelity
		if f.Floating != 0 || f.BedContact < 0.3 {
			t.Errorf("%s: %d floating pieces, bed contact %.2f; want 0 and ≥ 0.3", name, f.Floating, f.BedContact)
		}
		if f.Tunnels != ext.Report.Topology.Genus {
			t.Errorf("%s: inflate genus %d, extrusion genus %d", name, f.Tunnels, ext.Report.Topology.Genus)
		}
	}
}

// TestDefectReliefNeedles reproduces the fifth: a relief of a photo had needles on textured
// areas, and transparent pixels became black trenches (bison.png's right edge). Now spikes stay
// ≤ 1 % and the transparent background is at the base.
func TestDefectReliefNeedles(t *testing.T) {
	r := generateDecoded(t, synthPhoto(), Relief).Report
	if f := r.Fidelity; f.Spikes > 0.01 || *f.HeightCorrelation < 0.5 {
		t.Errorf("photo relief: spikes %.4f, correlation %.2f; want ≤ 0.01 and ≥ 0.5", f.Spikes, *f.HeightCorrelation)
	}
	res, err := cpuGenerator(t).Generate(context.Background(), Request{Image: readSample(t, "bison.png"), Mode: Relief})
	if err != nil {
		t.Fatal(err)
	}
	// The bison's right edge is transparent: the top surface there is the base (2 mm), not
	// below it.
	m := res.Mesh
	base := float32(2)
	for _, p := range m.Positions {
		if p[0] > float32(res.Report.Size[0])-1 && p[2] > 0.01 && math.Abs(float64(p[2]-base)) > 0.05 {
			t.Fatalf("vertex %v at the transparent right edge is off the base (%v mm)", p, base)
		}
	}
}

// TestDefectQualitySame reproduces the sixth: high gave a byte-identical inflate to standard for
// the horse. Now every level changes the model, or the report says why not.
func TestDefectQualitySame(t *testing.T) {
	g := cpuGenerator(t)
	data := readSample(t, "horse.png")
	for _, m := range []Mode{Inflate, Extrude, Relief, Lithophane} {
		var prev *Result
		for _, q := range Qualities {
			res, err := g.Generate(context.Background(), Request{Image: data, Mode: m, Quality: q})
			if err != nil {
				t.Fatal(err)
			}
			if prev != nil && res.Report.Faces == prev.Report.Faces && res.Report.Volume == prev.Report.Volume && res.Report.QualityNote == "" {
				t.Errorf("%s: %s makes the same model as the level below and does not say why", m, q)
			}
			prev = res
		}
	}
}

// TestFidelitySynthetic asserts the fidelity figures on the synthetic images.
func TestFidelitySynthetic(t *testing.T) {
	for _, c := range []struct {
		name  string
		img   image.Image
		modes []Mode
		holes int
	}{
		{"star", synthStar(), []Mode{Auto, Extrude, Inflate, Relief, Lithophane}, -1},
		{"tile", synthTile(), []Mode{Auto, Extrude, Relief, Lithophane}, -1},
		{"square", synthSquare(), []Mode{Auto, Extrude, Inflate, Relief, Lithophane}, 0},
		{"ring", synthRing(), []Mode{Auto, Extrude, Inflate, Relief, Lithophane}, 1},
		{"lineart", synthLineArt(), []Mode{Auto, Extrude, Relief, Lithophane}, -1},
		{"photo", synthPhoto(), []Mode{Auto, Relief, Lithophane}, -1},
	} {
		for _, m := range c.modes {
			res := generateDecoded(t, c.img, m)
			r := res.Report
			f := r.Fidelity
			t.Logf("%s/%s → %s: %s; warnings %v", c.name, m, r.Mode, fidelityLine(f), r.Warnings)
			if f.Blank {
				t.Errorf("%s/%s: blank", c.name, m)
			}
			switch r.Mode {
			case Extrude, Inflate:
				if *f.SilhouetteIoU < 0.9 {
					t.Errorf("%s/%s: IoU %.3f, want ≥ 0.9", c.name, m, *f.SilhouetteIoU)
				}
			case Relief, Lithophane:
				if *f.HeightCorrelation < 0.5 {
					t.Errorf("%s/%s: %s correlation %.3f, want ≥ 0.5", c.name, m, f.HeightSource, *f.HeightCorrelation)
				}
			}
			want := f.SubjectParts
			if r.Mode == Relief || r.Mode == Lithophane || (r.Mode == Extrude && m == Auto) {
				want = 1
			}
			if f.Pieces != want || f.Floating != 0 {
				t.Errorf("%s/%s: %d pieces (%d floating), want %d, none floating", c.name, m, f.Pieces, f.Floating, want)
			}
			if c.holes >= 0 && silhouette(r.Mode) && f.Tunnels != c.holes {
				t.Errorf("%s/%s: genus %d, want %d", c.name, m, f.Tunnels, c.holes)
			}
			if r.Mode == Inflate && (f.ThicknessRatio > 0.6 || f.BedContact < 0.15) {
				t.Errorf("%s/%s: thickness ratio %.2f, bed contact %.2f", c.name, m, f.ThicknessRatio, f.BedContact)
			}
			if f.Spikes > 0.01 {
				t.Errorf("%s/%s: spikes %.4f", c.name, m, f.Spikes)
			}
		}
	}
	if r := generateDecoded(t, synthTile(), Auto).Report; !silhouette(r.Mode) || r.Fidelity.SubjectParts != 2 {
		t.Errorf("tile: auto built %s (%s) with %d subject parts; want the icon's two parts, the tile as background", r.Mode, r.ModeReason, r.Fidelity.SubjectParts)
	}
	if r := generateDecoded(t, synthPhoto(), Auto).Report; r.Mode != Relief {
		t.Errorf("photo: auto built %s, want relief", r.Mode)
	}
}

// TestNoSubject checks that an image with nothing to build is a typed error, not a mesh.
func TestNoSubject(t *testing.T) {
	flat := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	fill(flat, color.NRGBA{90, 120, 200, 255})
	clear := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for _, c := range []struct {
		img image.Image
		m   Mode
	}{{flat, Auto}, {flat, Relief}, {flat, Inflate}, {clear, Auto}, {clear, Extrude}, {clear, Lithophane}} {
		_, err := cpuGenerator(t).Generate(context.Background(), Request{Decoded: c.img, Mode: c.m})
		var ns *NoSubjectError
		if !errors.Is(err, ErrNoSubject) || !errors.As(err, &ns) || ns.Reason == "" {
			t.Errorf("%s: err = %v, want a *NoSubjectError", c.m, err)
		}
	}
}

func fidelityLine(f Fidelity) string {
	s := ""
	if f.SilhouetteIoU != nil {
		s += "IoU " + ftoa(*f.SilhouetteIoU) + " "
	}
	if f.HeightCorrelation != nil {
		s += f.HeightSource + " corr " + ftoa(*f.HeightCorrelation) + " "
	}
	return s + "pieces " + itoa(f.Pieces) + "/" + itoa(f.SubjectParts) + " genus " + itoa(f.Tunnels) + "/" + itoa(f.SubjectHoles) +
		" thick " + ftoa(f.ThicknessRatio) + " bed " + ftoa(f.BedContact) + " spikes " + ftoa(f.Spikes)
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
func itoa(v int) string     { return strconv.Itoa(v) }
