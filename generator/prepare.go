package generator

import (
	"context"
	"image"
	"math"

	"github.com/orfeas3d/orfeas/internal/raster"
)

// MaskSource says where the foreground mask came from.
type MaskSource string

const (
	// MaskAlpha: the image's alpha channel (it has transparent or translucent pixels, and its
	// border has no dominant opaque colour).
	MaskAlpha MaskSource = "alpha"
	// MaskBorder: the background is the opaque colour that dominates the image's border, flood-
	// filled inwards from the border within Request.MaskTolerance, together with any transparent
	// pixels on the way; the mask is the alpha channel with that background removed.
	MaskBorder MaskSource = "border"
	// MaskNone: the image is opaque and its border has no dominant colour (a full-frame photo);
	// the whole image is foreground.
	MaskNone MaskSource = "none"
)

// The border is a plain background when at least plainBorderShare of its pixels are background
// (transparent, or opaque within the mask tolerance of the dominant opaque colour), and at least
// colourBorderShare of them are of that colour. Fewer opaque pixels of one colour are the
// object touching the edge, as on clip art with a transparent background.
const (
	plainBorderShare  = 0.5
	colourBorderShare = 0.25
)

// transparentAlpha is the alpha below which a pixel counts as transparent for the border fill.
const transparentAlpha = 0.5

// prepOptions are the inputs of prepare besides the images.
type prepOptions struct {
	resolution    int     // longest working side in px
	width, height float64 // requested size in mm; zero for the default
	wantColor     bool
	maskTolerance float64      // 0..1, fraction of the largest sRGB distance
	subject       *subjectMask // a photo's segmented subject at the image's bounds; nil: none
	readAlpha     bool         // keep the alpha planes of a same-size image whatever opaqueImage says
}

// opaqueImage reports whether every pixel of img is fully opaque, as far as its type tells
// (gray and YCbCr images are), or its Opaque method (a scan of the alpha values): then every
// alpha that pixelReader reads is exactly 1.
func opaqueImage(img image.Image) bool {
	switch img.(type) {
	case *image.Gray, *image.Gray16, *image.YCbCr, *image.CMYK:
		return true
	}
	o, ok := img.(interface{ Opaque() bool })
	return ok && o.Opaque()
}

// prepared is the working image: planes at the working resolution and the sizes they stand for.
type prepared struct {
	w, h                   int // working size in px
	lum, mask, color, dpth []float32
	pixelSize              float64 // mm per working pixel along X
	widthMM, heightMM      float64 // the model's size in mm
	srcW, srcH             int
	maskSource             MaskSource
	stretched              bool
	cropped                bool             // the foreground's crop of the image (see cropForeground)
	widenedTo              float64          // strokes widened to this width in mm (see thickenStrokes); 0: none
	widenedPixels          int              // the foreground pixels that widening added
	subject                *subjectMask     // the segmented subject the mask came from; nil: none
	borderNoise            float64          // RMS distance of the border's background pixels from its colour
	hasAlpha               bool             // some pixel is not fully opaque
	depthSource            DepthSource      // DepthModel when dpth is an estimated depth's bas-relief
	basRelief              *BasReliefReport // that compression's report
}

// gridSize resolves the model's size in mm and the working size in px for a srcW×srcH image.
//
// Width and Height default from each other through the image's aspect ratio (Width to
// DefaultWidth when both are zero). When both are given and their ratio differs from the
// image's, the working grid takes their ratio instead (keeping about the image's pixel count),
// which stretches the image. The working grid's longest side is at most res; images are shrunk
// to it, never enlarged beyond their own pixel count.
func gridSize(srcW, srcH int, width, height float64, res int) (w, h int, wmm, hmm float64, stretched bool) {
	aspect := float64(srcH) / float64(srcW)
	switch {
	case width > 0 && height > 0:
		wmm, hmm = width, height
	case width > 0:
		wmm, hmm = width, width*aspect
	case height > 0:
		wmm, hmm = height/aspect, height
	default:
		wmm, hmm = DefaultWidth, DefaultWidth*aspect
	}
	fw, fh := float64(srcW), float64(srcH)
	if want := hmm / wmm; math.Abs(want/aspect-1) > 1e-3 {
		stretched = true
		fw = math.Sqrt(float64(srcW) * float64(srcH) / want)
		fh = fw * want
	}
	scale := math.Min(1, float64(res)/math.Max(fw, fh))
	w = max(2, int(math.Round(fw*scale)))
	h = max(2, int(math.Round(fh*scale)))
	return w, h, wmm, hmm, stretched
}

// prepare turns the upright image (and optional depth map of the same size) into the working
// planes: Rec. 709 luma of the sRGB values, the foreground mask, the colour when wanted, and the
// depth map's luma, all area-averaged to the working size. Colour is averaged weighted by alpha
// (so transparent pixels' hidden colours do not bleed into edges), falling back to the plain
// average where every pixel under a working pixel is fully transparent. Luminance is the same
// for an opaque image; an image with transparency has its luminance composited over white.
//
// The mask comes from the border when it is a plain background (see MaskBorder), else from the
// alpha channel when any pixel is not fully opaque (MaskAlpha), else there is none (MaskNone). A
// border mask is found at the source resolution and then averaged, so its edges carry sub-pixel
// coverage. fraction reports progress in 0..1.
func prepare(ctx context.Context, img, depth image.Image, opt prepOptions, fraction func(float64)) (*prepared, error) {
	sb := img.Bounds()
	p := &prepared{srcW: sb.Dx(), srcH: sb.Dy()}
	p.w, p.h, p.widthMM, p.heightMM, p.stretched = gridSize(p.srcW, p.srcH, opt.width, opt.height, opt.resolution)
	p.pixelSize = p.widthMM / float64(p.w)
	sw, sh := p.srcW, p.srcH

	px := newPixelReader(img)
	tol := opt.maskTolerance
	bg, plain, noise := borderBackground(px, sw, sh, tol)
	plain = plain && opt.subject == nil
	p.borderNoise = noise
	var near []uint8 // at source resolution: 1 where the colour is within tol of bg
	if plain {
		near = make([]uint8, sw*sh)
	}
	tol2 := float32(3 * tol * tol)

	nch := 3
	if opt.wantColor {
		nch = 9
	}
	var translucent []bool // per source row: any alpha < 1
	translucent = make([]bool, sh)
	total := float64(sh)
	if depth != nil {
		total += float64(sh)
	}
	progress := func(rows int64) {
		if fraction != nil && rows%64 == 0 {
			fraction(float64(rows) / total)
		}
	}
	newRow := func() rowFunc {
		rgba := make([]float32, 4*sw)
		return func(y int, dst []float32, owner bool) {
			px.row(y, rgba)
			var opaque = true
			for x := range sw {
				q := rgba[4*x : 4*x+4 : 4*x+4]
				r, g, b, a := q[0], q[1], q[2], q[3]
				l := luma(r, g, b)
				d := dst[x*nch : x*nch+nch : x*nch+nch]
				d[0], d[1], d[2] = a, a*l, l
				if nch == 9 {
					d[3], d[4], d[5], d[6], d[7], d[8] = a*r, a*g, a*b, r, g, b
				}
				opaque = opaque && a >= 1
				if owner && near != nil {
					dr, dg, db := r-bg[0], g-bg[1], b-bg[2]
					if a < transparentAlpha || dr*dr+dg*dg+db*db <= tol2 {
						near[y*sw+x] = 1
					}
				}
			}
			if owner {
				translucent[y] = !opaque
			}
		}
	}
	var planes [][]float32
	var err error
	opaque := false // the alpha and plain-luma planes left out (see opaqueImage)
	if sw == p.w && sh == p.h && sameSizeRows {
		// Same size: the colour, when wanted, is each pixel's own, computed as the loop below
		// computes it from the planes (the same float32 operations on the same values), without
		// the six planes of it.
		n := sw * sh
		if opaque = !opt.readAlpha && opaqueImage(img); opaque {
			// Every alpha is 1: the luminance is all that the loop below reads of the planes.
			planes = [][]float32{nil, make([]float32, n), nil}
		} else {
			planes = [][]float32{make([]float32, n), make([]float32, n), make([]float32, n)}
		}
		if opt.wantColor {
			p.color = make([]float32, 3*n)
		}
		err = forRows(ctx, sw, sh, nch, newRow, func(y int, src []float32) {
			for x := range sw {
				i := y*sw + x
				d := src[x*nch : x*nch+nch : x*nch+nch]
				a := d[0]
				if opaque {
					planes[1][i] = d[1]
				} else {
					planes[0][i], planes[1][i], planes[2][i] = a, d[1], d[2]
				}
				if p.color == nil {
					continue
				}
				for c := range 3 {
					if a > 1e-6 {
						p.color[3*i+c] = clamp01(d[3+c] / a)
					} else {
						p.color[3*i+c] = clamp01(d[6+c])
					}
				}
			}
		}, progress)
	} else {
		planes, err = resample(ctx, sw, sh, p.w, p.h, nch, newRow, progress)
	}
	if err != nil {
		return nil, err
	}
	alpha := planes[0]
	p.lum = planes[1]
	hasAlpha := false
	for _, t := range translucent {
		hasAlpha = hasAlpha || t
	}
	p.hasAlpha = hasAlpha
	if opaque && hasAlpha {
		// An image whose Opaque method said otherwise: prepared again, with the planes.
		opt.readAlpha = true
		return prepare(ctx, img, depth, opt, fraction)
	}
	if opaque {
		// As the loop below computes it with a = 1: x/1 is x.
		for i, l := range p.lum {
			p.lum[i] = clamp01(l)
		}
	}
	for i, a := range alpha {
		switch {
		case hasAlpha:
			// Composited over white, the paper a relief or lithophane is made of: transparent
			// pixels are the base (white: the thinnest lithophane, and a relief's background,
			// which the mask keeps at the base), whatever colour they hide, and dark ink on
			// transparency stays dark instead of being weighted away.
			p.lum[i] = clamp01(p.lum[i] + (1 - a))
		case a > 1e-6:
			p.lum[i] = clamp01(p.lum[i] / a)
		default:
			p.lum[i] = clamp01(planes[2][i])
		}
	}
	if opt.wantColor {
		if p.color == nil { // resampled: from the planes (else computed with the rows, above)
			p.color = make([]float32, 3*len(alpha))
			for i, a := range alpha {
				for c := range 3 {
					if a > 1e-6 {
						p.color[3*i+c] = clamp01(planes[3+c][i] / a)
					} else {
						p.color[3*i+c] = clamp01(planes[6+c][i])
					}
				}
			}
		}
		if hasAlpha {
			// A transparent pixel's RGB means nothing (often 0: black), whatever the mask turns
			// out to be: every mode that shows colour, reliefs included, gives it the colour of
			// the nearest opaque pixels instead (bison.png's transparent right edge).
			if plain {
				// A border mask reads neither the colour nor alpha: the fill runs beside
				// the flood fill and the mask's resampling, and prepare waits for it on
				// every return.
				filled := make(chan struct{})
				go func() {
					defer close(filled)
					raster.FillOutwardInPlace(p.color, alpha, p.w, p.h)
				}()
				defer func() { <-filled }()
			} else {
				raster.FillOutwardInPlace(p.color, alpha, p.w, p.h) // p.color is this call's own
			}
		}
	}

	switch {
	case opt.subject != nil:
		if err := applySubject(ctx, p, opt.subject); err != nil {
			return nil, err
		}
		colourSubject(p)
	case plain:
		if err := floodBackground(ctx, near, sw, sh); err != nil {
			return nil, err
		}
		if err := enclosedBackground(ctx, near, sw, sh, int(enclosedBackgroundShare*float64(sw*sh))); err != nil {
			return nil, err
		}
		planes, err := resample(ctx, sw, sh, p.w, p.h, 1, func() rowFunc {
			rgba := make([]float32, 4*sw)
			return func(y int, dst []float32, _ bool) {
				if hasAlpha {
					px.row(y, rgba)
				}
				for x, s := range near[y*sw : y*sw+sw] {
					switch {
					case s == floodBackgroundMark:
						dst[x] = 0
					case hasAlpha:
						dst[x] = rgba[4*x+3]
					default:
						dst[x] = 1
					}
				}
			}
		}, nil)
		if err != nil {
			return nil, err
		}
		p.maskSource = MaskBorder
		p.mask = planes[0]
		for i := range p.mask {
			p.mask[i] = clamp01(p.mask[i])
		}
	case hasAlpha:
		p.maskSource = MaskAlpha
		// Faint line art (grey hairlines drawn at a fraction of full opacity) would fall under the
		// mask's 0.5 threshold everywhere: the most opaque pixel is taken as fully opaque.
		var top float32
		for i := range alpha {
			alpha[i] = clamp01(alpha[i])
			top = max(top, alpha[i])
		}
		if top > 0.02 && top < 0.99 {
			for i := range alpha {
				alpha[i] = min(alpha[i]/top, 1)
			}
		}
		p.mask = alpha
	default:
		p.maskSource = MaskNone
	}

	if depth != nil {
		dp := newPixelReader(depth)
		planes, err := resample(ctx, sw, sh, p.w, p.h, 1, func() rowFunc {
			rgba := make([]float32, 4*sw)
			return func(y int, dst []float32, _ bool) {
				dp.row(y, rgba)
				for x := range sw {
					dst[x] = luma(rgba[4*x], rgba[4*x+1], rgba[4*x+2])
				}
			}
		}, func(rows int64) { progress(rows + int64(sh)) })
		if err != nil {
			return nil, err
		}
		p.dpth = planes[0]
		for i := range p.dpth {
			p.dpth[i] = clamp01(p.dpth[i])
		}
	}
	return p, nil
}

func clamp01(v float32) float32 { return min(max(v, 0), 1) }

// sameSizeRows lets prepare read a same-size image straight from its rows, without the planes
// it does not need (see prepare); the tests turn it off to compare with the planes' way.
var sameSizeRows = true

// borderBackground finds the background colour on the image's border and whether the border
// is plain (see plainBorderShare). Opaque border pixels are binned by their top 4 bits per
// channel, and the fullest bin's mean is the candidate colour; distances are Euclidean in sRGB
// divided by √3, so tol is a fraction of the largest. noise is the RMS of that distance over the
// border pixels within tol of the colour: near 0 for a drawn background, larger for a photo's
// table or wall that happens to be of one hue.
func borderBackground(px *pixelReader, w, h int, tol float64) (bg [3]float32, plain bool, noise float64) {
	var border [][4]float32
	row := make([]float32, 4*w)
	for _, y := range []int{0, h - 1} {
		px.row(y, row)
		for x := range w {
			border = append(border, [4]float32(row[4*x:4*x+4]))
		}
	}
	for y := 1; y < h-1; y++ {
		border = append(border, px.pixel(0, y), px.pixel(w-1, y))
	}
	bin := func(c [4]float32) int {
		q := func(v float32) int { return min(15, max(0, int(v*16))) }
		return q(c[0])<<8 | q(c[1])<<4 | q(c[2])
	}
	var counts [4096]int
	transparent := 0
	for _, c := range border {
		if c[3] < transparentAlpha {
			transparent++
		} else {
			counts[bin(c)]++
		}
	}
	best := 0
	for i, n := range counts {
		if n > counts[best] {
			best = i
		}
	}
	if counts[best] > 0 {
		var sum [3]float64
		for _, c := range border {
			if c[3] >= transparentAlpha && bin(c) == best {
				for k := range 3 {
					sum[k] += float64(c[k])
				}
			}
		}
		for k := range 3 {
			bg[k] = float32(sum[k] / float64(counts[best]))
		}
	}
	tol2 := float32(3 * tol * tol)
	colour := 0
	sq := 0.0
	for _, c := range border {
		dr, dg, db := c[0]-bg[0], c[1]-bg[1], c[2]-bg[2]
		if d2 := dr*dr + dg*dg + db*db; c[3] >= transparentAlpha && d2 <= tol2 {
			colour++
			sq += float64(d2) / 3
		}
	}
	if colour > 0 {
		noise = math.Sqrt(sq / float64(colour))
	}
	n := float64(len(border))
	return bg, float64(colour) >= colourBorderShare*n && float64(colour+transparent) >= plainBorderShare*n, noise
}

// enclosedBackgroundShare is the least share of the image a region of the background's colour,
// enclosed by the subject, takes to be background too (the inside of a ring, the rooms of a
// line drawing); smaller ones (an eye's white, a highlight) stay part of the subject.
const enclosedBackgroundShare = 0.01

// enclosedBackground marks with floodBackgroundMark every 4-connected region of pixels near the
// background colour (state 1) that floodBackground did not reach and that holds at least
// minPixels pixels.
func enclosedBackground(ctx context.Context, state []uint8, w, h, minPixels int) error {
	const small = 3 // visited, too small: restored to 1 at the end
	var stack, region []int
	for s := range state {
		if s%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if state[s] != 1 {
			continue
		}
		region = region[:0]
		state[s] = small
		stack = append(stack[:0], s)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			region = append(region, p)
			x, y := p%w, p/w
			if x > 0 && state[p-1] == 1 {
				state[p-1] = small
				stack = append(stack, p-1)
			}
			if x < w-1 && state[p+1] == 1 {
				state[p+1] = small
				stack = append(stack, p+1)
			}
			if y > 0 && state[p-w] == 1 {
				state[p-w] = small
				stack = append(stack, p-w)
			}
			if y < h-1 && state[p+w] == 1 {
				state[p+w] = small
				stack = append(stack, p+w)
			}
		}
		if len(region) >= minPixels {
			for _, p := range region {
				state[p] = floodBackgroundMark
			}
		}
	}
	for i, v := range state {
		if v == small {
			state[i] = 1
		}
	}
	return nil
}

// floodBackgroundMark marks the pixels floodBackground reached.
const floodBackgroundMark = 2

// floodBackground marks with floodBackgroundMark every pixel of state (1 = near the background
// colour, 0 = not) that is 4-connected to the image's border through near pixels. It is the
// span ("scanline") seed fill of Heckbert, "A Seed Fill Algorithm", Graphics Gems (1990): each
// pixel is visited a bounded number of times, so it runs in O(w·h) with a stack of spans rather
// than pixels, and without recursion.
func floodBackground(ctx context.Context, state []uint8, w, h int) error {
	type seed struct{ x, y int }
	var stack []seed
	for x := range w {
		stack = append(stack, seed{x, 0}, seed{x, h - 1})
	}
	for y := range h {
		stack = append(stack, seed{0, y}, seed{w - 1, y})
	}
	for n := 0; len(stack) > 0; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		row := state[s.y*w : s.y*w+w]
		if row[s.x] != 1 {
			continue
		}
		l, r := s.x, s.x
		for l > 0 && row[l-1] == 1 {
			l--
		}
		for r < w-1 && row[r+1] == 1 {
			r++
		}
		for x := l; x <= r; x++ {
			row[x] = floodBackgroundMark
		}
		for _, ny := range []int{s.y - 1, s.y + 1} {
			if ny < 0 || ny >= h {
				continue
			}
			nrow := state[ny*w : ny*w+w]
			for x := l; x <= r; x++ {
				if nrow[x] == 1 && (x == l || nrow[x-1] != 1) {
					stack = append(stack, seed{x, ny})
				}
			}
		}
	}
	return nil
}

// applySubject makes the segmented subject s p's mask.
func applySubject(ctx context.Context, p *prepared, s *subjectMask) error {
	m, err := alphaPlane(ctx, s.alpha, p.w, p.h)
	if err != nil {
		return err
	}
	p.mask, p.maskSource, p.subject = m, s.source, s
	return nil
}

// colourSubject gives the pixels outside a segmented subject's core the colour of the subject
// nearest them, so that a photo's background does not tint the object's rim.
func colourSubject(p *prepared) {
	if p.color != nil && p.mask != nil {
		p.color = raster.FillOutward(p.color, p.mask, p.w, p.h)
	}
}
