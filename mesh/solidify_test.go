package mesh_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/internal/meshtest"
	"github.com/orfeas3d/orfeas/mesh"
)

// requireSolid fails unless m is closed and outward.
func requireSolid(t testing.TB, m *mesh.Mesh) mesh.Topology {
	t.Helper()
	top := m.Topology()
	if !top.Closed() || !top.Outward {
		t.Fatalf("not a closed outward solid: %+v", top)
	}
	return top
}

func TestSolidifyDefective(t *testing.T) {
	src := meshtest.Defective(20, 40, 64)
	if src.Topology().Closed() {
		t.Fatal("the defective source is closed")
	}
	out, rep, err := mesh.MakePrintable(context.Background(), src, mesh.PrintableOptions{
		Solidify: mesh.SolidifyOptions{Resolution: 96, FaceBudget: 8000},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Solidified || rep.Solidify == nil {
		t.Fatalf("repair alone was taken to close a mesh with a non-manifold edge: %+v", rep.Repair)
	}
	requireSolid(t, out)
	sr := rep.Solidify
	if len(out.Faces) > 8000 {
		t.Errorf("%d faces, budget 8000", len(out.Faces))
	}
	// Within a voxel of the source, but for the fin, a sheet 1 mm (0.05 r) proud of the surface
	// that has no inside and so vanishes.
	if sr.SourceToResult > 1+sr.Voxel || sr.MeanDistance > sr.Voxel/4 {
		t.Errorf("source to result %.3f mm, voxel %.3f mm", sr.SourceToResult, sr.Voxel)
	}
	if sr.Hausdorff <= 0 || sr.Hausdorff > 0.2*40*1.5 {
		t.Errorf("Hausdorff %.3f mm", sr.Hausdorff)
	}
	if !sr.ColorsCarried || len(out.Colors) != len(out.Positions) {
		t.Fatalf("colours not carried: %v, %d for %d vertices", sr.ColorsCarried, len(out.Colors), len(out.Positions))
	}
	// Bottom red, top blue, as in the source.
	var lo, hi int
	for i, p := range out.Positions {
		if p[2] < -25 && out.Colors[i][0] < 200 {
			lo++
		}
		if p[2] > 20 && out.Colors[i][2] < 150 {
			hi++
		}
	}
	if lo > 0 || hi > 0 {
		t.Errorf("%d bottom vertices not red, %d top vertices not blue", lo, hi)
	}
	b := out.Bounds().Size()
	if b[0] < 38 || b[0] > 42 || b[2] < 52 || b[2] > 58 {
		t.Errorf("size %v, want about 40 × 40 × 55", b)
	}
}

func TestSolidifyTexture(t *testing.T) {
	src := meshtest.DefectiveTextured(20, 30, 48)
	out, rep, err := mesh.Solidify(context.Background(), src, mesh.SolidifyOptions{Resolution: 64})
	if err != nil {
		t.Fatal(err)
	}
	requireSolid(t, out)
	if !rep.ColorsCarried || out.UVs != nil || out.Texture != nil {
		t.Fatalf("texture not turned into vertex colours")
	}
	var wrong int
	for i, p := range out.Positions {
		c := out.Colors[i]
		if p[0] < -3 && c[0] < 200 || p[0] > 3 && c[1] < 150 {
			wrong++
		}
	}
	if wrong > len(out.Positions)/100 {
		t.Errorf("%d of %d vertices have the wrong side's colour", wrong, len(out.Positions))
	}
}

func TestSolidifyClosedKeepsShape(t *testing.T) {
	src := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{10, 20, 30})
	out, rep, err := mesh.Solidify(context.Background(), src, mesh.SolidifyOptions{Resolution: 60})
	if err != nil {
		t.Fatal(err)
	}
	top := requireSolid(t, out)
	if v := top.Volume; v < 6000*0.97 || v > 6000*1.03 {
		t.Errorf("volume %.1f mm³, want 6000", v)
	}
	if rep.LeakyRays != 0 {
		t.Errorf("%d leaky rays through a closed box", rep.LeakyRays)
	}
	// Marching cubes on a distance field bevels the box's edges and corners by under a voxel
	// and a half.
	if rep.Hausdorff > 1.5*rep.Voxel {
		t.Errorf("Hausdorff %.3f mm over the voxel %.3f mm", rep.Hausdorff, rep.Voxel)
	}
}

func TestSolidifyDeterministic(t *testing.T) {
	src := meshtest.Defective(10, 16, 24)
	a, _, err := mesh.Solidify(context.Background(), src, mesh.SolidifyOptions{Resolution: 40, FaceBudget: 1000})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := mesh.Solidify(context.Background(), src, mesh.SolidifyOptions{Resolution: 40, FaceBudget: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.Positions, a.Faces, a.Colors) != fmt.Sprint(b.Positions, b.Faces, b.Colors) {
		t.Fatal("two runs differ")
	}
}

func TestSolidifyErrors(t *testing.T) {
	ctx := context.Background()
	box := meshtest.Cuboid([3]float32{0, 0, 0}, [3]float32{1, 1, 1})
	for name, c := range map[string]struct {
		m    *mesh.Mesh
		opt  mesh.SolidifyOptions
		want error
	}{
		"nil":             {nil, mesh.SolidifyOptions{}, mesh.ErrInvalid},
		"empty":           {&mesh.Mesh{}, mesh.SolidifyOptions{}, mesh.ErrInvalid},
		"flat":            {&mesh.Mesh{Positions: [][3]float32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}}, Faces: [][3]uint32{{0, 1, 2}}}, mesh.SolidifyOptions{Resolution: 8}, mesh.ErrInvalid},
		"resolution":      {box, mesh.SolidifyOptions{Resolution: 100000}, mesh.ErrInvalidOptions},
		"tiny voxel":      {box, mesh.SolidifyOptions{Voxel: 1e-6}, mesh.ErrInvalidOptions},
		"negative budget": {box, mesh.SolidifyOptions{FaceBudget: -1}, mesh.ErrInvalidOptions},
	} {
		if _, _, err := mesh.Solidify(ctx, c.m, c.opt); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := mesh.Solidify(cctx, box, mesh.SolidifyOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

var solidifyBig = flag.Bool("solidify.big", false, "run the 500k-face solidify figures in tests")

// BenchmarkSolidifyQuality reports solidify time and Hausdorff distance on a 500k-face open,
// defective mesh (repaired first, as MakePrintable does: its floater removed) at each quality
// level's resolution (see backends/hunyuan: 96, 160, 256, 384).
func BenchmarkSolidifyQuality(b *testing.B) {
	src, _, err := mesh.Repair(context.Background(), meshtest.Defective(500, 385, 770), mesh.RepairOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct {
		name   string
		res    int
		budget int
	}{{"draft", 96, 50000}, {"standard", 160, 200000}, {"high", 256, 500000}, {"ultra", 384, 2000000}} {
		b.Run(q.name, func(b *testing.B) {
			var rep mesh.SolidifyReport
			for b.Loop() {
				var err error
				_, rep, err = mesh.Solidify(context.Background(), src, mesh.SolidifyOptions{Resolution: q.res, FaceBudget: q.budget})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(rep.Voxel, "voxel_mm")
			b.ReportMetric(rep.Hausdorff, "hausdorff_mm")
			b.ReportMetric(rep.SourceToResult, "src_to_result_mm")
			b.ReportMetric(float64(rep.FacesAfter), "faces")
		})
	}
}

func TestSolidifyBig(t *testing.T) {
	if !*solidifyBig {
		t.Skip("500k-face solidify: run with -solidify.big")
	}
	src := meshtest.Defective(500, 385, 770)
	t.Logf("source: %d faces", len(src.Faces))
	start := time.Now()
	out, rep, err := mesh.Solidify(context.Background(), src, mesh.SolidifyOptions{Resolution: 160, FaceBudget: 200000})
	if err != nil {
		t.Fatal(err)
	}
	requireSolid(t, out)
	t.Logf("%v: %+v", time.Since(start), rep)
}
