package generator

import (
	"context"
	"fmt"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
)

// measureFidelity takes the self-check's measures of the final mesh m, built from the working
// image p and placed by a: everything but the topology's (see selfCheck). expectOne is whether
// pl's mode makes one piece whatever the foreground.
func (g *Generator) measureFidelity(ctx context.Context, pl *plan, p *prepared, m *mesh.Mesh, a mesh.Affine) (f Fidelity, expectOne bool, err error) {
	fi := fidelitySource(pl, p)
	v, ok := viewFor(pl, p, a)
	f, err = checkFidelity(ctx, m, fi, v, ok)
	if err != nil {
		return f, fi.expectOne, fmt.Errorf("generator: fidelity check: %w", err)
	}
	return f, fi.expectOne, nil
}

// selfCheck fills rep's fidelity figures and warnings for the final mesh m, of topology t, built
// from the working image p, from f and expectOne, what measureFidelity measured.
func (g *Generator) selfCheck(rep *Report, pl *plan, p *prepared, m *mesh.Mesh, t mesh.Topology, f Fidelity, expectOne bool) {
	f.Tunnels = t.Genus
	if p.widenedTo > 0 {
		fg := 0
		for _, v := range p.mask {
			if v >= 0.5 {
				fg++
			}
		}
		f.StrokesWidenedTo, f.StrokesWidened = p.widenedTo, float64(p.widenedPixels)/float64(max(fg, 1))
	}
	rep.Fidelity, rep.Pieces = f, f.Pieces
	rep.Warnings = warnings(f, pl.mode, expectOne)
	rep.QualityNote = qualityNote(pl, p, len(m.Faces))
}

// fidelitySource returns what the self-check compares pl's mesh with: the foreground, and the
// height source the mode promises to follow, oriented so that higher values stand higher. That
// source is written over p's own plane (p.lum, or p.dpth for a relief of a depth map), which
// nothing reads after the self-check: one plane fewer at the finish's peak.
func fidelitySource(pl *plan, p *prepared) fidelityInput {
	fi := fidelityInput{mode: pl.mode, mask: p.mask, w: p.w, h: p.h}
	switch pl.mode {
	case backends.Relief:
		fi.expectOne = true
		rp := pl.params.relief.Defaults()
		src, name := p.lum, "brightness"
		if p.dpth != nil {
			src, name = p.dpth, "depth"
		}
		s := src
		if rp.Invert {
			for i, v := range s {
				s[i] = 1 - v
			}
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
		s := p.lum
		for j := range p.h {
			row := s[j*p.w : (j+1)*p.w]
			if lp.Mirror {
				for i, k := 0, p.w-1; i <= k; i, k = i+1, k-1 {
					row[i], row[k] = 1-row[k], 1-row[i]
				}
			} else {
				for i, v := range row {
					row[i] = 1 - v
				}
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

// qualityNote says why pl's quality level makes the same model as the level below, or nothing.
func qualityNote(pl *plan, p *prepared, faces int) string {
	s, _ := pl.quality.Settings()
	if pl.quality == Draft || max(p.w, p.h) >= s.Resolution {
		return ""
	}
	if pl.faceBudget > 0 && faces >= pl.faceBudget*9/10 {
		return ""
	}
	return fmt.Sprintf("the image (%d×%d px) is smaller than the %s level's working resolution (%d px) and the model stays within its face budget: a higher level adds no detail the image has",
		p.srcW, p.srcH, pl.quality, s.Resolution)
}
