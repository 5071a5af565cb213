package mesh

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNormalAtan checks the documented bound of the polynomial arctangent, 2e-8 rad on [−1, 1]
// (Abramowitz & Stegun 4.4.49), on a dense grid and just beyond ±1, where normalCornerAngle may
// call it after rounding.
func TestNormalAtan(t *testing.T) {
	const n = 1 << 20
	worst, at := 0.0, 0.0
	check := func(x float64) {
		if e := math.Abs(normalAtan(x) - math.Atan(x)); e > worst {
			worst, at = e, x
		}
	}
	for i := -n; i <= n; i++ {
		check(float64(i) / n)
	}
	for _, x := range []float64{1 + 1e-15, -1 - 1e-15, 1 + 4e-16, math.SmallestNonzeroFloat64, -1e-300} {
		check(x)
	}
	if worst > 2e-8 {
		t.Fatalf("|normalAtan − atan| = %.3g at %v, above the 2e-8 bound", worst, at)
	}
	if normalAtan(0) != 0 || math.Signbit(normalAtan(math.Copysign(0, -1))) != true {
		t.Error("normalAtan(±0) is not ±0")
	}
}

// TestNormalCornerAngle compares the corner angle against math.Atan2 on random triangles of
// every shape (slivers, needles, nearly flat, obtuse) and scale.
func TestNormalCornerAngle(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 14))
	worst := 0.0
	for range 200_000 {
		scale := math.Pow(10, r.Float64()*12-6)
		var p [3][3]float64
		for i := range p {
			for a := range 3 {
				p[i][a] = r.NormFloat64() * scale
			}
		}
		if r.IntN(4) == 0 { // squash towards a line: angles near 0 and π
			for a := range 3 {
				p[2][a] = p[0][a] + (p[1][a]-p[0][a])*r.Float64()*3 + p[2][a]*math.Pow(10, -r.Float64()*6)
			}
		}
		u, v := sub3f64(p[1], p[0]), sub3f64(p[2], p[0])
		l := math.Sqrt(dot64(cross64(u, v), cross64(u, v)))
		if l == 0 {
			continue
		}
		x := dot64(u, v)
		if e := math.Abs(normalCornerAngle(x, l, 1/l) - math.Atan2(l, x)); e > worst {
			worst = e
		}
	}
	if worst > 5e-8 {
		t.Fatalf("corner angle off by up to %.3g rad from math.Atan2", worst)
	}
}

func sub3f64(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// normalReference is the textbook angle-weighted vertex normal (Thürmer & Wüthrich 1998): every
// corner angle from math.Atan2, summed face by face in one run. It also returns, per vertex, the
// number of corners with a weight.
func normalReference(m *Mesh) (n [][3]float64, corners []int) {
	n = make([][3]float64, len(m.Positions))
	corners = make([]int, len(m.Positions))
	for _, f := range m.Faces {
		var p [3][3]float64
		for k := range 3 {
			p[k] = f64(m.Positions[f[k]])
		}
		c := cross64(sub3f64(p[1], p[0]), sub3f64(p[2], p[0]))
		l := math.Sqrt(dot64(c, c))
		if l == 0 {
			continue
		}
		for k := range 3 {
			e1, e2 := sub3f64(p[(k+1)%3], p[k]), sub3f64(p[(k+2)%3], p[k])
			a := math.Atan2(l, dot64(e1, e2))
			for j := range 3 {
				n[f[k]][j] += c[j] / l * a
			}
			corners[f[k]]++
		}
	}
	return n, corners
}

// normalTestMeshes returns a smooth closed surface, a noisy one large enough to be split into
// parts, and a random soup whose vertices see faces of every orientation.
func normalTestMeshes() map[string]*Mesh {
	r := rand.New(rand.NewPCG(7, 7))
	noisy := uvSphere(10, 150, 300) // above normalPartMinFaces
	if len(noisy.Faces) < normalPartMinFaces {
		panic("noisy sphere too small to be split")
	}
	for i := range noisy.Positions {
		for a := range 3 {
			noisy.Positions[i][a] += float32(r.NormFloat64() * 0.02)
		}
	}
	soup := &Mesh{Positions: make([][3]float32, 300)}
	for i := range soup.Positions {
		soup.Positions[i] = [3]float32{float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())}
	}
	for range 3000 {
		soup.Faces = append(soup.Faces, [3]uint32{uint32(r.IntN(300)), uint32(r.IntN(300)), uint32(r.IntN(300))})
	}
	return map[string]*Mesh{"torus": torus(20, 5, 48, 24), "noisy-sphere": noisy, "soup": soup}
}

// TestVertexNormalsMatchReference checks the fast angle-weighted normals against
// normalReference: unit length, and no further from the reference direction than float32
// rounding (1e-6 allowed) and the arctangent's error explain. Each corner angle is within
// 2·2e-8 rad of the exact one (the third is π minus two approximations), so the sum s of c
// corners moves by at most δ = c·4e-8, and its direction by at most 2δ/|s|: where the weighted
// face normals nearly cancel, the direction is ill-conditioned and the allowance grows.
func TestVertexNormalsMatchReference(t *testing.T) {
	for name, m := range normalTestMeshes() {
		ref, corners := normalReference(m)
		got := m.VertexNormals(AngleWeighted)
		worst := 0.0
		for i, n := range got {
			r := ref[i]
			rl := math.Sqrt(dot64(r, r))
			if corners[i] == 0 || rl < 1e-9 {
				continue // unused, or cancelling to nothing
			}
			nl := math.Sqrt(dot64(f64(n), f64(n)))
			if math.Abs(nl-1) > 1e-6 {
				t.Fatalf("%s: normal %d = %v has length %v", name, i, n, nl)
			}
			d := sub3f64(f64(n), [3]float64{r[0] / rl, r[1] / rl, r[2] / rl})
			e := math.Sqrt(dot64(d, d))
			if tol := 1e-6 + 8e-8*float64(corners[i])/rl; e > tol {
				t.Fatalf("%s: normal %d = %v is %.3g from the reference %v (allowed %.3g)", name, i, n, e, r, tol)
			}
			worst = max(worst, e)
		}
		t.Logf("%s: largest deviation from the math.Atan2 reference %.3g", name, worst)
	}
}

// TestAreaWeightedNormalsReference compares VertexNormals(AreaWeighted) with the definition
// computed plainly: the sum over a vertex's faces of the face cross product (twice the area
// times the unit normal), normalised. The mesh is a jittered sphere above normalPartMinFaces, so
// the split into runs of faces is exercised too.
func TestAreaWeightedNormalsReference(t *testing.T) {
	m := uvSphere(10, 130, 260)
	if len(m.Faces) < normalPartMinFaces {
		t.Fatalf("%d faces, want at least %d", len(m.Faces), normalPartMinFaces)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range m.Positions {
		for a := range 3 {
			m.Positions[i][a] += float32(rng.Float64()-0.5) * 0.05
		}
	}
	sums := make([][3]float64, len(m.Positions))
	for _, f := range m.Faces {
		c := triCross(m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]])
		for _, v := range f {
			for a := range 3 {
				sums[v][a] += c[a]
			}
		}
	}
	got := m.VertexNormals(AreaWeighted)
	for i, s := range sums {
		l := math.Sqrt(s[0]*s[0] + s[1]*s[1] + s[2]*s[2])
		for a := range 3 {
			if d := math.Abs(float64(got[i][a]) - s[a]/l); d > 1e-5 {
				t.Fatalf("vertex %d: AreaWeighted normal %v, reference %v", i, got[i], [3]float64{s[0] / l, s[1] / l, s[2] / l})
			}
		}
	}
	// The weighting matters: angle weighting differs from the reference on this mesh.
	ang := m.VertexNormals(AngleWeighted)
	differs := false
	for i := range ang {
		if ang[i] != got[i] {
			differs = true
			break
		}
	}
	if !differs {
		t.Fatal("AngleWeighted equals AreaWeighted everywhere: the reference proves nothing")
	}
}
