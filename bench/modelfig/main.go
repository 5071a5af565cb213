// Command modelfig measures the figures of issue 16 (bench/RESULTS.md, "Issue 16: models"):
//
//	go run ./bench/modelfig -what seg -isnet .tools/models/isnet-small.onnx   # IoU and timings
//	go run ./bench/modelfig -what grabcut                                      # GrabCut alone
//	go run ./bench/modelfig -what depth                                        # the tiny depth model
//	go run ./bench/modelfig -what relief -out out/modelfig                     # depth vs brightness relief
//
// seg and grabcut: segmentation IoU on the composite set (clip art with transparency from
// Debian's openclipart-png, plus the armadillo and the horse of testdata, pasted at 60 % of the
// frame onto textures with no object of their own: skimage's brick, grass and gravel when
// python3-skimage is installed, else the wooden table of coffee.png), then load time and run
// time per quality level's working size, then the process's peak RSS (VmHWM). Run one -what per
// process so that the peak is that model's.
//
// relief: an analytic face (a head, nose, brows, eye sockets and lips in front of a wall) is
// rendered as a Lambert-shaded photo and as its depth map; the generator builds a relief of the
// photo from brightness, and one from the depth through Config.Depth (a stand-in estimator that
// returns the analytic depth: no real depth model is reachable here), and the two previews are
// written side by side to -out/relief.png.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/estimators"
	"github.com/orfeas3d/orfeas/estimators/grabcut"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/imagecheck"
	"github.com/orfeas3d/orfeas/internal/onnxtest"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/render"
)

func main() {
	what := flag.String("what", "seg", "seg, grabcut, depth or relief")
	isnet := flag.String("isnet", ".tools/models/isnet-small.onnx", "IS-Net model for -what seg")
	objects := flag.Int("objects", 6, "openclipart objects in the composite set")
	out := flag.String("out", "out/modelfig", "folder for -what relief's pictures")
	flag.Parse()
	ctx := context.Background()
	var err error
	switch *what {
	case "seg":
		err = segFigures(ctx, *isnet, *objects)
	case "grabcut":
		err = segFigures(ctx, "", *objects)
	case "depth":
		err = depthFigures(ctx)
	case "relief":
		err = reliefFigure(ctx, *out)
	default:
		err = fmt.Errorf("unknown -what %q", *what)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "modelfig:", err)
		os.Exit(1)
	}
	fmt.Printf("peak RSS (VmHWM): %s\n", peakRSS())
}

func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := imagecheck.Decode(context.Background(), f, imagecheck.Limits{})
	return img, err
}

type object struct {
	name  string
	img   image.Image
	alpha func(x, y int) float64
}

// compositeSet returns the objects and backgrounds described in the package doc.
func compositeSet(n int) ([]object, map[string]image.Image, error) {
	var objs []object
	arm, err := decode("testdata/images/armadillo.png")
	if err != nil {
		return nil, nil, err
	}
	horse, err := decode("testdata/images/horse.png")
	if err != nil {
		return nil, nil, err
	}
	objs = append(objs, object{"armadillo", arm, alphaOf(arm)}, object{"horse", horse, func(x, y int) float64 {
		r, _, _, _ := horse.At(horse.Bounds().Min.X+x, horse.Bounds().Min.Y+y).RGBA()
		return 1 - float64(r)/65535
	}})
	// openclipart animals with real transparency covering 10–60 % of their box, in path order.
	paths, _ := filepath.Glob("/usr/share/openclipart/png/animals/*.png")
	sort.Strings(paths)
	for _, p := range paths {
		if len(objs) >= n+2 {
			break
		}
		if strings.Contains(filepath.Base(p), "armadillo") {
			continue // testdata's armadillo is this one
		}
		img, err := decode(p)
		if err != nil || img.Bounds().Dx() < 64 {
			continue
		}
		a := alphaOf(img)
		cov, b := 0.0, img.Bounds()
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				cov += a(x, y)
			}
		}
		if cov /= float64(b.Dx() * b.Dy()); cov < 0.1 || cov > 0.6 {
			continue
		}
		objs = append(objs, object{strings.TrimSuffix(filepath.Base(p), ".png"), img, a})
	}
	bgs := map[string]image.Image{}
	for _, name := range []string{"brick", "grass", "gravel"} {
		if img, err := decode("/usr/lib/python3/dist-packages/skimage/data/" + name + ".png"); err == nil {
			bgs[name] = img
		}
	}
	if len(bgs) == 0 {
		coffee, err := decode("testdata/images/coffee.png")
		if err != nil {
			return nil, nil, err
		}
		bgs["wood"] = coffee.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(480, 0, 600, 400))
	}
	return objs, bgs, nil
}

func alphaOf(img image.Image) func(x, y int) float64 {
	b := img.Bounds()
	return func(x, y int) float64 {
		_, _, _, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return float64(a) / 65535
	}
}

type segmenter interface {
	Segment(ctx context.Context, img image.Image) (*image.Alpha, error)
}

func segFigures(ctx context.Context, model string, n int) error {
	var seg segmenter
	name := "grabcut"
	if model == "" {
		seg = grabcut.New(grabcut.Options{})
	} else {
		rt, err := estimators.OpenRuntime(estimators.RuntimeOptions{})
		if err != nil {
			return err
		}
		defer rt.Close()
		start := time.Now()
		m, err := rt.LoadModel(model)
		if err != nil {
			return err
		}
		fmt.Printf("%s: load %.2f s (ONNX Runtime %s, %s)\n", filepath.Base(model), time.Since(start).Seconds(), rt.Version(), m.Provider())
		s, err := estimators.NewSegmenter(m, estimators.SegmentOptions{})
		if err != nil {
			return err
		}
		seg, name = s, filepath.Base(model)
	}
	objs, bgs, err := compositeSet(n)
	if err != nil {
		return err
	}
	var bgNames []string
	for k := range bgs {
		bgNames = append(bgNames, k)
	}
	sort.Strings(bgNames)
	sum, count, worst := 0.0, 0, 1.0
	fmt.Printf("| object | %s |\n| --- |%s\n", strings.Join(bgNames, " | "), strings.Repeat(" --- |", len(bgNames)))
	var runs []time.Duration
	for _, o := range objs {
		row := []string{o.name}
		for _, bn := range bgNames {
			img, truth := onnxtest.Composite(o.img, o.alpha, bgs[bn], 640, 480, 0.6, 0.5, 0.55)
			start := time.Now()
			a, err := seg.Segment(ctx, img)
			if err != nil {
				return err
			}
			runs = append(runs, time.Since(start))
			iou := onnxtest.IoU(binarize(a), truth)
			sum, count, worst = sum+iou, count+1, math.Min(worst, iou)
			row = append(row, fmt.Sprintf("%.3f", iou))
		}
		fmt.Printf("| %s |\n", strings.Join(row, " | "))
	}
	fmt.Printf("%s: mean IoU %.3f, worst %.3f over %d composites (640×480); median run %.2f s\n", name, sum/float64(count), worst, count, median(runs).Seconds())
	// Run time at each quality level's working size (the image's longest side).
	src, _ := onnxtest.Composite(objs[0].img, objs[0].alpha, bgs[bgNames[0]], 640, 480, 0.6, 0.5, 0.55)
	for _, q := range generator.Qualities {
		s, _ := q.Settings()
		img := resize(src, s.Resolution, s.Resolution*3/4)
		start := time.Now()
		if _, err := seg.Segment(ctx, img); err != nil {
			return err
		}
		fmt.Printf("%s at %s (%d×%d): %.2f s\n", name, q, img.Bounds().Dx(), img.Bounds().Dy(), time.Since(start).Seconds())
	}
	return nil
}

func binarize(a *image.Alpha) *image.Alpha { return estimators.Binarize(a, 128) }

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// resize scales img to w×h by nearest neighbour (the models resample it themselves).
func resize(img image.Image, w, h int) image.Image {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			out.Set(x, y, img.At(b.Min.X+x*b.Dx()/w, b.Min.Y+y*b.Dy()/h))
		}
	}
	return out
}

// depthFigures times the tiny generated depth model (a 1×1 convolution, free input size): it
// stands in for a real one, which no host reachable here serves, so the figures are the
// runtime's and the pre/post-processing's overheads, not a network's.
func depthFigures(ctx context.Context) error {
	rt, err := estimators.OpenRuntime(estimators.RuntimeOptions{})
	if err != nil {
		return err
	}
	defer rt.Close()
	start := time.Now()
	m, err := rt.LoadModelBytes(onnxtest.PixelModel([3]float32{0.3, 0.5, 0.2}, 0, false, true, -1, -1))
	if err != nil {
		return err
	}
	fmt.Printf("tiny depth model: load %.3f s\n", time.Since(start).Seconds())
	d, err := estimators.NewDepthEstimator(m, estimators.DepthOptions{})
	if err != nil {
		return err
	}
	src, err := decode("testdata/images/coffee.png")
	if err != nil {
		return err
	}
	for _, q := range generator.Qualities {
		s, _ := q.Settings()
		img := resize(src, s.Resolution, s.Resolution*2/3)
		start := time.Now()
		if _, err := d.EstimateDepth(ctx, img); err != nil {
			return err
		}
		fmt.Printf("tiny depth at %s (%d×%d, model input 518 px): %.3f s\n", q, img.Bounds().Dx(), img.Bounds().Dy(), time.Since(start).Seconds())
	}
	return nil
}

// face is an analytic face-like surface's depth at (u, v) in [-1, 1]² (v down): 1 nearest. A
// wall at 0.1; the head an ellipsoid 0.55..0.85 whose outline is a depth step; a nose, brows,
// cheeks; eye sockets and a mouth line cut in.
func face(u, v float64) float64 {
	hx, hy := u/0.62, (v+0.02)/0.82
	r2 := hx*hx + hy*hy
	if r2 >= 1 {
		return 0.1 + 0.05*(v+1) // the wall, leaning back a little
	}
	z := 0.55 + 0.3*math.Sqrt(1-r2)
	bump := func(cx, cy, sx, sy, h float64) float64 {
		dx, dy := (u-cx)/sx, (v-cy)/sy
		return h * math.Exp(-(dx*dx + dy*dy))
	}
	z += bump(0, 0.05, 0.09, 0.22, 0.09)                                              // nose ridge
	z += bump(0, 0.2, 0.1, 0.07, 0.03)                                                // nose tip
	z += bump(-0.22, -0.22, 0.16, 0.05, 0.025) + bump(0.22, -0.22, 0.16, 0.05, 0.025) // brows
	z -= bump(-0.22, -0.1, 0.11, 0.07, 0.05) + bump(0.22, -0.1, 0.11, 0.07, 0.05)     // eye sockets
	z += bump(-0.3, 0.15, 0.14, 0.12, 0.02) + bump(0.3, 0.15, 0.14, 0.12, 0.02)       // cheeks
	z += bump(0, 0.42, 0.16, 0.04, 0.02)                                              // lips
	z -= bump(0, 0.45, 0.15, 0.012, 0.02)                                             // mouth line
	return z
}

// analyticDepth is the stand-in DepthEstimator: the face's depth at the image's size.
type analyticDepth struct{}

func (analyticDepth) Name() string { return "analytic face (stand-in)" }

func (analyticDepth) EstimateDepth(ctx context.Context, img image.Image) (*image.Gray16, error) {
	b := img.Bounds()
	d := image.NewGray16(b)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			u, v := 2*(float64(x)+0.5)/float64(b.Dx())-1, 2*(float64(y)+0.5)/float64(b.Dy())-1
			d.SetGray16(b.Min.X+x, b.Min.Y+y, color.Gray16{Y: uint16(math.Round(65535 * face(u, v)))})
		}
	}
	return d, nil
}

// facePhoto shades the face with a light from the upper left (Lambert, albedo: skin, a darker
// wall), as a photo of it would look.
func facePhoto(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	light := [3]float64{-0.5, -0.6, 0.62}
	ln := math.Sqrt(light[0]*light[0] + light[1]*light[1] + light[2]*light[2])
	e := 1.0 / float64(w)
	for y := range h {
		for x := range w {
			u, v := 2*(float64(x)+0.5)/float64(w)-1, 2*(float64(y)+0.5)/float64(h)-1
			// Depth in units of the image width for the normal: the face is about 0.3 deep.
			dzdu := (face(u+e, v) - face(u-e, v)) / (2 * e)
			dzdv := (face(u, v+e) - face(u, v-e)) / (2 * e)
			n := [3]float64{-dzdu * 0.5, -dzdv * 0.5, 1}
			nn := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
			l := math.Max(0, (n[0]*light[0]+n[1]*light[1]+n[2]*light[2])/(nn*ln))
			alb := [3]float64{0.85, 0.68, 0.55}
			if hx, hy := u/0.62, (v+0.02)/0.82; hx*hx+hy*hy >= 1 {
				alb = [3]float64{0.35, 0.4, 0.45}
			}
			// A plaster wall's texture and the sensor's noise: a photo's border is never one value.
			grain := 0.03 * (math.Sin(float64(x*7919+y*104729)) + math.Sin(float64(x*31+y*17)*1.7))
			c := func(a float64) uint8 { return uint8(math.Round(255 * math.Min(1, math.Max(0, a*(0.15+0.85*l)+grain)))) }
			img.SetNRGBA(x, y, color.NRGBA{c(alb[0]), c(alb[1]), c(alb[2]), 255})
		}
	}
	return img
}

func reliefFigure(ctx context.Context, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	photo := facePhoto(384, 448)
	plain, err := generator.New(generator.Config{Backend: generator.BackendCPU})
	if err != nil {
		return err
	}
	defer plain.Close()
	depth, err := generator.New(generator.Config{Backend: generator.BackendCPU, Depth: analyticDepth{}})
	if err != nil {
		return err
	}
	defer depth.Close()
	var tiles []image.Image
	for _, g := range []*generator.Generator{plain, depth} {
		res, err := g.Generate(ctx, generator.Request{Decoded: photo, Mode: generator.Relief, Quality: generator.Standard, Width: 80})
		if err != nil {
			return err
		}
		r := res.Report
		fmt.Printf("relief from %s: %d faces, closed %v, %.1f × %.1f × %.1f mm; %s; bas-relief %+v; "+
			"top heights vs the true depth inside the face: Pearson %.3f\n",
			map[bool]string{true: "depth", false: "brightness"}[r.Image.DepthSource == generator.DepthModel],
			r.Faces, r.Topology.Closed(), r.Size[0], r.Size[1], r.Size[2], r.ModeReason, r.Image.BasRelief,
			faceCorrelation(res.Mesh, r.Size[0], r.Size[1]))
		// Clay, not the photo's colours: the photo's shading painted on would hide the geometry.
		clay := *res.Mesh
		clay.Colors, clay.UVs, clay.Texture = nil, nil, nil
		for _, m := range []*mesh.Mesh{res.Mesh, &clay} {
			pic, err := render.Render(ctx, m, render.Options{Width: 512, Height: 512, Background: color.NRGBA{255, 255, 255, 255}})
			if err != nil {
				return err
			}
			tiles = append(tiles, pic)
		}
	}
	// Row 1: the photo, then the brightness relief coloured and in clay; row 2: the depth map,
	// then the depth relief coloured and in clay.
	sheet := image.NewNRGBA(image.Rect(0, 0, 384+2*512, 2*512))
	draw.Draw(sheet, sheet.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(sheet, image.Rect(0, 32, 384, 480), photo, image.Point{}, draw.Src)
	dm, _ := analyticDepth{}.EstimateDepth(ctx, photo)
	draw.Draw(sheet, image.Rect(0, 512+32, 384, 512+480), dm, image.Point{}, draw.Src)
	for i, t := range tiles {
		x, y := 384+512*(i%2), 512*(i/2)
		draw.Draw(sheet, image.Rect(x, y, x+512, y+512), t, image.Point{}, draw.Over)
	}
	f, err := os.Create(filepath.Join(out, "relief.png"))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := png.Encode(f, sheet); err != nil {
		return err
	}
	fmt.Printf("wrote %s: top, the photo and its relief from brightness (coloured, clay); bottom, the depth and its bas-relief (coloured, clay)\n", f.Name())
	return nil
}

// peakRSS returns the process's VmHWM line from /proc/self/status.
func peakRSS() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return errors.New("no VmHWM").Error()
}

// faceCorrelation is the Pearson correlation between the top vertices' heights and the face's
// true depth at their place, over the vertices inside the head's outline (the top: z above
// the base's 2 mm).
func faceCorrelation(m *mesh.Mesh, wmm, hmm float64) float64 {
	var sa, sb, saa, sbb, sab, n float64
	for _, p := range m.Positions {
		u, v := 2*float64(p[0])/wmm-1, 1-2*float64(p[1])/hmm // Y runs up the image
		if hx, hy := u/0.62, (v+0.02)/0.82; hx*hx+hy*hy >= 0.9 || p[2] <= 2.01 {
			continue
		}
		a, b := float64(p[2]), face(u, v)
		sa, sb, saa, sbb, sab, n = sa+a, sb+b, saa+a*a, sbb+b*b, sab+a*b, n+1
	}
	return (sab - sa*sb/n) / math.Sqrt((saa-sa*sa/n)*(sbb-sb*sb/n))
}
