package backends

import "github.com/orfeas3d/orfeas/mesh"

// Printable says what a backend did to make a mesh it did not build itself printable (the
// hunyuan backend's server models; mesh.MakePrintable's figures, in short). Lengths are in mm.
type Printable struct {
	// Repaired is set when mesh.Repair ran (it always runs first); Solidified when repair alone
	// could not close the mesh and mesh.Solidify rebuilt it on a grid of VoxelMM voxels.
	Repaired   bool    `json:"repaired"`
	Solidified bool    `json:"solidified"`
	VoxelMM    float64 `json:"voxel_mm,omitempty"`
	// HausdorffMM is the solidified surface's Hausdorff distance to the source (the larger of
	// SourceToResultMM and ResultToSourceMM, the two one-sided distances); 0 when repair alone
	// closed the mesh, which moves no vertex.
	HausdorffMM      float64 `json:"hausdorff_mm"`
	SourceToResultMM float64 `json:"source_to_result_mm"`
	ResultToSourceMM float64 `json:"result_to_source_mm"`
	// What repair changed: vertices welded, degenerate and duplicate faces dropped, faces
	// flipped, holes filled, floaters (small separate components) removed and their faces.
	WeldedVertices  int `json:"welded_vertices"`
	DegenerateFaces int `json:"dropped_degenerate_faces"`
	DuplicateFaces  int `json:"dropped_duplicate_faces"`
	FlippedFaces    int `json:"flipped_faces"`
	HolesFilled     int `json:"holes_filled"`
	FloatersRemoved int `json:"floaters_removed"`
	FloaterFaces    int `json:"floater_faces"`
	// FacesBefore is the source's face count, FacesAfter the printable mesh's (before any
	// simplification to the face budget, which Report.Faces and the generator's report follow).
	FacesBefore int `json:"faces_before"`
	FacesAfter  int `json:"faces_after"`
}

// NewPrintable returns the figures of a mesh.MakePrintable run that made a mesh of facesAfter
// faces.
func NewPrintable(r mesh.PrintableReport, facesAfter int) *Printable {
	p := &Printable{
		Repaired: true, Solidified: r.Solidified,
		WeldedVertices: r.Repair.WeldedVertices, DegenerateFaces: r.Repair.DroppedDegenerateFaces,
		DuplicateFaces: r.Repair.DroppedDuplicateFaces, FlippedFaces: r.Repair.FlippedFaces,
		HolesFilled: r.Repair.HolesFilled, FloatersRemoved: r.Repair.RemovedComponents,
		FloaterFaces: r.Repair.RemovedComponentFaces,
		FacesBefore:  r.Repair.Before.Faces, FacesAfter: facesAfter,
	}
	if s := r.Solidify; s != nil {
		p.VoxelMM, p.HausdorffMM = s.Voxel, s.Hausdorff
		p.SourceToResultMM, p.ResultToSourceMM = s.SourceToResult, s.ResultToSource
	}
	return p
}

// Scaled returns a copy of p with its lengths multiplied by s (a uniform rescale of the mesh;
// for a non-uniform one, its largest factor makes them bounds). A nil p stays nil.
func (p *Printable) Scaled(s float64) *Printable {
	if p == nil {
		return nil
	}
	q := *p
	q.VoxelMM *= s
	q.HausdorffMM *= s
	q.SourceToResultMM *= s
	q.ResultToSourceMM *= s
	return &q
}
