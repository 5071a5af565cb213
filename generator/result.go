package generator

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// Result is what Generate built: a closed, outward-oriented mesh in millimetres and a report.
type Result struct {
	// Mesh is in millimetres, Z up, its lowest point on Z = 0 (within 1e-4 mm when it was
	// simplified to the face budget). X runs along the image's width and Y up the image, from
	// X = Y = 0: reliefs and flat lithophanes span exactly [0, Width] × [0, Height]; extrusions and
	// inflated shapes are scaled uniformly so that the object is Width wide (or Height tall when
	// only Height is given; both when both are), their bounding box's corner on the origin. A
	// cylinder lithophane stands around the Z axis, Height tall. Its Texture, when set, is the
	// working image its UVs map.
	Mesh *mesh.Mesh
	// Report describes how the mesh was made and what it is.
	Report Report
}

// Encode writes the mesh to w in format f (see meshio.Encode: STL, OBJ and PLY in mm, GLB in
// metres with +Y up). The bytes depend only on the Request, never on the run or GOMAXPROCS.
func (r *Result) Encode(w io.Writer, f meshio.Format) error {
	if r == nil || r.Mesh == nil {
		return fmt.Errorf("%w: no mesh to encode", mesh.ErrInvalid)
	}
	return meshio.Encode(w, r.Mesh, f)
}

// Report describes a Result and how it was made.
type Report struct {
	// Mode is the mode that was built (Auto resolved), and ModeReason why.
	Mode       Mode   `json:"mode"`
	ModeReason string `json:"mode_reason"`
	// Backend is the backend's name; BackendFallback, when "auto" did not get the GPU, says why.
	Backend         string `json:"backend"`
	BackendFallback string `json:"backend_fallback,omitempty"`
	// Quality is the quality level used.
	Quality Quality `json:"quality"`
	// FaceBudget and Tolerance (mm) are the limits the backend was given.
	FaceBudget int     `json:"face_budget"`
	Tolerance  float64 `json:"tolerance_mm"`
	// Simplify, when the backend returned more faces than FaceBudget, reports the quadric
	// simplification (mesh.Simplify) that brought the mesh down to the budget; nil otherwise. Its
	// MaxError, in mm, adds to the backend's (see MaxError).
	Simplify *mesh.SimplifyReport `json:"simplify,omitempty"`
	// OverBudget is true when the mesh still has more faces than FaceBudget: simplification
	// stopped early, where no collapse could keep the mesh a closed 2-manifold.
	OverBudget bool `json:"over_budget,omitempty"`

	Image ImageReport `json:"image"`

	// Timings lists the stages in order, with the time each took; Total is all of Generate.
	Timings []StageTiming `json:"timings"`
	Total   time.Duration `json:"total_ns"`

	// Topology is the mesh's topology report: for every Result, Topology.Closed() and
	// Topology.Outward hold.
	Topology mesh.Topology `json:"topology"`
	Faces    int           `json:"faces"`
	Vertices int           `json:"vertices"`
	// Bounds is the mesh's bounding box in mm, and Size its extent along X, Y and Z.
	Bounds mesh.Box   `json:"bounds"`
	Size   [3]float64 `json:"size_mm"`
	// Volume is the enclosed volume in mm³.
	Volume float64 `json:"volume_mm3"`
	// MaxError is the largest distance in mm, measured along Z, between a sample of the working
	// image's exact surface and the mesh above it, as the backend measured it (the CPU backend
	// does for reliefs and flat lithophanes; zero where it is not measured, and for regular grids,
	// whose vertices are the samples), plus Simplify.MaxError when the mesh was simplified to the
	// budget: a bound, by the triangle inequality. BudgetReached is true when the face budget
	// stopped the backend before its error came within Tolerance.
	MaxError      float64 `json:"max_error_mm"`
	BudgetReached bool    `json:"budget_reached,omitempty"`
	// Printable, for a backend that makes a mesh it did not build printable (the "hunyuan"
	// backend's server models), says what that took: repaired, solidified, the voxel size, the
	// Hausdorff distances to the source (both ways), floaters removed, faces before and after. Its
	// lengths are in the final mesh's mm (the backend's times the placement's largest scale: a
	// bound where the scale is not uniform). Nil for the other backends.
	Printable *backends.Printable `json:"printable,omitempty"`

	// Fidelity is the self-check: how well the mesh stands for the image, computed from the
	// prepared image and the final mesh alone (see Fidelity). Pieces repeats Fidelity.Pieces.
	Fidelity Fidelity `json:"fidelity"`
	Pieces   int      `json:"pieces"`
	// Warnings lists, in words, the fidelity figures that fall short (empty: the model is a
	// faithful, printable object).
	Warnings []Warning `json:"warnings,omitempty"`
	// QualityNote, when not empty, says why this quality level makes the same model as the
	// level below (an image smaller than the working resolution, a budget that does not bind).
	QualityNote string `json:"quality_note,omitempty"`
}

// ImageReport describes the image as Generate saw it.
type ImageReport struct {
	// Format is the file format ("png", "jpeg", ...), empty for a Request.Decoded image.
	Format string `json:"format,omitempty"`
	// Width and Height are the upright image's size in pixels; Orientation its EXIF orientation.
	Width       int `json:"width"`
	Height      int `json:"height"`
	Orientation int `json:"orientation"`
	// WorkingWidth and WorkingHeight are the size in pixels the backend worked at, and PixelSize
	// the size in mm of one of those pixels along X.
	WorkingWidth  int     `json:"working_width"`
	WorkingHeight int     `json:"working_height"`
	PixelSize     float64 `json:"pixel_size_mm"`
	// MaskSource says where the foreground mask came from.
	MaskSource MaskSource `json:"mask_source"`
	// Stretched is true when the requested Width and Height have another aspect ratio than the
	// image, which was stretched to them.
	Stretched bool `json:"stretched,omitempty"`
	// DepthMap is true when a depth map was used.
	DepthMap bool `json:"depth_map,omitempty"`
	// Segmenter names what found a photo's subject when MaskSource is MaskModel or MaskGrabCut,
	// and SegmentConfidence is its confidence (0..1) where it gives one. SegmentNote, when a
	// photo was segmented but no subject kept, says why (a scene, a subject too small, an error).
	Segmenter         string  `json:"segmenter,omitempty"`
	SegmentConfidence float64 `json:"segment_confidence,omitempty"`
	SegmentNote       string  `json:"segment_note,omitempty"`
	// DepthSource says where a relief's heights came from when not from brightness: a given
	// depth map, or the depth DepthEstimator (Config.Depth's name) estimated, bas-relief
	// compressed as BasRelief reports.
	DepthSource    DepthSource      `json:"depth_source,omitempty"`
	DepthEstimator string           `json:"depth_estimator,omitempty"`
	BasRelief      *BasReliefReport `json:"bas_relief,omitempty"`
	// Cropped is true when a silhouette mode (extrude, inflate) worked on the foreground's
	// bounding box (plus ForegroundOptions.Margin) instead of the whole image; the working size
	// and pixel size are then the crop's.
	Cropped bool `json:"cropped,omitempty"`
}

// StageTiming is the time one stage of Generate took.
type StageTiming struct {
	Stage    string        `json:"stage"`
	Duration time.Duration `json:"ns"`
}

// simplifyToBudget reduces a closed mesh to at most faces triangles by quadric edge collapses,
// which keep it closed, 2-manifold and of the same genus (see mesh.Simplify). The face budget is
// the limit that wins: no error bound stops it early.
func simplifyToBudget(ctx context.Context, m *mesh.Mesh, faces int) (*mesh.Mesh, mesh.SimplifyReport, error) {
	return mesh.Simplify(ctx, m, mesh.SimplifyOptions{TargetFaces: faces})
}

// finish checks the backend's mesh m for in, fits it to the size pl asks for and fills the
// report.
func (g *Generator) finish(ctx context.Context, tr *tracker, pl *plan, p *prepared, in *backends.Input, m *mesh.Mesh, brep backends.Report) (*Result, error) {
	name := g.backend.Name()
	if m == nil {
		return nil, fmt.Errorf("%w: the %s backend returned no mesh", ErrNotClosed, name)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %s backend: %w", ErrNotClosed, name, err)
	}
	budget := pl.faceBudget
	rep := Report{FaceBudget: budget, Tolerance: pl.tolerance}
	rep.MaxError, rep.BudgetReached = brep.MaxError, brep.BudgetReached
	// Place first, so that simplification works in the final coordinates, where its guarantee
	// (no face it makes is degenerate) is the one that counts.
	var placed mesh.Affine
	rep.Bounds, placed = place(m, pl, in)
	rep.Printable = brep.Printable.Scaled(max(placed[0][0], placed[1][1], placed[2][2]))
	if budget > 0 && len(m.Faces) > budget {
		tr.enter("simplify", bandBackend)
		s, srep, err := simplifyToBudget(ctx, m, budget)
		if err != nil {
			return nil, fmt.Errorf("generator: simplifying %d faces to %d: %w", len(m.Faces), budget, err)
		}
		m, rep.Simplify = s, &srep
		rep.MaxError += srep.MaxError
		rep.Bounds = m.Bounds()
	}
	rep.OverBudget = budget > 0 && len(m.Faces) > budget
	tr.enter("finish", bandSimplify)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generator: %w", err)
	}
	// The topology and the self-check's measures are independent reads of m: they run side by
	// side (the self-check's top view on all cores, the topology's serial sums beside it), and
	// the topology's verdict is read first, as before.
	var t mesh.Topology
	topo := make(chan struct{})
	go func() {
		defer close(topo)
		t = m.Topology()
	}()
	f, one, ferr := g.measureFidelity(ctx, pl, p, m, placed)
	<-topo
	if !t.Closed() || !t.Outward {
		return nil, fmt.Errorf("%w: %s backend, %s mode: watertight %v, manifold %v, oriented %v, outward %v, "+
			"%d boundary edges, %d non-manifold edges, %d degenerate faces, %d duplicate faces",
			ErrNotClosed, name, pl.mode, t.Watertight, t.Manifold, t.Oriented, t.Outward,
			t.BoundaryEdges, t.NonManifoldEdges, t.DegenerateFaces, t.DuplicateFaces)
	}
	rep.Topology, rep.Faces, rep.Vertices, rep.Volume = t, t.Faces, t.Vertices, t.Volume
	if ferr != nil {
		return nil, ferr
	}
	g.selfCheck(&rep, pl, p, m, t, f, one)
	attachTexture(m, in)
	s := rep.Bounds.Size()
	rep.Size = [3]float64{float64(s[0]), float64(s[1]), float64(s[2])}
	return &Result{Mesh: m, Report: rep}, nil
}

// place moves the backend's mesh m, built from in, to its final place and size per pl: lowest
// point on Z = 0; for the full-frame modes (relief and flat lithophanes) the footprint scaled to
// exactly the model's Width × Height mm, which absorbs the rounding of the working grid's pixel
// counts; a cylinder lithophane scaled along Z to Height; for the silhouette modes (extrude,
// inflate) the object itself, not the canvas around it, scaled uniformly so that its width is
// the requested Width (or its height the requested Height when only that is given) with its
// bounding box's corner on the origin — an extrusion keeps its Height along Z, an inflated shape
// scales along Z with X and Y unless Request.Depth sets its Z extent. A transform that changes
// nothing is not applied.
//
// It returns the mesh's new bounds: the old ones transformed, which is exact because every
// coordinate is mapped by the same non-decreasing function; and the transform.
func place(m *mesh.Mesh, pl *plan, in *backends.Input) (mesh.Box, mesh.Affine) {
	b := m.Bounds()
	if b.Empty() {
		return b, mesh.Identity()
	}
	width, height := pl.prep.width, pl.prep.height // as requested
	x0, y0 := 0.0, 0.0
	sx, sy, sz := 1.0, 1.0, 1.0
	switch {
	case pl.fullFrame():
		x0, y0 = float64(b.Min[0]), float64(b.Min[1])
		sx = pl.widthMM / (float64(b.Max[0]) - x0)
		sy = pl.heightMM / (float64(b.Max[1]) - y0)
	case pl.mode == backends.Lithophane:
		// A cylinder stands around the Z axis with the image's height along Z; its radius follows
		// from the width, which the backend keeps exact.
		sz = pl.heightMM / (float64(in.Height) * in.PixelSize)
	case silhouette(pl.mode):
		x0, y0 = float64(b.Min[0]), float64(b.Min[1])
		w, h := float64(b.Max[0])-x0, float64(b.Max[1])-y0
		switch {
		case width > 0 && height > 0: // both given: the object fills both exactly
			sx, sy = width/w, height/h
		case height > 0:
			sx = height / h
			sy = sx
		default:
			sx = orDefault(width, DefaultWidth) / w
			sy = sx
		}
		if pl.mode == backends.Inflate {
			sz = math.Sqrt(sx * sy)
		}
	}
	z0 := float64(b.Min[2])
	if pl.mode == backends.Inflate && pl.depth > 0 && b.Max[2] > b.Min[2] {
		sz = pl.depth / (float64(b.Max[2]) - z0)
	}
	if math.IsInf(sx, 0) || math.IsNaN(sx) || math.IsInf(sy, 0) || math.IsNaN(sy) {
		sx, sy = 1, 1
	}
	a := mesh.Translate(-x0, -y0, -z0).Then(mesh.Scale(sx, sy, sz))
	if a != mesh.Identity() {
		m.Transform(a)
		b = mesh.Box{Min: a.Apply(b.Min), Max: a.Apply(b.Max)}
	}
	return b, a
}
