// Package backends is the contract between orfeas's generator and its compute backends: the
// Backend interface, the prepared Input every backend receives, the modes and their parameters,
// and the errors a backend reports.
//
// A backend turns an Input (float32 image planes with a pixel size in millimetres) into a closed
// mesh.Mesh in millimetres. The generator prepares the Input (decoding, orientation, masking,
// resizing) and post-processes the mesh; a backend does only the reconstruction. The CPU backend
// (backends/cpu) is the reference that every other backend must match.
//
// Mesh placement: X runs to the image's right, Y towards the image's top, Z up out of the image
// towards the viewer; the lowest point sits on Z = 0 and the image's bottom-left corner on X = Y = 0.
package backends

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/hashicorp/go-multierror"

	"github.com/orfeas3d/orfeas/mesh"
)

var (
	// ErrUnavailable is wrapped by a backend that cannot run here (no GPU, no driver).
	ErrUnavailable = errors.New("backends: backend unavailable")
	// ErrUnsupportedMode is wrapped when a backend does not implement the requested mode.
	ErrUnsupportedMode = errors.New("backends: unsupported mode")
	// ErrInvalidInput is wrapped by Input.Validate for every problem it finds.
	ErrInvalidInput = errors.New("backends: invalid input")
	// ErrNoForeground is wrapped by a silhouette mode (extrude, inflate) whose mask has nothing
	// left to build once the backend has traced or voxelised it; it wraps ErrInvalidInput too.
	ErrNoForeground = fmt.Errorf("%w: the mask has no foreground", ErrInvalidInput)
	// ErrClosed is wrapped by Reconstruct after Close. Every backend uses this one sentinel, so a
	// caller checks errors.Is(err, backends.ErrClosed) whichever backend it holds.
	ErrClosed = errors.New("backends: backend closed")
)

// Mode names what a backend builds from the image.
type Mode string

// The modes every backend implements. The generator's "auto" choice is resolved before a backend
// sees the Input, so it is not a Mode here.
const (
	// Relief is a heightfield on a solid base: brightness (or a depth map) becomes height.
	Relief Mode = "relief"
	// Lithophane is a thin plate whose thickness follows darkness, to be lit from behind.
	Lithophane Mode = "lithophane"
	// Extrude is the foreground's outline, capped and walled to a height.
	Extrude Mode = "extrude"
	// Inflate is a rounded solid grown from the foreground's silhouette.
	Inflate Mode = "inflate"
)

// Modes lists every Mode in a fixed order.
var Modes = []Mode{Relief, Lithophane, Extrude, Inflate}

// Progress receives a stage name and the fraction (0..1) of that stage done. It may be nil.
type Progress func(stage string, fraction float64)

// Report calls p when it is not nil.
func (p Progress) Report(stage string, fraction float64) {
	if p != nil {
		p(stage, fraction)
	}
}

// Backend reconstructs meshes. Implementations must be safe for concurrent use, honour ctx within
// milliseconds, leave no goroutine running after Reconstruct returns, and return a closed,
// outward-oriented mesh in millimetres (see the package doc for placement) with a Report on it.
type Backend interface {
	// Name is a short lower-case identifier, such as "cpu" or "cuda".
	Name() string
	// Reconstruct builds the mesh for in and reports how closely it follows the image. It must
	// not modify in. On error it returns no mesh and the zero Report.
	Reconstruct(ctx context.Context, in *Input, progress Progress) (*mesh.Mesh, Report, error)
	// Close releases the backend's resources. Calls after Close return an error wrapping
	// ErrClosed.
	Close() error
}

// Report describes one reconstruction: what the backend built from and how closely its mesh
// follows the image. A backend that measures nothing returns the zero Report but for the counts.
type Report struct {
	// Grid is the size of the sample grid the surface was built from.
	Grid [2]int
	// Step is the sampling step of a regular grid (cylinder lithophanes): every Step-th pixel.
	// It is 0 for adaptive triangulations.
	Step int
	// Tolerance is the vertical error, in mm, the adaptive triangulation worked to. It is 0 for
	// regular grids (cylinders), which are not measured.
	Tolerance float64
	// MaxError is the largest vertical distance, in mm, between any sample of the grid and the
	// mesh surface above or below it. It is measured at every sample and is at most Tolerance
	// unless BudgetReached. For an extrusion it is the outline simplification's bound (no traced
	// outline point lies farther from the extruded outline). It is 0 where nothing bounds it:
	// regular grids (cylinders) and inflated shapes, whose marching-cubes surface is as fine as
	// its voxels.
	MaxError float64
	// BudgetReached is set when the face budget stopped refinement before the tolerance was met
	// (MaxError > Tolerance), or when a regular grid could not be made small enough.
	BudgetReached bool
	// Faces and Vertices count the mesh.
	Faces, Vertices int
	// Printable, from a backend that makes a mesh it did not build printable (hunyuan's server
	// models), says what that took: repair, solidify, the Hausdorff distance to the source; nil
	// for the backends that build closed meshes themselves.
	Printable *Printable
}

// Counted returns the Report of a mesh built from in's grid that nothing measured: the grid and
// m's counts (none for a nil m).
func Counted(in *Input, m *mesh.Mesh) Report {
	r := Report{Grid: [2]int{in.Width, in.Height}}
	if m != nil {
		r.Faces, r.Vertices = len(m.Faces), len(m.Positions)
	}
	return r
}

// Input is the prepared image and the parameters of one reconstruction. Planes are row-major,
// Width×Height, row 0 at the top of the image, values in 0..1.
type Input struct {
	Width, Height int

	// Luminance is the Rec. 709 luma of the sRGB values: 0 black, 1 white.
	Luminance []float32
	// Mask is the foreground coverage: 1 foreground, 0 background, fractions on anti-aliased
	// edges. Nil means the whole image is foreground.
	Mask []float32
	// Color is the sRGB colour, three values per pixel (R, G, B). Nil when colour is not wanted.
	Color []float32
	// Depth is an optional depth map: 1 nearest the viewer, 0 farthest. Nil when none was given.
	Depth []float32

	// PixelSize is the size of one pixel in millimetres, the same along X and Y.
	PixelSize float64

	Mode       Mode
	Relief     ReliefParams
	Lithophane LithophaneParams
	Extrude    ExtrudeParams
	Inflate    InflateParams

	// FaceBudget is the most triangles the mesh should have; 0 means no limit.
	FaceBudget int
	// Tolerance is the largest surface deviation, in mm, that simplification may introduce.
	Tolerance float64
}

// ReliefParams shape a relief. The zero value means the documented defaults.
type ReliefParams struct {
	// Depth is the height in mm from the lowest to the highest point of the relief surface
	// (default 5).
	Depth float64
	// Base is the thickness in mm of the solid base under the relief (default 2).
	Base float64
	// Invert makes dark high and bright low.
	Invert bool
	// Gamma is applied to the normalised height before scaling (default 1).
	Gamma float64
	// Smooth is the sigma, in pixels, of a Gaussian blur applied to the height (default 0: none).
	Smooth float64
	// UseMask keeps the background (Mask < 0.5) at the base.
	UseMask bool
	// SubjectLift, with UseMask and a mask, raises the whole foreground this fraction of Depth
	// above the base (0..1, default 0), the image's values shaping the rest of the Depth above
	// it: the subject stands out whatever its brightness, so dark ink on transparency is a
	// raised stamp, not a blank plate. A foreground of one flat value then stands at the full
	// Depth.
	SubjectLift float64
	// FrameWidth, when positive, adds a raised border of that width in mm around the relief.
	FrameWidth float64
	// FrameHeight is the frame's height in mm above the base (default: Depth).
	FrameHeight float64
}

// LithophaneShape is the overall form of a lithophane.
type LithophaneShape string

const (
	// Flat is a flat plate (the default).
	Flat LithophaneShape = "flat"
	// Cylinder bends the plate around a vertical axis, image on the outside.
	Cylinder LithophaneShape = "cylinder"
)

// LithophaneParams shape a lithophane. The zero value means the documented defaults.
type LithophaneParams struct {
	// MinThickness is the thickness in mm where the image is white (default 0.8).
	MinThickness float64
	// MaxThickness is the thickness in mm where the image is black (default 3.0).
	MaxThickness float64
	// Frame adds a border at MaxThickness around the image.
	Frame bool
	// FrameWidth is the border's width in mm when Frame is set (default 3).
	FrameWidth float64
	// Mirror flips the image left to right (for printing face down).
	Mirror bool
	// Shape is Flat (default) or Cylinder.
	Shape LithophaneShape
	// Arc is the angle in degrees a Cylinder spans, up to 360 for a closed ring (default 360).
	// The radius follows from the width and the arc.
	Arc float64
}

// Profile is the cross-section an inflated shape takes from its rim to its middle.
type Profile string

const (
	// Round makes h = sqrt(d·(2R − d)) up to R, so a disk of radius R becomes a sphere (default).
	Round Profile = "round"
	// Dome makes wide parts fatter and narrow parts thinner, as in Teddy (Igarashi et al. 1999).
	Dome Profile = "dome"
)

// InflateParams shape an inflated solid. The zero value means the documented defaults.
type InflateParams struct {
	// Profile is Round (default) or Dome.
	Profile Profile
	// Thickness scales the inflation height (default 1).
	Thickness float64
	// MinRim is the least thickness in mm at the outline, so that the edge prints (default 1).
	MinRim float64
	// FlatBack makes the back flat, on the print bed. It is the default: Defaults sets it unless
	// Symmetric is set.
	FlatBack bool
	// Symmetric mirrors the front below the middle plane instead (the round both-sides profile,
	// a pebble rather than a printable badge); it cannot be combined with FlatBack.
	Symmetric bool
	// MaxThickness caps the solid's full thickness along Z, in mm; the profile is scaled down to
	// it, keeping its shape (default: 0.35 times the smaller side of the silhouette's bounding
	// box, so that a square icon does not become a cube; negative: no cap).
	MaxThickness float64
}

// DefaultInflateThicknessRatio is the default cap on an inflated solid's thickness, as a fraction
// of the smaller side of its silhouette's bounding box (see InflateParams.MaxThickness).
const DefaultInflateThicknessRatio = 0.35

// ExtrudeParams shape an extrusion. The zero value means the documented defaults.
type ExtrudeParams struct {
	// Height is the extrusion's height in mm (default 5).
	Height float64
	// BasePlate adds a plate under the shape, joined to it as one solid.
	BasePlate bool
	// BaseThickness is the plate's thickness in mm (default 2).
	BaseThickness float64
	// BaseMargin is how far in mm the plate extends beyond the shape's outline (default 3).
	BaseMargin float64
}

// Defaults returns a copy of p with every zero field replaced by its default.
func (p ReliefParams) Defaults() ReliefParams {
	p.Depth = orDefault(p.Depth, 5)
	p.Base = orDefault(p.Base, 2)
	p.Gamma = orDefault(p.Gamma, 1)
	p.FrameHeight = orDefault(p.FrameHeight, p.Depth)
	return p
}

// Defaults returns a copy of p with every zero field replaced by its default.
func (p LithophaneParams) Defaults() LithophaneParams {
	p.MinThickness = orDefault(p.MinThickness, 0.8)
	p.MaxThickness = orDefault(p.MaxThickness, 3.0)
	p.FrameWidth = orDefault(p.FrameWidth, 3)
	if p.Shape == "" {
		p.Shape = Flat
	}
	p.Arc = orDefault(p.Arc, 360)
	return p
}

// Defaults returns a copy of p with every zero field replaced by its default.
func (p InflateParams) Defaults() InflateParams {
	if p.Profile == "" {
		p.Profile = Round
	}
	p.Thickness = orDefault(p.Thickness, 1)
	p.MinRim = orDefault(p.MinRim, 1)
	if !p.Symmetric {
		p.FlatBack = true
	}
	return p
}

// Defaults returns a copy of p with every zero field replaced by its default.
func (p ExtrudeParams) Defaults() ExtrudeParams {
	p.Height = orDefault(p.Height, 5)
	p.BaseThickness = orDefault(p.BaseThickness, 2)
	p.BaseMargin = orDefault(p.BaseMargin, 3)
	return p
}

func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// Check is the prologue every Backend's Reconstruct shares, in this order: after Close (closed
// set) an error wrapping ErrClosed; for a nil or invalid in, one wrapping ErrInvalidInput (see
// Validate); when ctx is done, its error. The closed and context errors carry the backend's
// name as a prefix ("cpu: context canceled").
func Check(ctx context.Context, name string, closed bool, in *Input) error {
	if closed {
		return fmt.Errorf("%s: %w", name, ErrClosed)
	}
	if in == nil {
		return fmt.Errorf("%w: nil input", ErrInvalidInput)
	}
	if err := in.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Validate reports every problem with in at once; each wraps ErrInvalidInput. The mode's
// parameters are checked by their own Validate, after their defaults are applied.
func (in *Input) Validate() error {
	var errs *multierror.Error
	bad := func(format string, a ...any) { errs = multierror.Append(errs, invalidf(format, a...)) }
	n := in.Width * in.Height
	if in.Width < 2 || in.Height < 2 {
		bad("image is %d×%d pixels, need at least 2×2", in.Width, in.Height)
	}
	if len(in.Luminance) != n {
		bad("luminance plane has %d values for %d pixels", len(in.Luminance), n)
	}
	if in.Mask != nil && len(in.Mask) != n {
		bad("mask plane has %d values for %d pixels", len(in.Mask), n)
	}
	if in.Depth != nil && len(in.Depth) != n {
		bad("depth plane has %d values for %d pixels", len(in.Depth), n)
	}
	if in.Color != nil && len(in.Color) != 3*n {
		bad("colour plane has %d values for %d pixels", len(in.Color), n)
	}
	if !(in.PixelSize > 0) || math.IsInf(in.PixelSize, 0) {
		bad("pixel size %v mm must be positive", in.PixelSize)
	}
	if in.FaceBudget < 0 {
		bad("face budget %d is negative", in.FaceBudget)
	}
	if in.Tolerance < 0 || math.IsNaN(in.Tolerance) {
		bad("tolerance %v mm is negative", in.Tolerance)
	}
	var perr error
	switch in.Mode {
	case Relief:
		perr = in.Relief.Validate()
	case Lithophane:
		perr = in.Lithophane.Validate()
	case Extrude:
		perr = in.Extrude.Validate()
	case Inflate:
		perr = in.Inflate.Validate()
	default:
		bad("unknown mode %q", in.Mode)
	}
	if perr != nil {
		errs = multierror.Append(errs, perr) // a *multierror.Error's problems are appended one by one
	}
	return errs.ErrorOrNil()
}

// Validate reports every problem with p, its defaults applied, at once: nil, one error, or a
// *multierror.Error; each problem wraps ErrInvalidInput. Input.Validate checks a relief's
// parameters with it, and a caller can check them before it has an image.
func (p ReliefParams) Validate() error {
	var c checker
	p = p.Defaults()
	if !(p.SubjectLift >= 0 && p.SubjectLift <= 1) {
		c.bad("subject lift %v must be within 0..1", p.SubjectLift)
	}
	c.positive("relief depth", p.Depth)
	c.positive("relief base", p.Base)
	c.positive("relief gamma", p.Gamma)
	if !nonNegative(p.Smooth) {
		c.bad("smoothing sigma %v px must be zero or positive", p.Smooth)
	}
	if !nonNegative(p.FrameWidth) {
		c.bad("frame width %v mm must be zero or positive", p.FrameWidth)
	}
	if p.FrameWidth > 0 && (!(p.Base+p.FrameHeight > 0) || math.IsInf(p.FrameHeight, 0)) {
		c.bad("frame height %v mm would sink the frame through the %v mm base", p.FrameHeight, p.Base)
	}
	return c.err()
}

// Validate reports every problem with p, its defaults applied, at once, as ReliefParams.Validate
// does.
func (p LithophaneParams) Validate() error {
	var c checker
	p = p.Defaults()
	c.positive("minimum thickness", p.MinThickness)
	c.positive("maximum thickness", p.MaxThickness)
	if p.MinThickness >= p.MaxThickness {
		c.bad("minimum thickness %v mm must be below maximum thickness %v mm", p.MinThickness, p.MaxThickness)
	}
	if p.Frame {
		c.positive("frame width", p.FrameWidth)
	}
	if p.Shape != Flat && p.Shape != Cylinder {
		c.bad("unknown lithophane shape %q", p.Shape)
	}
	if !(p.Arc > 0 && p.Arc <= 360) {
		c.bad("arc %v° must be in (0, 360]", p.Arc)
	}
	return c.err()
}

// Validate reports every problem with p, its defaults applied, at once, as ReliefParams.Validate
// does.
func (p ExtrudeParams) Validate() error {
	var c checker
	p = p.Defaults()
	c.positive("extrusion height", p.Height)
	if p.BasePlate {
		c.positive("base thickness", p.BaseThickness)
		if !nonNegative(p.BaseMargin) {
			c.bad("base margin %v mm must be zero or positive", p.BaseMargin)
		}
	}
	return c.err()
}

// Validate reports every problem with p, its defaults applied, at once, as ReliefParams.Validate
// does.
func (p InflateParams) Validate() error {
	var c checker
	p = p.Defaults()
	if p.Profile != Round && p.Profile != Dome {
		c.bad("unknown inflate profile %q", p.Profile)
	}
	c.positive("thickness scale", p.Thickness)
	if !nonNegative(p.MinRim) {
		c.bad("minimum rim %v mm must be zero or positive", p.MinRim)
	}
	if p.Symmetric && p.FlatBack {
		c.bad("an inflated solid cannot be both flat-backed and symmetric")
	}
	if math.IsNaN(p.MaxThickness) || math.IsInf(p.MaxThickness, 0) {
		c.bad("maximum thickness %v mm must be finite", p.MaxThickness)
	}
	return c.err()
}

// checker collects the problems a parameter set's Validate finds.
type checker struct{ errs *multierror.Error }

func (c *checker) bad(format string, a ...any) {
	c.errs = multierror.Append(c.errs, invalidf(format, a...))
}

func (c *checker) positive(name string, v float64) {
	if !(v > 0) || math.IsInf(v, 0) {
		c.bad("%s %v mm must be positive", name, v)
	}
}

// err returns nil, the one problem, or a *multierror.Error listing several.
func (c *checker) err() error {
	if c.errs != nil && len(c.errs.Errors) == 1 {
		return c.errs.Errors[0]
	}
	return c.errs.ErrorOrNil()
}

// nonNegative reports v ≥ 0; it also rejects NaN and infinities, which compare false with
// everything.
func nonNegative(v float64) bool { return v >= 0 && !math.IsInf(v, 0) }

// invalidf returns a problem wrapping ErrInvalidInput.
func invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, a...)...)
}
