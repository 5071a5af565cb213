package generator

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/orfeas3d/orfeas/backends"
)

// fidelitySourceCopy is fidelitySource as it was, with the source in a plane of its own: it returns what the self-check compares pl's mesh with: the foreground, and the
// height source the mode promises to follow, oriented so that higher values stand higher.
func fidelitySourceCopy(pl *plan, p *prepared) fidelityInput {
	fi := fidelityInput{mode: pl.mode, mask: p.mask, w: p.w, h: p.h}
	switch pl.mode {
	case backends.Relief:
		fi.expectOne = true
		rp := pl.params.relief.Defaults()
		src, name := p.lum, "brightness"
		if p.dpth != nil {
			src, name = p.dpth, "depth"
		}
		s := make([]float32, len(src))
		for i, v := range src {
			if rp.Invert {
				v = 1 - v
			}
			s[i] = v
		}
		if p.mask != nil {
			// The subject is raised (see plan.input): every foreground pixel above every
			// background one, brightness ordering the foreground.
			name = "subject, then " + name
			for i, m := range p.mask {
				if m >= 0.5 {
					s[i] = 1 + s[i]
				} else {
					s[i] = 0
				}
			}
		}
		fi.source, fi.srcName = s, name
	case backends.Lithophane:
		fi.expectOne = true
		lp := pl.params.lithophane.Defaults()
		s := make([]float32, len(p.lum))
		for j := range p.h {
			for i := range p.w {
				src := i
				if lp.Mirror {
					src = p.w - 1 - i
				}
				s[j*p.w+i] = 1 - p.lum[j*p.w+src]
			}
		}
		fi.source, fi.srcName = s, "darkness"
		fi.mask = nil // a lithophane is the whole plate
	case backends.Extrude:
		ep := pl.params.extrude.Defaults()
		if ep.BasePlate {
			fi.plate, fi.expectOne = ep.BaseThickness, true
		}
	}
	return fi
}

// TestFidelitySourceInPlace checks fidelitySource, which writes over p's plane, against the copy
// it replaced, bit for bit: reliefs of brightness and of depth, inverted or not, with a mask or
// without, and lithophanes mirrored or not, of odd and even widths.
func TestFidelitySourceInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	plane := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()
		}
		return s
	}
	for _, size := range [][2]int{{1, 1}, {4, 3}, {7, 5}} {
		w, h := size[0], size[1]
		n := w * h
		for _, c := range []struct {
			mode            backends.Mode
			invert, mirror  bool
			withMask, depth bool
		}{
			{backends.Relief, false, false, false, false}, {backends.Relief, true, false, true, false},
			{backends.Relief, false, false, true, true}, {backends.Relief, true, false, false, true},
			{backends.Lithophane, false, false, false, false}, {backends.Lithophane, false, true, false, false},
		} {
			p := &prepared{w: w, h: h, lum: plane(n)}
			if c.withMask {
				p.mask = plane(n)
			}
			if c.depth {
				p.dpth = plane(n)
			}
			pl := &plan{mode: c.mode}
			pl.params.relief.Invert = c.invert
			pl.params.lithophane.Mirror = c.mirror
			ref := &prepared{w: w, h: h, lum: slices.Clone(p.lum), mask: p.mask, dpth: slices.Clone(p.dpth)}
			want := fidelitySourceCopy(pl, ref)
			got := fidelitySource(pl, p)
			if !bitsEqual(got.source, want.source) || got.srcName != want.srcName || got.expectOne != want.expectOne || !bitsEqual(got.mask, want.mask) {
				t.Errorf("%dx%d %+v: differs from the copy", w, h, c)
			}
		}
	}
}
