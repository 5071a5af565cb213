package mesh

import (
	"context"
	"fmt"
	"math"
)

// Defaults used by Analyze for the zero value of PrinterProfile.
const (
	// DefaultBuildVolume is the build volume's edge on each axis, in mm (256 × 256 × 256).
	DefaultBuildVolume = 256.0
	// DefaultOverhangAngle is the steepest printable overhang, in degrees from vertical.
	DefaultOverhangAngle = 45.0
	// DefaultDensity is the density of PLA, in g/cm³.
	DefaultDensity = 1.24
	// BedTolerance is how close to the mesh's lowest point (mm) all three vertices of a downward
	// face must be for the face to count as lying on the bed.
	BedTolerance = 0.01
)

// PrinterProfile describes an FDM printer and its material. The zero value means the defaults:
// a 256 × 256 × 256 mm build volume, a 45° overhang angle and PLA at 1.24 g/cm³. Each field, and
// each axis of BuildVolume, that is 0 takes its default.
type PrinterProfile struct {
	// BuildVolume is the printable extent along X, Y and Z, in mm.
	BuildVolume [3]float64 `json:"build_volume_mm"`
	// OverhangAngle is the steepest overhang that prints without support, in degrees measured
	// from vertical (the Cura convention): 0 would support every downward-facing surface, 90
	// none. Valid values are in (0, 90].
	OverhangAngle float64 `json:"overhang_angle_deg"`
	// Density of the material in g/cm³.
	Density float64 `json:"density_g_cm3"`
}

// PrintAnalysis is what Analyze reports about a mesh in mm for a printer profile.
type PrintAnalysis struct {
	// Profile is the profile used, with defaults filled in.
	Profile PrinterProfile `json:"profile"`
	// MinMM and MaxMM are the corners of the bounding box, SizeMM its extent (zeros when the mesh
	// has no faces).
	MinMM  [3]float64 `json:"min_mm"`
	MaxMM  [3]float64 `json:"max_mm"`
	SizeMM [3]float64 `json:"size_mm"`
	// Fits reports whether the bounding box fits the build volume as it is, or turned 90° about Z
	// (then RotateZ90 is set).
	Fits      bool `json:"fits"`
	RotateZ90 bool `json:"rotate_z_90"`
	// ScaleToFit is the largest uniform scale at which the bounding box fits the build volume,
	// allowing the 90° turn about Z; Fits is ScaleToFit >= 1. It is 0 for a mesh without faces or
	// with no extent at all.
	ScaleToFit float64 `json:"scale_to_fit"`
	// VolumeCM3 is the enclosed volume in cm³ and MassG the mass at the profile's density. Both
	// are only meaningful when Closed; an inside-out mesh is measured by magnitude.
	VolumeCM3 float64 `json:"volume_cm3"`
	MassG     float64 `json:"mass_g"`
	// AreaMM2 is the surface area in mm².
	AreaMM2 float64 `json:"area_mm2"`
	// OverhangAreaMM2 is the area of the faces that need support: faces whose outward normal
	// points down more steeply than the overhang angle allows (the surface is tilted further
	// than OverhangAngle from vertical, i.e. n_z < −sin(OverhangAngle)), except faces lying on the
	// bed (all vertices within BedTolerance of the lowest point). It is the faces' own area, not
	// their projection, and is not reduced where a face sits on another part of the model.
	OverhangAreaMM2 float64 `json:"overhang_area_mm2"`
	// OverhangFaces is the number of faces counted in OverhangAreaMM2.
	OverhangFaces int `json:"overhang_faces"`
	// Shells is the number of vertex-connected components.
	Shells int `json:"shells"`
	// Closed reports Topology.Closed: watertight, manifold, consistently oriented, no degenerate
	// or duplicate faces. Outward reports a positive signed volume.
	Closed  bool `json:"closed"`
	Outward bool `json:"outward"`
	// SelfIntersection reports the faces that cross each other (SelfIntersections): a mesh can
	// be closed and still pass through itself, which a slicer fills or empties wrongly. Printable
	// wants Closed and no crossing pairs.
	SelfIntersection SelfIntersection `json:"self_intersection"`
}

// Printable reports a closed mesh with no self-intersection found by a complete search.
func (a PrintAnalysis) Printable() bool {
	return a.Closed && a.SelfIntersection.Complete && a.SelfIntersection.Pairs == 0
}

// Analyze is AnalyzeContext without a deadline.
func Analyze(m *Mesh, p PrinterProfile) (PrintAnalysis, error) {
	return AnalyzeContext(context.Background(), m, p)
}

// AnalyzeContext measures a mesh in mm against a printer profile: whether and at what scale it
// fits, its volume, mass, area, the overhang area that needs support, its shells, whether it is
// closed and whether it crosses itself (SelfIntersections, the one part whose work grows faster
// than the face count, bounded and stopped by ctx). The mesh is assumed to be printed as it
// stands, Z up, resting on its lowest point. It returns an error wrapping ErrInvalid for an
// invalid mesh, ErrInvalidOptions for a profile value that is negative, not finite, or an
// overhang angle above 90°, and ctx's error when ctx ends first.
func AnalyzeContext(ctx context.Context, m *Mesh, p PrinterProfile) (PrintAnalysis, error) {
	var a PrintAnalysis
	if m == nil {
		return a, fmt.Errorf("%w: nil mesh", ErrInvalid)
	}
	if err := m.Validate(); err != nil {
		return a, fmt.Errorf("mesh: analyze: %w", err)
	}
	for i, b := range p.BuildVolume {
		if badFloat(b) || b < 0 {
			return a, fmt.Errorf("%w: build volume axis %d is %v mm", ErrInvalidOptions, i, b)
		}
		if b == 0 {
			p.BuildVolume[i] = DefaultBuildVolume
		}
	}
	if badFloat(p.OverhangAngle) || p.OverhangAngle < 0 || p.OverhangAngle > 90 {
		return a, fmt.Errorf("%w: overhang angle %v° outside (0, 90]", ErrInvalidOptions, p.OverhangAngle)
	}
	if p.OverhangAngle == 0 {
		p.OverhangAngle = DefaultOverhangAngle
	}
	if badFloat(p.Density) || p.Density < 0 {
		return a, fmt.Errorf("%w: density %v g/cm³", ErrInvalidOptions, p.Density)
	}
	if p.Density == 0 {
		p.Density = DefaultDensity
	}
	a.Profile = p

	t := m.Topology()
	a.Shells, a.Closed, a.Outward = t.Components, t.Closed(), t.Outward
	a.VolumeCM3 = math.Abs(t.Volume) / 1000
	a.MassG = a.VolumeCM3 * p.Density
	si, err := SelfIntersections(ctx, m)
	if err != nil {
		return a, fmt.Errorf("mesh: analyze: %w", err)
	}
	a.SelfIntersection = si
	if len(m.Faces) == 0 {
		return a, nil
	}
	b := m.Bounds()
	for i := range 3 {
		a.MinMM[i], a.MaxMM[i] = float64(b.Min[i]), float64(b.Max[i])
		a.SizeMM[i] = a.MaxMM[i] - a.MinMM[i]
	}
	straight := printFitScale(a.SizeMM, p.BuildVolume)
	turned := printFitScale([3]float64{a.SizeMM[1], a.SizeMM[0], a.SizeMM[2]}, p.BuildVolume)
	a.ScaleToFit = max(straight, turned)
	a.RotateZ90 = turned > straight
	a.Fits = a.ScaleToFit >= 1

	limit := -math.Sin(p.OverhangAngle * math.Pi / 180)
	bed := a.MinMM[2] + BedTolerance
	for _, f := range m.Faces {
		pa, pb, pc := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
		c := triCross(pa, pb, pc)
		l := norm64(c)
		a.AreaMM2 += l / 2
		if !(l > 0) || c[2]/l >= limit {
			continue
		}
		if float64(pa[2]) <= bed && float64(pb[2]) <= bed && float64(pc[2]) <= bed {
			continue
		}
		a.OverhangAreaMM2 += l / 2
		a.OverhangFaces++
	}
	return a, nil
}

// printFitScale is the largest uniform scale at which a box of the given size fits the build
// volume, or 0 when the box has no extent.
func printFitScale(size, build [3]float64) float64 {
	s := math.Inf(1)
	for i := range 3 {
		if size[i] > 0 {
			s = min(s, build[i]/size[i])
		}
	}
	if math.IsInf(s, 1) {
		return 0
	}
	return s
}
