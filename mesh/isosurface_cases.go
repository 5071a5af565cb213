package mesh

// IsosurfaceCases returns a copy of the marching-cubes case table that Isosurface uses, so that
// another implementation (the CUDA backend's kernels) can produce the same surface. The triangles
// of case c are the edge triples edges[start[c]:start[c+1]], wound counter-clockwise seen from
// outside. Bit k of a case is set when corner k, at offset (k&1, k>>1&1, k>>2&1) in the cell, is
// inside (below the level); edge e runs along x for e = 0..3 at (y, z) = (e&1, e>>1), along y for
// e = 4..7 at (x, z) = ((e-4)&1, (e-4)>>1), and along z for e = 8..11 at (x, y) = ((e-8)&1, (e-8)>>1).
func IsosurfaceCases() (start [257]uint16, edges []uint8) {
	return isoTab.start, append([]uint8(nil), isoTab.edges...)
}
