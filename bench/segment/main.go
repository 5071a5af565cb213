// Command segment scores subject segmenters on composites with exact masks (issue 16): clip
// art with alpha pasted, scaled and placed by a fixed seed onto photo backgrounds, the truth
// being the pasted alpha ≥ 128. It prints IoU per case and its mean, median and minimum, the
// confidence on the composites against whole-scene photos and textures, the time per image
// size, and writes contact sheets (image | truth | mask) to look at.
//
//	go run ./bench/segment -out /tmp/seg            # GrabCut only
//	ORFEAS_ONNXRUNTIME_LIB=.tools/onnxruntime/libonnxruntime.so.1 \
//	  go run ./bench/segment -out /tmp/seg -isnet isnet-small.onnx   # and IS-Net
//
// Any other segmenter is scored by passing it to Score: anything with the method
// Segment(ctx, image.Image) (*image.Alpha, error). GrabCut's own figures (confidence and what it
// is made of) are reported for every case; bench/RESULTS.md (issue 16) has the measurements.
//
// Subjects: testdata's armadillo (alpha), bison and horse (their white background flood-filled
// away), skimage's logo, and -n clip-art PNGs from openclipart-png picked by a fixed rule (see
// pickClipart). Backgrounds: skimage photos and textures (see backgroundNames).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/orfeas3d/orfeas/estimators/grabcut"
	"github.com/orfeas3d/orfeas/estimators/grabcut/composite"
	"github.com/orfeas3d/orfeas/internal/cputime"
)

// Segmenter is what is scored: grabcut.Segmenter, estimators.Segmenter, or anything else
// with this method.
type Segmenter interface {
	Segment(ctx context.Context, img image.Image) (*image.Alpha, error)
}

// backgroundNames are the skimage images composites are pasted on: photos, then textures.
var backgroundNames = []string{"coffee.png", "chelsea.png", "rocket.jpg", "astronaut.png",
	"motorcycle_left.png", "ihc.png", "hubble_deep_field.jpg", "brick.png", "gravel.png", "grass.png"}

// sceneNames are whole photos with no pasted subject: textures and scenes first (a subject
// finder should be unsure), then photos whose subject fills or crosses the frame.
var sceneNames = []string{"brick.png", "gravel.png", "grass.png", "ihc.png", "hubble_deep_field.jpg",
	"cell.png", "moon.png", "rocket.jpg", "motorcycle_left.png", "coins.png", "retina.jpg",
	"coffee.png", "chelsea.png", "astronaut.png", "camera.png"}

func main() {
	var (
		testdata = flag.String("testdata", "testdata/images", "the repository's sample images")
		skimage  = flag.String("skimage", "/usr/lib/python3/dist-packages/skimage/data", "scikit-image's sample data")
		clipart  = flag.String("clipart", "/usr/share/openclipart/png", "openclipart-png's folder (skipped when missing)")
		n        = flag.Int("n", 30, "clip-art subjects to pick")
		per      = flag.Int("per", 2, "backgrounds per subject")
		seed     = flag.Uint64("seed", 16, "placement seed")
		out      = flag.String("out", "", "folder for the contact sheets (none when empty)")
		isnet    = flag.String("isnet", "", "an IS-Net ONNX model to score on the same set (needs ONNX Runtime)")
		maxSide  = flag.Int("maxside", 0, "grabcut.Options.MaxSide (0: default)")
		centre   = flag.Float64("centre", 0, "grabcut.Options.CentreWeight (0: default)")
		gamma    = flag.Float64("gamma", 0, "grabcut.Options.Gamma (0: default)")
		keep     = flag.Float64("keep", 0, "grabcut.Options.KeepRatio (0: default)")
		iters    = flag.Int("iterations", 0, "grabcut.Options.Iterations (0: default)")
		prior    = flag.Int("prior", 0, "grabcut.Options.Prior (0 border, 1 distinct, 2 centre, 3 both)")
		sizes    = flag.Bool("time", true, "time GrabCut at 512², 1024², 4096²")
	)
	flag.Parse()
	ctx := context.Background()
	if err := run(ctx, *testdata, *skimage, *clipart, *n, *per, *seed, *out, *isnet, grabcut.Options{MaxSide: *maxSide, Prior: grabcut.Prior(*prior),
		CentreWeight: *centre, Gamma: *gamma, Iterations: *iters, KeepRatio: *keep}, *sizes); err != nil {
		fmt.Fprintln(os.Stderr, "segment:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, testdata, skimage, clipart string, n, per int, seed uint64, out, isnet string, opts grabcut.Options, sizes bool) error {
	subjects, err := repoSubjects(testdata, skimage)
	if err != nil {
		return err
	}
	picked, err := pickClipart(clipart, n)
	if err != nil {
		return err
	}
	subjects = append(subjects, picked...)
	var bgs []composite.Named
	for _, name := range backgroundNames {
		m, err := load(filepath.Join(skimage, name))
		if err != nil {
			return err
		}
		bgs = append(bgs, composite.Named{Name: strings.TrimSuffix(name, filepath.Ext(name)), Image: m})
	}
	cases := composite.Build(subjects, bgs, per, seed, composite.Options{})
	fmt.Printf("%d subjects (%d clip art), %d backgrounds, %d composites of 480×360, seed %d\n\n",
		len(subjects), len(picked), len(bgs), len(cases), seed)

	gc := grabcut.New(opts)
	segs := []struct {
		name string
		seg  Segmenter
	}{{"grabcut", gc}}
	if isnet != "" {
		s, closer, err := openISNet(isnet)
		if err != nil {
			return err
		}
		defer closer()
		segs = append(segs, struct {
			name string
			seg  Segmenter
		}{"isnet", s})
	}
	scores := make([][]score, len(segs))
	for i, s := range segs {
		if scores[i], err = Score(ctx, s.seg, cases); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	conf := make([]grabcut.Result, len(cases))
	for i := range cases {
		conf[i] = scores[0][i].detail
	}
	fmt.Printf("| case | %s | confidence | rim | separation | fraction | energy drop | edge contrast | fill | pieces |\n| --- |%s --- | --- | --- | --- | --- | --- | --- | --- |\n",
		strings.Join(names(segs), " IoU | ")+" IoU", strings.Repeat(" --- |", len(segs)))
	for i, c := range cases {
		fmt.Printf("| %s |", c.Name)
		for j := range segs {
			fmt.Printf(" %.3f |", scores[j][i].iou)
		}
		r := conf[i]
		fmt.Printf(" %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d |\n", r.Confidence, r.Rim, r.Separation, r.Fraction,
			r.EnergyDrop, r.EdgeContrast, r.Fill, r.Pieces)
	}
	fmt.Println()
	for j, s := range segs {
		v := make([]float64, len(cases))
		var total, cpu time.Duration
		sure, sureSum := 0, 0.0
		for i := range cases {
			v[i] = scores[j][i].iou
			total += scores[j][i].took
			cpu += scores[j][i].cpu
			if conf[i].Confidence >= 0.5 {
				sure++
				sureSum += v[i]
			}
		}
		mean, med, lo := stats(v)
		fmt.Printf("%s: IoU mean %.3f, median %.3f, min %.3f; %d of %d ≥ 0.9; %.0f ms wall, %.0f ms CPU a composite\n",
			s.name, mean, med, lo, count(v, 0.9), len(v), total.Seconds()*1000/float64(len(v)),
			cpu.Seconds()*1000/float64(len(v)))
		fmt.Printf("%s: mean IoU over the %d composites where GrabCut's confidence ≥ 0.5: %.3f\n",
			s.name, sure, sureSum/float64(max(1, sure)))
	}
	cv := make([]float64, len(cases))
	for i := range conf {
		cv[i] = conf[i].Confidence
	}
	mean, med, lo := stats(cv)
	fmt.Printf("grabcut confidence on composites: mean %.2f, median %.2f, min %.2f; %d of %d ≥ 0.5\n\n",
		mean, med, lo, count(cv, 0.5), len(cv))

	fmt.Println("| whole photo | confidence | rim | separation | fraction | energy drop | edge contrast | fill | pieces |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	var scenes []composite.Named
	var sceneMasks []*image.Alpha
	for _, name := range sceneNames {
		m, err := load(filepath.Join(skimage, name))
		if err != nil {
			return err
		}
		r, err := gc.SegmentDetail(ctx, m)
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d |\n", name, r.Confidence, r.Rim, r.Separation,
			r.Fraction, r.EnergyDrop, r.EdgeContrast, r.Fill, r.Pieces)
		scenes = append(scenes, composite.Named{Name: fmt.Sprintf("%s %.2f", name, r.Confidence), Image: m})
		sceneMasks = append(sceneMasks, r.Mask)
	}
	fmt.Println()
	if sizes {
		if err := timeSizes(ctx, gc, bgs[0].Image); err != nil {
			return err
		}
	}
	if out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		for j, s := range segs {
			for k := 0; k*20 < len(cases); k++ {
				hi := min(len(cases), (k+1)*20)
				var rows [][]image.Image
				var caps []string
				for i := k * 20; i < hi; i++ {
					rows = append(rows, []image.Image{cases[i].Image, cases[i].Truth, scores[j][i].mask})
					caps = append(caps, fmt.Sprintf("%s  IoU %.3f  conf %.2f", cases[i].Name, scores[j][i].iou, conf[i].Confidence))
				}
				p := filepath.Join(out, fmt.Sprintf("%s-%d.png", s.name, k+1))
				if err := writeSheet(p, rows, caps); err != nil {
					return err
				}
				fmt.Println("wrote", p)
			}
		}
		var rows [][]image.Image
		var caps []string
		for i, s := range scenes {
			rows = append(rows, []image.Image{s.Image, sceneMasks[i]})
			caps = append(caps, s.Name)
		}
		p := filepath.Join(out, "scenes.png")
		if err := writeSheet(p, rows, caps); err != nil {
			return err
		}
		fmt.Println("wrote", p)
	}
	return nil
}

type score struct {
	iou    float64
	took   time.Duration
	cpu    time.Duration // process CPU time (the call is single-threaded)
	mask   *image.Alpha
	detail grabcut.Result // GrabCut's figures, when seg is a *grabcut.Segmenter
}

// Score runs seg on every case and measures its mask against the truth.
func Score(ctx context.Context, seg Segmenter, cases []composite.Case) ([]score, error) {
	out := make([]score, len(cases))
	for i, c := range cases {
		t0, c0 := time.Now(), cputime.Process()
		var r grabcut.Result
		var err error
		if gc, ok := seg.(*grabcut.Segmenter); ok {
			r, err = gc.SegmentDetail(ctx, c.Image)
		} else {
			r.Mask, err = seg.Segment(ctx, c.Image)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		out[i] = score{iou: composite.IoU(r.Mask, c.Truth), took: time.Since(t0), cpu: cputime.Process() - c0, mask: r.Mask, detail: r}
	}
	return out, nil
}

func names[T any](s []struct {
	name string
	seg  T
}) []string {
	var n []string
	for _, x := range s {
		n = append(n, x.name)
	}
	return n
}

func stats(v []float64) (mean, median, lo float64) {
	if len(v) == 0 {
		return 0, 0, 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	for _, x := range s {
		mean += x
	}
	return mean / float64(len(s)), s[len(s)/2], s[0]
}

func count(v []float64, at float64) int {
	n := 0
	for _, x := range v {
		if x >= at {
			n++
		}
	}
	return n
}

// repoSubjects are the committed clip art: armadillo by its alpha; bison and horse by their
// white background; skimage's logo (opaque) by its white background too.
func repoSubjects(testdata, skimage string) ([]composite.Named, error) {
	var out []composite.Named
	for _, name := range []string{"armadillo.png", "bison.png", "horse.png"} {
		m, err := load(filepath.Join(testdata, name))
		if err != nil {
			return nil, err
		}
		if name != "armadillo.png" {
			m = composite.WithMask(m, composite.FloodMask(m, 24))
		}
		out = append(out, composite.Named{Name: strings.TrimSuffix(name, ".png"), Image: m})
	}
	m, err := load(filepath.Join(skimage, "logo.png"))
	if err != nil {
		return nil, err
	}
	m = composite.WithMask(m, composite.FloodMask(m, 24))
	return append(out, composite.Named{Name: "logo", Image: m}), nil
}

// pickClipart takes n PNGs from dir by a fixed rule: the sorted list of every PNG under dir is
// walked at a stride of len/n; from each stop, the first file (in order) that qualifies is
// taken. A file qualifies if it is under 1 MB, decodes, is at least 100 px on its shorter side,
// and its alpha marks 10–75 % of the pixels opaque (≥ 128), at least 15 % fully clear, and at
// least 30 % of the opaque pixels' bounding box opaque (a solid subject, not line art).
func pickClipart(dir string, n int) ([]composite.Named, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".png") {
			files = append(files, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []composite.Named
	if n <= 0 || len(files) == 0 {
		return nil, nil
	}
	stride := len(files) / n
	for k := 0; k < n; k++ {
		for i := k * stride; i < len(files) && i < (k+1)*stride; i++ {
			if m, ok := qualifies(files[i]); ok {
				rel, _ := filepath.Rel(dir, files[i])
				out = append(out, composite.Named{Name: strings.TrimSuffix(rel, ".png"), Image: m})
				break
			}
		}
	}
	return out, nil
}

func qualifies(path string) (image.Image, bool) {
	st, err := os.Stat(path)
	if err != nil || st.Size() > 1<<20 {
		return nil, false
	}
	m, err := load(path)
	if err != nil {
		return nil, false
	}
	b := m.Bounds()
	if min(b.Dx(), b.Dy()) < 100 {
		return nil, false
	}
	opaque, clear := 0, 0
	box := image.Rectangle{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			_, _, _, a := m.At(x, y).RGBA()
			if a >= 128<<8 {
				opaque++
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
			if a == 0 {
				clear++
			}
		}
	}
	total := float64(b.Dx() * b.Dy())
	fo, fc := float64(opaque)/total, float64(clear)/total
	solid := float64(opaque) / float64(max(1, box.Dx()*box.Dy()))
	return m, fo >= 0.10 && fo <= 0.75 && fc >= 0.15 && solid >= 0.3
}

func load(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// timeSizes times GrabCut (default options) on src scaled to 512², 1024² and 4096².
func timeSizes(ctx context.Context, gc *grabcut.Segmenter, src image.Image) error {
	fmt.Println("| input | wall (best of 3) | CPU a call | heap allocated a call |\n| --- | --- | --- | --- |")
	for _, s := range []int{512, 1024, 4096} {
		img := image.NewRGBA(image.Rect(0, 0, s, s))
		xdraw.BiLinear.Scale(img, img.Bounds(), src, src.Bounds(), draw.Src, nil)
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		best := time.Duration(math.MaxInt64)
		c0 := cputime.Process()
		for range 3 {
			t0 := time.Now()
			if _, err := gc.Segment(ctx, img); err != nil {
				return err
			}
			best = min(best, time.Since(t0))
		}
		cpu := (cputime.Process() - c0) / 3
		runtime.ReadMemStats(&m1)
		fmt.Printf("| %d² | %.0f ms | %.0f ms | %.1f MB |\n", s, best.Seconds()*1000, cpu.Seconds()*1000,
			float64(m1.TotalAlloc-m0.TotalAlloc)/3/1e6)
	}
	fmt.Println()
	return nil
}

// writeSheet writes rows of tiles (each 192×144, aspect kept, on grey) with a caption a row.
func writeSheet(path string, rows [][]image.Image, caps []string) error {
	const tw, th, capH = 192, 144, 14
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	sheet := image.NewRGBA(image.Rect(0, 0, cols*(tw+4)+4, len(rows)*(th+capH+4)+4))
	draw.Draw(sheet, sheet.Bounds(), image.NewUniform(color.RGBA{60, 60, 60, 255}), image.Point{}, draw.Src)
	for i, r := range rows {
		y := 4 + i*(th+capH+4)
		for j, m := range r {
			b := m.Bounds()
			s := math.Min(float64(tw)/float64(b.Dx()), float64(th)/float64(b.Dy()))
			dw, dh := int(float64(b.Dx())*s), int(float64(b.Dy())*s)
			x := 4 + j*(tw+4)
			var src image.Image = m
			if a, ok := m.(*image.Alpha); ok {
				src = &image.Gray{Pix: a.Pix, Stride: a.Stride, Rect: a.Rect}
			}
			xdraw.ApproxBiLinear.Scale(sheet, image.Rect(x, y+capH, x+dw, y+capH+dh), src, b, draw.Src, nil)
		}
		d := font.Drawer{Dst: sheet, Src: image.White, Face: basicfont.Face7x13,
			Dot: fixed.P(6, y+11)}
		d.DrawString(caps[i])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, sheet); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
