/*
 * rtin.cu: the error bounds of the right-triangulated irregular network (backends/cuda/internal/rtin,
 * rtin.go, which explains the hierarchy and is the reference these kernels follow function for
 * function). rx x ry root squares of side n = 2^K; the grid's rectangle R = [0, w-1] x [0, h-1];
 * lattice rows of rx*n + 1 points.
 *
 *  rtin_own:      one thread per sample: its error against every triangle of every level that
 *                 contains it, maximised into the triangle's diamond (float32 bits, rounded up,
 *                 atomic maximum: the result does not depend on the order).
 *  rtin_sat_odd:  one thread per side of the squares of side s: the diamond at the side's
 *                 midpoint takes the largest of its own error and its children's (+Inf where
 *                 one of its triangles overlaps R without lying in it), and its weight in the
 *                 cost of a cut.
 *  rtin_sat_even: the same for the squares of side s, at their centres.
 * The host launches rtin_sat_odd then rtin_sat_even for s = 2, 4, ..., n, finest first.
 */
#include "orfeas_cuda.h"
#include "args.h"

/* A triangle: hypotenuse a-b, right angle at c. */
struct rtin_tri {
	int ax, ay, bx, by, cx, cy;
};

enum { RTIN_OUTSIDE, RTIN_PARTIAL, RTIN_INSIDE };

DEVFN struct rtin_tri rtin_make(int ax, int ay, int bx, int by, int cx, int cy)
{
	struct rtin_tri t;
	t.ax = ax;
	t.ay = ay;
	t.bx = bx;
	t.by = by;
	t.cx = cx;
	t.cy = cy;
	return t;
}

DEVFN int min3i(int a, int b, int c) { return mini(mini(a, b), c); }
DEVFN int max3i(int a, int b, int c) { return maxi(maxi(a, b), c); }

/* Lattice.state: inside, or separated from R along x, y, x+y or x-y, else partial. */
DEVFN int rtin_state(struct rtin_tri t, int w, int h)
{
	int wm = w - 1, hm = h - 1, k;
	if (t.ax <= wm && t.bx <= wm && t.cx <= wm && t.ay <= hm && t.by <= hm && t.cy <= hm)
		return RTIN_INSIDE;
	for (k = 0; k < 4; k++) {
		int dx = k == 1 ? 0 : 1;
		int dy = k == 0 ? 0 : (k == 3 ? -1 : 1);
		int pa = dx * t.ax + dy * t.ay, pb = dx * t.bx + dy * t.by, pc = dx * t.cx + dy * t.cy;
		int r0 = 0, r1 = dx * wm, r2 = dy * hm, r3 = dx * wm + dy * hm;
		int tlo = min3i(pa, pb, pc), thi = max3i(pa, pb, pc);
		int rlo = mini(mini(r0, r1), mini(r2, r3)), rhi = maxi(maxi(r0, r1), maxi(r2, r3));
		if (thi <= rlo || rhi <= tlo)
			return RTIN_OUTSIDE;
	}
	return RTIN_PARTIAL;
}

/* errAt: the vertical distance between sample (px, py) and the plane of t. */
DEVFN double rtin_err(const float *z, int w, struct rtin_tri t, int px, int py)
{
	long long ux = t.ax - t.cx, uy = t.ay - t.cy;
	long long vx = t.bx - t.cx, vy = t.by - t.cy;
	long long dx = px - t.cx, dy = py - t.cy;
	double l2 = (double)(ux * ux + uy * uy);
	double da = (double)(dx * ux + dy * uy);
	double db = (double)(dx * vx + dy * vy);
	double zc = (double)z[(long long)t.cy * w + t.cx];
	double za = (double)z[(long long)t.ay * w + t.ax] - zc;
	double zb = (double)z[(long long)t.by * w + t.bx] - zc;
	double num = da * za + db * zb;
	double r = (double)z[(long long)py * w + px] - (zc + num / l2);
	return __builtin_fabs(r);
}

union rtin_bits {
	float f;
	u32 u;
};

/* up32: the error rounded up to a float32, as its bits (non-negative floats order as their bits). */
DEVFN u32 rtin_up32(double e)
{
	union rtin_bits b;
	b.f = (float)e;
	if ((double)b.f < e)
		b.u++;
	return b.u;
}

/* squareHalf */
DEVFN struct rtin_tri rtin_half(int x0, int y0, int s, int u, int v, int main_diag)
{
	int x1 = x0 + s, y1 = y0 + s;
	if (main_diag) {
		if (v <= u)
			return rtin_make(x1, y1, x0, y0, x1, y0);
		return rtin_make(x0, y0, x1, y1, x0, y1);
	}
	if (u + v <= s)
		return rtin_make(x1, y0, x0, y1, x0, y0);
	return rtin_make(x0, y1, x1, y0, x1, y1);
}

/* quarter, with the midpoint of its hypotenuse in *mx, *my */
DEVFN struct rtin_tri rtin_quarter(int x0, int y0, int s, int q, int *mx, int *my)
{
	int x1 = x0 + s, y1 = y0 + s, cx = x0 + s / 2, cy = y0 + s / 2;
	switch (q) {
	case 0:
		*mx = cx;
		*my = y0;
		return rtin_make(x0, y0, x1, y0, cx, cy);
	case 1:
		*mx = x1;
		*my = cy;
		return rtin_make(x1, y0, x1, y1, cx, cy);
	case 2:
		*mx = cx;
		*my = y1;
		return rtin_make(x1, y1, x0, y1, cx, cy);
	}
	*mx = x0;
	*my = cy;
	return rtin_make(x0, y1, x0, y0, cx, cy);
}

DEVFN int rtin_in_quarter(int u, int v, int s, int q)
{
	switch (q) {
	case 0:
		return v <= u && u + v <= s;
	case 1:
		return v <= u && u + v >= s;
	case 2:
		return v >= u && u + v >= s;
	}
	return v >= u && u + v <= s;
}

/* tri.children: (c, a, m) and (b, c, m) */
DEVFN void rtin_children(struct rtin_tri t, struct rtin_tri *c1, struct rtin_tri *c2)
{
	int mx = (t.ax + t.bx) / 2, my = (t.ay + t.by) / 2;
	*c1 = rtin_make(t.cx, t.cy, t.ax, t.ay, mx, my);
	*c2 = rtin_make(t.bx, t.by, t.cx, t.cy, mx, my);
}

/* Lattice.weight: the faces the diamond's split adds to the closed solid. */
DEVFN u8 rtin_weight(int mx, int my, const struct rtin_tri *ts, int nt, int w, int h)
{
	int d = 0, j, wm = w - 1, hm = h - 1;
	for (j = 0; j < nt; j++) {
		struct rtin_tri c1, c2;
		if (rtin_state(ts[j], w, h) == RTIN_OUTSIDE)
			continue;
		d--;
		rtin_children(ts[j], &c1, &c2);
		if (rtin_state(c1, w, h) != RTIN_OUTSIDE)
			d++;
		if (rtin_state(c2, w, h) != RTIN_OUTSIDE)
			d++;
	}
	if (mx <= wm && my <= hm && (mx == 0 || my == 0 || mx == wm || my == hm))
		d += 3;
	return (u8)d;
}

DEVFN void rtin_update(const float *z, u32 *e, int w, int h, int stride, struct rtin_tri t, int mx, int my,
                       int x, int y)
{
	u32 b;
	u32 *p;
	if (rtin_state(t, w, h) != RTIN_INSIDE)
		return;
	b = rtin_up32(rtin_err(z, w, t, x, y));
	p = e + (long long)my * stride + mx;
	if (b > *p) /* values only grow: a stale read costs at most an extra atomic */
		ATOMIC_MAX_U32(p, b);
}

KERNEL rtin_own(struct rtin_own_args a)
{
	unsigned int i = GLOBAL_ID();
	int x, y, s;
	if (i >= (unsigned int)a.w * (unsigned int)a.h)
		return;
	x = (int)(i % (unsigned int)a.w);
	y = (int)(i / (unsigned int)a.w);
	for (s = a.n; s >= 2; s /= 2) {
		/* squaresAt along each axis */
		int kx = a.rx * a.n / s, ky = a.ry * a.n / s;
		int qx0 = x / s, qx1 = x / s, qy0 = y / s, qy1 = y / s, qx, qy;
		if (x % s == 0)
			qx0--;
		if (y % s == 0)
			qy0--;
		qx0 = maxi(qx0, 0);
		qy0 = maxi(qy0, 0);
		qx1 = mini(qx1, kx - 1);
		qy1 = mini(qy1, ky - 1);
		for (qy = qy0; qy <= qy1; qy++) {
			for (qx = qx0; qx <= qx1; qx++) {
				int x0 = qx * s, y0 = qy * s, u = x - x0, v = y - y0, q;
				if ((u == 0 || u == s) && (v == 0 || v == s))
					continue;
				rtin_update(a.z, a.e, a.w, a.h, a.rx * a.n + 1, rtin_half(x0, y0, s, u, v, (qx + qy) % 2 == 0),
				            x0 + s / 2, y0 + s / 2, x, y);
				if (u == s / 2 && v == s / 2)
					continue;
				for (q = 0; q < 4; q++) {
					if (rtin_in_quarter(u, v, s, q)) {
						int mx, my;
						struct rtin_tri t = rtin_quarter(x0, y0, s, q, &mx, &my);
						rtin_update(a.z, a.e, a.w, a.h, a.rx * a.n + 1, t, mx, my, x, y);
					}
				}
			}
		}
	}
}

/* satOdd */
KERNEL rtin_sat_odd(struct rtin_sat_args a)
{
	unsigned int t = GLOBAL_ID();
	int s = a.s, kx = a.rx * a.n / s, ky = a.ry * a.n / s, stride = a.rx * a.n + 1;
	int i, mx, my, nt = 0, j, hq, dmx, dmy;
	struct rtin_tri ts[2];
	float v;
	if (t >= (unsigned int)(kx * (ky + 1) + (kx + 1) * ky))
		return;
	i = (int)t;
	if (i < kx * (ky + 1)) {
		int r = i / kx, q = i % kx;
		if (r > 0)
			ts[nt++] = rtin_quarter(q * s, (r - 1) * s, s, 2, &dmx, &dmy);
		if (r < ky)
			ts[nt++] = rtin_quarter(q * s, r * s, s, 0, &dmx, &dmy);
		mx = q * s + s / 2;
		my = r * s;
	} else {
		int c, q;
		i -= kx * (ky + 1);
		c = i / ky;
		q = i % ky;
		if (c > 0)
			ts[nt++] = rtin_quarter((c - 1) * s, q * s, s, 1, &dmx, &dmy);
		if (c < kx)
			ts[nt++] = rtin_quarter(c * s, q * s, s, 3, &dmx, &dmy);
		mx = c * s;
		my = q * s + s / 2;
	}
	v = a.e[(long long)my * stride + mx];
	for (j = 0; j < nt; j++)
		if (rtin_state(ts[j], a.w, a.h) == RTIN_PARTIAL)
			v = INF_F32;
	hq = s / 4;
	if (hq > 0) {
		for (j = 0; j < 4; j++) {
			int cx = mx + (j % 2 == 0 ? -hq : hq), cy = my + (j < 2 ? -hq : hq);
			if (cx >= 0 && cy >= 0 && cx <= kx * s && cy <= ky * s)
				v = maxf32(v, a.e[(long long)cy * stride + cx]);
		}
	}
	a.e[(long long)my * stride + mx] = v;
	a.wt[(long long)my * stride + mx] = rtin_weight(mx, my, ts, nt, a.w, a.h);
}

/* satEven */
KERNEL rtin_sat_even(struct rtin_sat_args a)
{
	unsigned int t = GLOBAL_ID();
	int s = a.s, kx = a.rx * a.n / s, ky = a.ry * a.n / s, stride = a.rx * a.n + 1;
	int qx, qy, x0, y0, mx, my, hs, j;
	struct rtin_tri hv[2];
	float v;
	if (t >= (unsigned int)kx * (unsigned int)ky)
		return;
	qx = (int)t % kx;
	qy = (int)t / kx;
	x0 = qx * s;
	y0 = qy * s;
	mx = x0 + s / 2;
	my = y0 + s / 2;
	if ((qx + qy) % 2 == 0) {
		hv[0] = rtin_half(x0, y0, s, s, 0, 1);
		hv[1] = rtin_half(x0, y0, s, 0, s, 1);
	} else {
		hv[0] = rtin_half(x0, y0, s, 0, 0, 0);
		hv[1] = rtin_half(x0, y0, s, s, s, 0);
	}
	v = a.e[(long long)my * stride + mx];
	if (rtin_state(hv[0], a.w, a.h) == RTIN_PARTIAL || rtin_state(hv[1], a.w, a.h) == RTIN_PARTIAL)
		v = INF_F32;
	hs = s / 2;
	for (j = 0; j < 4; j++) {
		int dx = j == 1 ? hs : (j == 3 ? -hs : 0), dy = j == 0 ? -hs : (j == 2 ? hs : 0);
		v = maxf32(v, a.e[(long long)(my + dy) * stride + mx + dx]);
	}
	a.e[(long long)my * stride + mx] = v;
	a.wt[(long long)my * stride + mx] = rtin_weight(mx, my, hv, 2, a.w, a.h);
}

/* ---- Stage 3: the cut at t, compacted (Lattice.Emit). One thread per chunk of consecutive
 * entries: the *count kernels write each chunk's total, the host turns them into offsets
 * (scan.cu), and the *write kernels walk their chunk again from its offset. ---- */

/* Lattice.isVertex, for (x, y) in R: a root square's corner or a split diamond's midpoint. */
DEVFN int rtin_is_vertex(const float *e, int n, int stride, double t, int x, int y)
{
	return (double)e[(long long)y * stride + x] > t || (x % n == 0 && y % n == 0);
}

KERNEL rtin_vcount(struct rtin_vcount_args a)
{
	unsigned int th = GLOBAL_ID();
	unsigned long long i, c = 0;
	CHUNK_RANGE(th, a.chunk, a.count, lo, hi);
	for (i = lo; i < hi; i++)
		c += (unsigned long long)rtin_is_vertex(a.e, a.n, a.rx * a.n + 1, a.t, (int)(i % (unsigned)a.w),
		                                               (int)(i / (unsigned)a.w));
	a.sums[th] = c;
}

KERNEL rtin_vwrite(struct rtin_vwrite_args a)
{
	unsigned int th = GLOBAL_ID();
	unsigned long long i, k;
	CHUNK_RANGE(th, a.chunk, a.count, lo, hi);
	k = a.offs[th];
	for (i = lo; i < hi; i++) {
		int x = (int)(i % (unsigned)a.w), y = (int)(i / (unsigned)a.w);
		if (rtin_is_vertex(a.e, a.n, a.rx * a.n + 1, a.t, x, y)) {
			a.id[i] = (int)k;
			a.px[k] = x;
			a.py[k] = y;
			k++;
		}
	}
}

/* Lattice.LevelSize, with rx x ry root squares */
DEVFN unsigned long long rtin_level_size(int rx, int ry, int lv)
{
	unsigned long long sq = ((unsigned long long)rx * (unsigned long long)ry) << (2 * (lv / 2));
	return (lv % 2 == 0 ? 2ull : 4ull) * sq;
}

/* Lattice.levelTri: triangle i of level lv, its diamond's midpoint; returns 1 for a leaf. */
DEVFN int rtin_level_tri(int n, int rx, int lv, unsigned long long i, struct rtin_tri *t, int *mx, int *my)
{
	int s = n >> (lv / 2), k = rx * n / s;
	if (lv % 2 == 0) {
		int q = (int)(i / 2), qx = q % k, qy = q / k, x0 = qx * s, y0 = qy * s;
		int half = (int)(i % 2);
		if ((qx + qy) % 2 == 0)
			*t = half == 0 ? rtin_half(x0, y0, s, s, 0, 1) : rtin_half(x0, y0, s, 0, s, 1);
		else
			*t = half == 0 ? rtin_half(x0, y0, s, 0, 0, 0) : rtin_half(x0, y0, s, s, s, 0);
		*mx = x0 + s / 2;
		*my = y0 + s / 2;
		return s == 1;
	} else {
		int q = (int)(i / 4);
		*t = rtin_quarter((q % k) * s, (q / k) * s, s, (int)(i % 4), mx, my);
		return 0;
	}
}

/* Lattice.inCut: is triangle i of level lv in the cut at t? Its bound goes to *bound. */
DEVFN int rtin_in_cut(const float *e, int w, int h, int n, int rx, double t, int lv, unsigned long long i,
                      struct rtin_tri *tr, float *bound)
{
	int mx, my, leaf = rtin_level_tri(n, rx, lv, i, tr, &mx, &my), stride = rx * n + 1;
	*bound = 0;
	if (rtin_state(*tr, w, h) != RTIN_INSIDE)
		return 0;
	if (!leaf) {
		*bound = e[(long long)my * stride + mx];
		if ((double)*bound > t)
			return 0;
	}
	if (lv > 0 && !((double)e[(long long)tr->cy * stride + tr->cx] > t))
		return 0;
	return 1;
}

/* The level and index within it of global triangle index g (levels one after another). */
DEVFN void rtin_locate(int rx, int ry, int levels, unsigned long long g, int *lv, unsigned long long *i)
{
	int l = 0;
	while (l + 1 < levels && g >= rtin_level_size(rx, ry, l)) {
		g -= rtin_level_size(rx, ry, l);
		l++;
	}
	*lv = l;
	*i = g;
}

KERNEL rtin_tcount(struct rtin_tcount_args a)
{
	unsigned int th = GLOBAL_ID();
	unsigned long long g, c = 0, i;
	int lv;
	CHUNK_RANGE(th, a.chunk, a.count, lo, hi);
	rtin_locate(a.rx, a.ry, a.levels, lo, &lv, &i);
	for (g = lo; g < hi; g++, i++) {
		struct rtin_tri tr;
		float bound;
		if (i == rtin_level_size(a.rx, a.ry, lv)) {
			lv++;
			i = 0;
		}
		c += (unsigned long long)rtin_in_cut(a.e, a.w, a.h, a.n, a.rx, a.t, lv, i, &tr, &bound);
	}
	a.sums[th] = c;
}

KERNEL rtin_twrite(struct rtin_twrite_args a)
{
	unsigned int th = GLOBAL_ID();
	unsigned long long g, k, i;
	int lv;
	u32 worst = 0;
	CHUNK_RANGE(th, a.chunk, a.count, lo, hi);
	k = a.offs[th];
	rtin_locate(a.rx, a.ry, a.levels, lo, &lv, &i);
	for (g = lo; g < hi; g++, i++) {
		struct rtin_tri tr;
		float bound;
		if (i == rtin_level_size(a.rx, a.ry, lv)) {
			lv++;
			i = 0;
		}
		if (rtin_in_cut(a.e, a.w, a.h, a.n, a.rx, a.t, lv, i, &tr, &bound)) {
			union rtin_bits b;
			a.tris[3 * k] = a.id[(long long)tr.ay * a.w + tr.ax];
			a.tris[3 * k + 1] = a.id[(long long)tr.by * a.w + tr.bx];
			a.tris[3 * k + 2] = a.id[(long long)tr.cy * a.w + tr.cx];
			k++;
			b.f = bound;
			if (b.u > worst)
				worst = b.u;
		}
	}
	if (worst > *a.worst)
		ATOMIC_MAX_U32(a.worst, worst);
}

/* Lattice.CutCost's sum: the weights of the diamonds with E > t, one total per chunk. */
KERNEL rtin_wsum(struct rtin_wsum_args a)
{
	unsigned int th = GLOBAL_ID();
	unsigned long long i, c = 0;
	CHUNK_RANGE(th, a.chunk, a.count, lo, hi);
	for (i = lo; i < hi; i++)
		if ((double)a.e[i] > a.t)
			c += a.wt[i];
	a.sums[th] = c;
}
