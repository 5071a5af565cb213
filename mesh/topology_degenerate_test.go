package mesh

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// isDegenerateFormula is isDegenerate's plain formula, the reference its fast form is held to.
func isDegenerateFormula(m *Mesh, i int) bool {
	f := m.Faces[i]
	a, b, c := m.Positions[f[0]], m.Positions[f[1]], m.Positions[f[2]]
	l := max(dot64(sub64(b, a), sub64(b, a)), dot64(sub64(c, b), sub64(c, b)), dot64(sub64(a, c), sub64(a, c)))
	return l == 0 || norm64(triCross(a, b, c)) <= DegenerateRatio*l
}

// TestIsDegenerateMatchesFormula holds isDegenerate to the plain formula on random triangles,
// on slivers straddling the threshold (where the squared pre-test must defer to the square
// root), on repeated and coincident points, and at extreme coordinates.
func TestIsDegenerateMatchesFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := &Mesh{}
	add := func(a, b, c [3]float32) {
		n := uint32(len(m.Positions))
		m.Positions = append(m.Positions, a, b, c)
		m.Faces = append(m.Faces, [3]uint32{n, n + 1, n + 2})
	}
	r := func(s float64) float32 { return float32((rng.Float64()*2 - 1) * s) }
	for range 20000 {
		s := math.Pow(10, rng.Float64()*60-30)
		add([3]float32{r(s), r(s), r(s)}, [3]float32{r(s), r(s), r(s)}, [3]float32{r(s), r(s), r(s)})
	}
	// Slivers: c on the segment ab lifted by a height near DegenerateRatio·|ab|, so that both
	// verdicts occur and many fall within float rounding of the threshold.
	for range 200000 {
		s := math.Pow(10, rng.Float64()*20-10)
		a := [3]float32{r(s), r(s), r(s)}
		b := [3]float32{r(s), r(s), r(s)}
		u := rng.Float64()
		h := float32(DegenerateRatio * s * (0.5 + rng.Float64()) * 2)
		c := [3]float32{a[0] + float32(u)*(b[0]-a[0]) + h*float32(rng.NormFloat64()), a[1] + float32(u)*(b[1]-a[1]), a[2] + float32(u)*(b[2]-a[2])}
		add(a, b, c)
	}
	big := float32(math.MaxFloat32)
	add([3]float32{1, 2, 3}, [3]float32{1, 2, 3}, [3]float32{1, 2, 3})
	add([3]float32{1, 2, 3}, [3]float32{1, 2, 3}, [3]float32{4, 5, 6})
	add([3]float32{-big, -big, -big}, [3]float32{big, big, big}, [3]float32{big, -big, big})
	add([3]float32{-big, -big, -big}, [3]float32{big, big, big}, [3]float32{0, 0, 0})
	tiny := float32(math.SmallestNonzeroFloat32)
	add([3]float32{0, 0, 0}, [3]float32{tiny, 0, 0}, [3]float32{0, tiny, 0})
	add([3]float32{0, 0, 0}, [3]float32{tiny, 0, 0}, [3]float32{2 * tiny, 0, 0})
	seen := [2]int{}
	for i := range m.Faces {
		want := isDegenerateFormula(m, i)
		if got := isDegenerate(m, i); got != want {
			t.Fatalf("face %d %v: isDegenerate %v, formula %v", i, m.Faces[i], got, want)
		}
		if want {
			seen[1]++
		} else {
			seen[0]++
		}
	}
	if seen[0] == 0 || seen[1] < 1000 {
		t.Fatalf("the cases do not straddle the threshold: %d not degenerate, %d degenerate", seen[0], seen[1])
	}
}

// TestSqrtAtMost holds the squared pre-test to the square root on q within a few ulps and
// within the pre-test's band of r², where the two must agree bit for bit.
func TestSqrtAtMost(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		r := math.Pow(10, rng.Float64()*200-100)
		r2 := r * r
		qs := []float64{r2, r2 * (1 - 1e-12), r2 * (1 + 1e-12), r2 * (1 - 2e-12), r2 * (1 + 2e-12), r2 * (1 + rng.NormFloat64()*1e-12)}
		q := r2
		for range 4 {
			q = math.Nextafter(q, 0)
			qs = append(qs, q)
		}
		q = r2
		for range 4 {
			q = math.Nextafter(q, math.Inf(1))
			qs = append(qs, q)
		}
		for _, q := range qs {
			if got, want := sqrtAtMost(q, r), math.Sqrt(q) <= r; got != want {
				t.Fatalf("sqrtAtMost(%v, %v) = %v, Sqrt says %v", q, r, got, want)
			}
		}
	}
}

// TestEdgeTableSameOnEveryGOMAXPROCS checks that the edge table, whose buckets are sorted on
// several goroutines, is the table of one serial pass: the same half-edges in the same order and
// the same groups for GOMAXPROCS 1, 3 and 8, on a mesh large enough to be split, with some high
// valence vertices (a fan) whose buckets take the library sort.
func TestEdgeTableSameOnEveryGOMAXPROCS(t *testing.T) {
	m := uvSphere(40, 300, 300)
	// A fan of 100 faces around one new vertex, glued to nothing: buckets over 24 entries.
	c := uint32(len(m.Positions))
	m.Positions = append(m.Positions, [3]float32{0, 0, 5})
	for i := range 100 {
		n := uint32(len(m.Positions))
		a := float64(i) * 2 * math.Pi / 100
		m.Positions = append(m.Positions, [3]float32{float32(math.Cos(a)), float32(math.Sin(a)), 5})
		if i > 0 {
			m.Faces = append(m.Faces, [3]uint32{c, n - 1, n})
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(1)
	want := newEdgeTable(m)
	if len(want.he) < edgeParallelHalfEdges {
		t.Fatalf("%d half-edges: too few to split", len(want.he))
	}
	for _, p := range []int{3, 8} {
		runtime.GOMAXPROCS(p)
		got := newEdgeTable(m)
		if !slices.Equal(got.he, want.he) || !slices.Equal(got.start, want.start) {
			t.Fatalf("GOMAXPROCS %d: the edge table differs from GOMAXPROCS 1's", p)
		}
	}
}

// TestHalfEdgeCorners checks that a half-edge's corners, found from its k and fwd, are those
// cornerOf finds by reading the face, on random faces over few vertices, many of them repeating
// an index or duplicated.
func TestHalfEdgeCorners(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := &Mesh{Positions: make([][3]float32, 9)}
	for range 5000 {
		m.Faces = append(m.Faces, [3]uint32{uint32(rng.IntN(9)), uint32(rng.IntN(9)), uint32(rng.IntN(9))})
	}
	et := newEdgeTable(m)
	repeats := 0
	for _, h := range et.he {
		lo, hi := h.corners(m)
		if lo != cornerOf(m, h.face, h.lo) || hi != cornerOf(m, h.face, h.hi) {
			t.Fatalf("half-edge %+v of face %v: corners %d, %d; cornerOf %d, %d", h, m.Faces[h.face],
				lo, hi, cornerOf(m, h.face, h.lo), cornerOf(m, h.face, h.hi))
		}
		if h.repeats {
			repeats++
		}
	}
	if repeats == 0 || repeats == len(et.he) {
		t.Fatalf("%d of %d half-edges in faces repeating an index: not both kinds", repeats, len(et.he))
	}
}
