// Package render draws a mesh.Mesh as a shaded picture: thumbnails, previews, the thumbnail a 3MF
// file carries, contact sheets. It is a small software rasteriser in pure Go, with no GPU and no
// dependencies beyond the standard library.
//
// The camera is fixed: an orthographic three-quarter view from the front right and above (the
// mesh's Z is up, its front faces −Y), framed on the mesh's bounding box. Surfaces are lit by one
// directional light over the viewer's left shoulder with Lambert's cosine law plus an ambient
// term, coloured by the mesh's texture (bilinear) where it has one and UVs, else by its vertex
// colours (interpolated), else a neutral clay. Edges are anti-aliased by supersampling.
//
// The algorithm is the classic one (Pineda, "A parallel algorithm for polygon rasterization",
// SIGGRAPH 1988): edge functions evaluated at sample centres with the top-left fill rule, and a
// z-buffer that keeps, per sample, the nearest face (ties to the lower face index). Shading is
// deferred: the depth pass stores a face index per sample, and each visible sample is shaded once,
// so the cost does not grow with overdraw. The image is split into bands of rows done in
// parallel; every sample sees the faces in index order whatever the number of bands, so the output
// is byte-identical on every machine.
package render

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/orfeas3d/orfeas/mesh"
)

// ErrInvalid is wrapped by errors about options the renderer cannot honour (a size beyond
// MaxSide) or a mesh that fails mesh.Mesh.Validate.
var ErrInvalid = errors.New("render: invalid input")

// MaxSide is the largest width or height Render accepts, in pixels.
const MaxSide = 8192

// Defaults for Options.
const (
	DefaultSize      = 512
	DefaultSupersamp = 3
)

// Options tunes Render. The zero value renders a 512 × 512 picture on a transparent background,
// with 3 × 3 samples a pixel.
type Options struct {
	// Width and Height are the picture's size in pixels; zero means DefaultSize, and when one is
	// zero and the other not, the picture is square.
	Width, Height int
	// Background fills the pixels no face covers. The zero value is transparent.
	Background color.NRGBA
	// Supersample is the samples per pixel along each axis (1–4); zero means DefaultSupersamp.
	// 1 turns anti-aliasing off.
	Supersample int
	// Clay is the colour of a mesh with neither texture nor vertex colours; the zero value means
	// a light grey-blue.
	Clay color.NRGBA
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Width == 0 && o.Height == 0:
		o.Width, o.Height = DefaultSize, DefaultSize
	case o.Width == 0:
		o.Width = o.Height
	case o.Height == 0:
		o.Height = o.Width
	}
	if o.Width < 1 || o.Height < 1 || o.Width > MaxSide || o.Height > MaxSide {
		return o, fmt.Errorf("%w: size %d × %d is not within 1–%d", ErrInvalid, o.Width, o.Height, MaxSide)
	}
	if o.Supersample == 0 {
		o.Supersample = DefaultSupersamp
	}
	if o.Supersample < 1 || o.Supersample > 4 {
		return o, fmt.Errorf("%w: supersample %d is not within 1–4", ErrInvalid, o.Supersample)
	}
	if o.Clay == (color.NRGBA{}) {
		o.Clay = color.NRGBA{R: 182, G: 190, B: 204, A: 255}
	}
	return o, nil
}

// The camera: azimuth from the front (−Y) towards +X, elevation above the XY plane.
const (
	cameraAzimuth   = 30 * math.Pi / 180
	cameraElevation = 45 * math.Pi / 180
	// margin is the fraction of the picture left free on each side.
	margin = 0.06
	// ambient and diffuse weigh the two light terms; they sum to 1, so a face turned to the light
	// shows its colour exactly.
	ambient = 0.3
	diffuse = 0.7
)

// Render draws m with the fixed camera (see the package doc) and returns the picture. An empty
// mesh gives the background alone. It checks ctx between bands of faces and returns ctx.Err()
// when it is done; errors about the input wrap ErrInvalid.
func Render(ctx context.Context, m *mesh.Mesh, opt Options) (*image.NRGBA, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("%w: nil mesh", ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	r := newRasteriser(m, opt)
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	return r.resolve(), nil
}

// EncodePNG renders m (see Render) and writes the picture to w as PNG.
func EncodePNG(ctx context.Context, w io.Writer, m *mesh.Mesh, opt Options) error {
	img, err := Render(ctx, m, opt)
	if err != nil {
		return err
	}
	return png.Encode(w, img)
}

// vec is a float64 3-vector.
type vec [3]float64

func (a vec) dot(b vec) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func (a vec) cross(b vec) vec {
	return vec{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func (a vec) scale(s float64) vec { return vec{a[0] * s, a[1] * s, a[2] * s} }
func (a vec) add(b vec) vec       { return vec{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func (a vec) unit() vec {
	l := math.Sqrt(a.dot(a))
	if l == 0 {
		return a
	}
	return a.scale(1 / l)
}

// rasteriser holds one render: the projected vertices, the sample buffers and the shading inputs.
type rasteriser struct {
	m      *mesh.Mesh
	opt    Options
	sw, sh int // sample grid
	// sx, sy are the screen positions of the vertices in samples (y down), sz their depth (larger
	// is farther).
	sx, sy, sz []float32
	depth      []float32
	face       []int32 // per sample: the visible face, or −1
	light      vec     // unit vector towards the light, in mesh axes
	toCam      vec     // unit vector towards the camera, in mesh axes
	tex        *image.NRGBA
}

func newRasteriser(m *mesh.Mesh, opt Options) *rasteriser {
	s := opt.Supersample
	r := &rasteriser{m: m, opt: opt, sw: opt.Width * s, sh: opt.Height * s}
	se, ce := math.Sincos(cameraElevation)
	sa, ca := math.Sincos(cameraAzimuth)
	toCam := vec{ce * sa, -ce * ca, se}
	fwd := toCam.scale(-1)
	right := fwd.cross(vec{0, 0, 1}).unit()
	up := right.cross(fwd)
	r.toCam = toCam
	r.light = right.scale(-0.45).add(up.scale(0.6)).add(toCam.scale(0.75)).unit()

	n := len(m.Positions)
	r.sx, r.sy, r.sz = make([]float32, n), make([]float32, n), make([]float32, n)
	b := m.Bounds()
	if b.Empty() {
		return r
	}
	// Frame the projected bounding box, keeping the aspect ratio.
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	for c := range 8 {
		p := vec{float64(b.Min[0]), float64(b.Min[1]), float64(b.Min[2])}
		for k := range 3 {
			if c&(1<<k) != 0 {
				p[k] = float64(b.Max[k])
			}
		}
		x, y := p.dot(right), p.dot(up)
		lo[0], lo[1] = min(lo[0], x), min(lo[1], y)
		hi[0], hi[1] = max(hi[0], x), max(hi[1], y)
	}
	w, h := float64(r.sw), float64(r.sh)
	ext := max((hi[0]-lo[0])/(w*(1-2*margin)), (hi[1]-lo[1])/(h*(1-2*margin)))
	if ext <= 0 || math.IsInf(ext, 0) || math.IsNaN(ext) {
		ext = 1
	}
	scale := 1 / ext
	cx, cy := (lo[0]+hi[0])/2, (lo[1]+hi[1])/2
	for i, q := range m.Positions {
		p := vec{float64(q[0]), float64(q[1]), float64(q[2])}
		r.sx[i] = float32(w/2 + (p.dot(right)-cx)*scale)
		r.sy[i] = float32(h/2 - (p.dot(up)-cy)*scale)
		r.sz[i] = float32(p.dot(fwd))
	}
	if m.Texture != nil && m.UVs != nil {
		if t, ok := m.Texture.(*image.NRGBA); ok && t.Rect.Min == (image.Point{}) {
			r.tex = t
		} else {
			tb := m.Texture.Bounds()
			t := image.NewNRGBA(image.Rect(0, 0, tb.Dx(), tb.Dy()))
			draw.Draw(t, t.Rect, m.Texture, tb.Min, draw.Src)
			r.tex = t
		}
		if r.tex.Rect.Empty() {
			r.tex = nil
		}
	}
	return r
}

// bandRows is the sample rows one band holds; bands are the unit of parallel work.
const bandRows = 64

// run does the depth pass: for each band of sample rows, every face in index order.
func (r *rasteriser) run(ctx context.Context) error {
	n := r.sw * r.sh
	r.depth = make([]float32, n)
	r.face = make([]int32, n)
	for i := range r.depth {
		r.depth[i] = float32(math.Inf(1))
		r.face[i] = -1
	}
	if len(r.m.Faces) == 0 || len(r.m.Faces) > math.MaxInt32 {
		return ctx.Err()
	}
	bands := (r.sh + bandRows - 1) / bandRows
	// Each face is binned into the bands its bounding box touches, in face order, so that a band
	// looks only at its own faces; the bins are built in parallel over runs of faces and joined in
	// order.
	bins := r.bin(bands)
	workers := min(runtime.GOMAXPROCS(0), bands)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for k := range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				b := next
				next++
				mu.Unlock()
				if b >= bands {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[k] = err
					return
				}
				for _, part := range bins {
					r.drawBand(b, part[b])
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// bin returns, per run of faces, per band, the faces of that run whose bounding box meets the
// band, in increasing order.
func (r *rasteriser) bin(bands int) [][][]int32 {
	nf := len(r.m.Faces)
	runs := max(1, min(runtime.GOMAXPROCS(0), nf/65536))
	out := make([][][]int32, runs)
	var wg sync.WaitGroup
	for k := range runs {
		wg.Go(func() {
			bins := make([][]int32, bands)
			lo, hi := nf*k/runs, nf*(k+1)/runs
			for i := lo; i < hi; i++ {
				f := r.m.Faces[i]
				y0 := min(r.sy[f[0]], r.sy[f[1]], r.sy[f[2]])
				y1 := max(r.sy[f[0]], r.sy[f[1]], r.sy[f[2]])
				if !(y1 >= 0 && y0 < float32(r.sh)) { // off screen, or NaN
					continue
				}
				b0 := max(0, int(y0)/bandRows)
				b1 := min(bands-1, int(y1)/bandRows)
				for b := b0; b <= b1; b++ {
					bins[b] = append(bins[b], int32(i))
				}
			}
			out[k] = bins
		})
	}
	wg.Wait()
	return out
}

// drawBand rasterises faces into band b's sample rows.
func (r *rasteriser) drawBand(b int, faces []int32) {
	rowLo, rowHi := b*bandRows, min((b+1)*bandRows, r.sh)
	sw := r.sw
	for _, fi := range faces {
		f := r.m.Faces[fi]
		x0, y0, z0 := r.sx[f[0]], r.sy[f[0]], r.sz[f[0]]
		x1, y1, z1 := r.sx[f[1]], r.sy[f[1]], r.sz[f[1]]
		x2, y2, z2 := r.sx[f[2]], r.sy[f[2]], r.sz[f[2]]
		area := (x1-x0)*(y2-y0) - (x2-x0)*(y1-y0)
		if area == 0 || area != area {
			continue
		}
		if area < 0 { // make the winding positive on screen; both sides are drawn
			x1, y1, z1, x2, y2, z2 = x2, y2, z2, x1, y1, z1
			area = -area
		}
		minX := max(0, int(math.Floor(float64(min(x0, x1, x2)))))
		maxX := min(sw-1, int(math.Ceil(float64(max(x0, x1, x2)))))
		minY := max(rowLo, int(math.Floor(float64(min(y0, y1, y2)))))
		maxY := min(rowHi-1, int(math.Ceil(float64(max(y0, y1, y2)))))
		if minX > maxX || minY > maxY {
			continue
		}
		inv := 1 / area
		// Edge functions e_i(x, y) = A_i x + B_i y + C_i, positive inside (y down, so the
		// orientation is clockwise on screen for positive area in these coordinates).
		a0, b0 := y1-y2, x2-x1
		a1, b1 := y2-y0, x0-x2
		a2, b2 := y0-y1, x1-x0
		c0 := x1*y2 - x2*y1
		c1 := x2*y0 - x0*y2
		c2 := x0*y1 - x1*y0
		// Top-left rule: a sample exactly on an edge belongs to the face only for a top or left
		// edge, so a shared edge's samples are drawn once.
		bias0, bias1, bias2 := edgeBias(a0, b0), edgeBias(a1, b1), edgeBias(a2, b2)
		for y := minY; y <= maxY; y++ {
			py := float32(y) + 0.5
			row := y * sw
			for x := minX; x <= maxX; x++ {
				px := float32(x) + 0.5
				w0 := a0*px + b0*py + c0
				w1 := a1*px + b1*py + c1
				w2 := a2*px + b2*py + c2
				if w0 < bias0 || w1 < bias1 || w2 < bias2 {
					continue
				}
				z := (w0*z0 + w1*z1 + w2*z2) * inv
				i := row + x
				if z < r.depth[i] {
					r.depth[i] = z
					r.face[i] = fi
				}
			}
		}
	}
}

// edgeBias returns the smallest edge-function value a sample must reach to be inside: 0 for a
// top or left edge (inclusive), the smallest positive float32 otherwise (exclusive).
func edgeBias(a, b float32) float32 {
	if a > 0 || (a == 0 && b < 0) {
		return 0
	}
	return math.SmallestNonzeroFloat32
}

// resolve shades every sample and averages them into pixels.
func (r *rasteriser) resolve() *image.NRGBA {
	opt := r.opt
	s := opt.Supersample
	img := image.NewNRGBA(image.Rect(0, 0, opt.Width, opt.Height))
	rows := opt.Height
	workers := max(1, min(runtime.GOMAXPROCS(0), rows/16))
	var wg sync.WaitGroup
	bg := opt.Background
	bgA := float64(bg.A) / 255
	for k := range workers {
		wg.Go(func() {
			for py := rows * k / workers; py < rows*(k+1)/workers; py++ {
				for px := range opt.Width {
					var cr, cg, cb, ca float64
					for sy := py * s; sy < (py+1)*s; sy++ {
						for sx := px * s; sx < (px+1)*s; sx++ {
							fi := r.face[sy*r.sw+sx]
							if fi < 0 {
								cr += float64(bg.R) * bgA
								cg += float64(bg.G) * bgA
								cb += float64(bg.B) * bgA
								ca += bgA
								continue
							}
							c := r.shade(int(fi), float32(sx)+0.5, float32(sy)+0.5)
							cr += c[0]
							cg += c[1]
							cb += c[2]
							ca++
						}
					}
					o := img.PixOffset(px, py)
					if ca > 0 {
						img.Pix[o] = clampByte(cr / ca)
						img.Pix[o+1] = clampByte(cg / ca)
						img.Pix[o+2] = clampByte(cb / ca)
					}
					img.Pix[o+3] = clampByte(ca / float64(s*s) * 255)
				}
			}
		})
	}
	wg.Wait()
	return img
}

// shade returns the lit colour (0–255 per channel) of face fi at sample position (x, y).
func (r *rasteriser) shade(fi int, x, y float32) [3]float64 {
	m := r.m
	f := m.Faces[fi]
	n := vec(faceNormal(m, f))
	lam := n.dot(r.light)
	if n.dot(r.toCam) < 0 { // the back of an open surface: light it as its front
		lam = -lam
	}
	l := ambient + diffuse*max(0, lam)
	var base [3]float64
	switch {
	case r.tex != nil || m.Colors != nil:
		w := r.bary(f, x, y)
		if r.tex != nil {
			var u, v float64
			for k := range 3 {
				uv := m.UVs[f[k]]
				u += w[k] * float64(uv[0])
				v += w[k] * float64(uv[1])
			}
			base = sampleBilinear(r.tex, u, v)
		} else {
			for k := range 3 {
				c := m.Colors[f[k]]
				base[0] += w[k] * float64(c[0])
				base[1] += w[k] * float64(c[1])
				base[2] += w[k] * float64(c[2])
			}
		}
	default:
		c := r.opt.Clay
		base = [3]float64{float64(c.R), float64(c.G), float64(c.B)}
	}
	return [3]float64{base[0] * l, base[1] * l, base[2] * l}
}

// bary returns the barycentric weights of (x, y) in face f's screen triangle, clamped to the
// triangle.
func (r *rasteriser) bary(f [3]uint32, x, y float32) [3]float64 {
	x0, y0 := float64(r.sx[f[0]]), float64(r.sy[f[0]])
	x1, y1 := float64(r.sx[f[1]]), float64(r.sy[f[1]])
	x2, y2 := float64(r.sx[f[2]]), float64(r.sy[f[2]])
	px, py := float64(x), float64(y)
	area := (x1-x0)*(y2-y0) - (x2-x0)*(y1-y0)
	if area == 0 {
		return [3]float64{1.0 / 3, 1.0 / 3, 1.0 / 3}
	}
	w0 := ((x1-px)*(y2-py) - (x2-px)*(y1-py)) / area
	w1 := ((x2-px)*(y0-py) - (x0-px)*(y2-py)) / area
	w0, w1 = min(max(w0, 0), 1), min(max(w1, 0), 1)
	w2 := max(0, 1-w0-w1)
	s := w0 + w1 + w2
	return [3]float64{w0 / s, w1 / s, w2 / s}
}

func faceNormal(m *mesh.Mesh, f [3]uint32) [3]float64 {
	a, b, c := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
	u := vec{float64(b[0] - a[0]), float64(b[1] - a[1]), float64(b[2] - a[2])}
	v := vec{float64(c[0] - a[0]), float64(c[1] - a[1]), float64(c[2] - a[2])}
	return u.cross(v).unit()
}

// sampleBilinear returns the colour of t at (u, v) (u right, v down, both 0–1 over the image),
// interpolated between the four nearest texel centres, clamped at the borders.
func sampleBilinear(t *image.NRGBA, u, v float64) [3]float64 {
	w, h := t.Rect.Dx(), t.Rect.Dy()
	fx := min(max(u*float64(w)-0.5, 0), float64(w-1))
	fy := min(max(v*float64(h)-0.5, 0), float64(h-1))
	if fx != fx || fy != fy {
		fx, fy = 0, 0
	}
	x0, y0 := int(fx), int(fy)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	ax, ay := fx-float64(x0), fy-float64(y0)
	var out [3]float64
	p00, p10 := t.PixOffset(x0, y0), t.PixOffset(x1, y0)
	p01, p11 := t.PixOffset(x0, y1), t.PixOffset(x1, y1)
	for k := range 3 {
		top := float64(t.Pix[p00+k])*(1-ax) + float64(t.Pix[p10+k])*ax
		bot := float64(t.Pix[p01+k])*(1-ax) + float64(t.Pix[p11+k])*ax
		out[k] = top*(1-ay) + bot*ay
	}
	return out
}

func clampByte(x float64) uint8 {
	return uint8(min(max(math.Round(x), 0), 255))
}
