/*
 * mc.cu: marching cubes (Lorensen & Cline 1987) with the case table of mesh.Isosurface
 * (mc_table.h, generated from package mesh), producing the same mesh: the same vertices in the
 * same order and the same triangles in the same order.
 *
 * Vertices: one per crossed lattice edge. mesh.Isosurface numbers them plane by plane: in plane
 * k, row by row, the row's x edges then its y edges; then the z edges from plane k to k+1, row by
 * row; then plane k+1. Here the crossed edges are bits in exactly that order, each row's x, y or
 * z run padded to nxw 32-bit words:
 *
 *   word (k·3·ny + 2j + 0)·nxw + i/32   x edge from sample (i, j, k)
 *   word (k·3·ny + 2j + 1)·nxw + i/32   y edge from sample (i, j, k)
 *   word (k·3·ny + 2ny + j)·nxw + i/32  z edge from sample (i, j, k)
 *
 * so a vertex's number is the exclusive prefix sum of the words' population counts (scan.cu)
 * plus the set bits below it in its word.
 *
 * Triangles: cell (i, j, k) (lowest corner) emits its case's triangles; cells are numbered like
 * samples, which is mesh.Isosurface's order (layer, row, column), so a prefix sum of the cells'
 * triangle counts places them.
 */
#include "orfeas_cuda.h"
#include "args.h"
#include "mc_table.h"

/* mc_eps is mesh.Isosurface's isoEps: vertices stay 1/512 of a voxel inside their edge. */
#define MC_EPS (1.0 / 512)

KERNEL mc_classify(struct mc_classify_args a)
{
	unsigned int s = GLOBAL_ID();
	float v;
	if (s >= a.n)
		return;
	v = a.v[s];
	a.in8[s] = v < a.level ? 1 : 0;
	if (v != v)
		a.nan[0] = 1;
}

/* mc_unword inverts mc_word: the layer k, row j, edge kind (0 x, 1 y, 2 z) and word column wc of
 * crossed-edge bit word w. Each layer holds, per row, an x and a y word row, then the z rows. */
DEVFN void mc_unword(unsigned int w, int ny, int nxw, unsigned int *k, unsigned int *j, unsigned int *kind, unsigned int *wc)
{
	unsigned int per = 3u * (unsigned int)ny * (unsigned int)nxw;
	unsigned int r = w % per;
	unsigned int seg = r / (unsigned int)nxw;
	*k = w / per;
	*wc = r % (unsigned int)nxw;
	if (seg < 2u * (unsigned int)ny) {
		*j = seg / 2;
		*kind = seg & 1;
	} else {
		*j = seg - 2u * (unsigned int)ny;
		*kind = 2;
	}
}

KERNEL mc_edges(struct mc_edges_args a)
{
	unsigned int w = GLOBAL_ID();
	unsigned int k, wc, kind, j, b, bits = 0;
	unsigned long long base, stride;
	int i0, lim;
	if (w >= a.nwords)
		return;
	mc_unword(w, a.ny, a.nxw, &k, &j, &kind, &wc);
	i0 = (int)wc * 32;
	lim = a.nx;
	if (kind == 0) {
		lim = a.nx - 1;
		stride = 1;
	} else if (kind == 1) {
		if ((int)j >= a.ny - 1)
			lim = 0;
		stride = (unsigned long long)a.nx;
	} else {
		if ((int)k >= a.nz - 1)
			lim = 0;
		stride = (unsigned long long)a.nx * (unsigned long long)a.ny;
	}
	base = ((unsigned long long)k * (unsigned long long)a.ny + j) * (unsigned long long)a.nx;
	for (b = 0; b < 32 && i0 + (int)b < lim; b++) {
		unsigned long long s = base + (unsigned long long)(i0 + (int)b);
		bits |= (u32)(a.in8[s] ^ a.in8[s + stride]) << b;
	}
	a.bits[w] = bits;
}

/* mc_case is the case index of cell (i, j, k): bit c set when corner c is inside. */
DEVFN u32 mc_case(const u8 *in8, int nx, int ny, int i, int j, int k)
{
	unsigned long long sx = 1, sy = (unsigned long long)nx, sz = (unsigned long long)nx * (unsigned long long)ny;
	unsigned long long s = ((unsigned long long)k * ny + j) * nx + i;
	return (u32)in8[s] | (u32)in8[s + sx] << 1 | (u32)in8[s + sy] << 2 | (u32)in8[s + sy + sx] << 3 |
	       (u32)in8[s + sz] << 4 | (u32)in8[s + sz + sx] << 5 | (u32)in8[s + sz + sy] << 6 |
	       (u32)in8[s + sz + sy + sx] << 7;
}

KERNEL mc_cells(struct mc_cells_args a)
{
	unsigned int s = GLOBAL_ID();
	unsigned int plane = (unsigned int)a.nx * (unsigned int)a.ny;
	int i, j, k;
	u32 c;
	if (s >= a.n)
		return;
	k = (int)(s / plane);
	j = (int)((s % plane) / (unsigned int)a.nx);
	i = (int)(s % (unsigned int)a.nx);
	if (i >= a.nx - 1 || j >= a.ny - 1 || k >= a.nz - 1) {
		a.ntri[s] = 0;
		return;
	}
	c = mc_case(a.in8, a.nx, a.ny, i, j, k);
	a.ntri[s] = (u8)((mc_tri_start[c + 1] - mc_tri_start[c]) / 3);
}

/* mc_word returns the word holding the bit of the edge of the given kind from sample (i, j, k). */
DEVFN unsigned long long mc_word(int kind, int i, int j, int k, int ny, int nxw)
{
	unsigned long long row;
	if (kind == 2)
		row = (unsigned long long)k * 3 * ny + 2 * (unsigned long long)ny + j;
	else
		row = (unsigned long long)k * 3 * ny + 2 * (unsigned long long)j + kind;
	return row * nxw + (unsigned long long)(i >> 5);
}

DEVFN u32 mc_vid(const u32 *bits, const u32 *wpre, int kind, int i, int j, int k, int ny, int nxw)
{
	unsigned long long w = mc_word(kind, i, j, k, ny, nxw);
	u32 below = (1u << (i & 31)) - 1u;
	return wpre[w] + (u32)POPC(bits[w] & below);
}

KERNEL mc_verts(struct mc_verts_args a)
{
	unsigned int w = GLOBAL_ID();
	unsigned int k, wc, kind, j;
	u32 bits, id;
	unsigned long long base, stride;
	if (w >= a.nwords)
		return;
	bits = a.bits[w];
	if (bits == 0)
		return;
	mc_unword(w, a.ny, a.nxw, &k, &j, &kind, &wc);
	stride = kind == 0 ? 1 : kind == 1 ? (unsigned long long)a.nx : (unsigned long long)a.nx * (unsigned long long)a.ny;
	base = ((unsigned long long)k * (unsigned long long)a.ny + j) * (unsigned long long)a.nx;
	id = a.wpre[w];
	while (bits) {
		int b = __builtin_ctz(bits);
		int i = (int)wc * 32 + b;
		unsigned long long s = base + (unsigned long long)i;
		double v0 = (double)a.v[s], v1 = (double)a.v[s + stride];
		double t = ((double)a.level - v0) / (v1 - v0);
		double p[3];
		if (t >= MC_EPS && t <= 1 - MC_EPS) {
		} else if (t > 1 - MC_EPS) {
			t = 1 - MC_EPS;
		} else if (t < MC_EPS) {
			t = MC_EPS;
		} else { /* NaN, from -Inf to +Inf */
			t = 0.5;
		}
		p[0] = (double)i;
		p[1] = (double)j;
		p[2] = (double)k;
		p[kind] += t;
		a.pos[3 * (unsigned long long)id + 0] = (float)(a.ox + a.voxel * p[0]);
		a.pos[3 * (unsigned long long)id + 1] = (float)(a.oy + a.voxel * p[1]);
		a.pos[3 * (unsigned long long)id + 2] = (float)(a.oz + a.voxel * p[2]);
		id++;
		bits &= bits - 1;
	}
}

KERNEL mc_faces(struct mc_faces_args a)
{
	unsigned int t = GLOBAL_ID();
	unsigned int plane = (unsigned int)a.nx * (unsigned int)a.ny;
	unsigned long long lo = (unsigned long long)t * a.chunk, hi = lo + a.chunk, s, f;
	if (lo >= a.n)
		return;
	if (hi > a.n)
		hi = a.n;
	f = a.offs[t];
	for (s = lo; s < hi; s++) {
		int i, j, k, e;
		u32 c, idx[12];
		if (a.ntri[s] == 0)
			continue;
		k = (int)(s / plane);
		j = (int)((s % plane) / (unsigned int)a.nx);
		i = (int)(s % (unsigned int)a.nx);
		c = mc_case(a.in8, a.nx, a.ny, i, j, k);
		idx[0] = mc_vid(a.bits, a.wpre, 0, i, j, k, a.ny, a.nxw);
		idx[1] = mc_vid(a.bits, a.wpre, 0, i, j + 1, k, a.ny, a.nxw);
		idx[2] = mc_vid(a.bits, a.wpre, 0, i, j, k + 1, a.ny, a.nxw);
		idx[3] = mc_vid(a.bits, a.wpre, 0, i, j + 1, k + 1, a.ny, a.nxw);
		idx[4] = mc_vid(a.bits, a.wpre, 1, i, j, k, a.ny, a.nxw);
		idx[5] = mc_vid(a.bits, a.wpre, 1, i + 1, j, k, a.ny, a.nxw);
		idx[6] = mc_vid(a.bits, a.wpre, 1, i, j, k + 1, a.ny, a.nxw);
		idx[7] = mc_vid(a.bits, a.wpre, 1, i + 1, j, k + 1, a.ny, a.nxw);
		idx[8] = mc_vid(a.bits, a.wpre, 2, i, j, k, a.ny, a.nxw);
		idx[9] = mc_vid(a.bits, a.wpre, 2, i + 1, j, k, a.ny, a.nxw);
		idx[10] = mc_vid(a.bits, a.wpre, 2, i, j + 1, k, a.ny, a.nxw);
		idx[11] = mc_vid(a.bits, a.wpre, 2, i + 1, j + 1, k, a.ny, a.nxw);
		for (e = mc_tri_start[c]; e + 2 < mc_tri_start[c + 1]; e += 3) {
			a.faces[3 * f + 0] = idx[mc_tri_edges[e]];
			a.faces[3 * f + 1] = idx[mc_tri_edges[e + 1]];
			a.faces[3 * f + 2] = idx[mc_tri_edges[e + 2]];
			f++;
		}
	}
}
