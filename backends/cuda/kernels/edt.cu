/*
 * edt.cu: the exact Euclidean distance transform of Felzenszwalb & Huttenlocher (2012),
 * "Distance Transforms of Sampled Functions", Theory of Computing 8, as two passes of the 1D
 * transform (columns, then rows), one thread per column or row, carrying the argument of the
 * minimum. The arithmetic is the Go reference's (backends/internal/distance.SquaredDistance) step for step,
 * so the results are equal, not merely close. sd_refine then finishes the signed distance of
 * backends/internal/distance.SignedDistance from its outline seeds.
 */
#include "orfeas_cuda.h"
#include "args.h"

/*
 * edt_1d computes out[q] = min_p (q-p)^2 + f[p] and arg[q], the minimising p (-1 when every f is
 * infinite), for n samples read at f[q*fs]; out and arg are written at q*os, and the scratch
 * arrays v (n entries) and z (n+1 entries) are addressed with stride ss.
 */
DEVFN void edt_1d(const double *f, int fs, int n, double *out, int *arg, int os, int *v, double *z, int ss)
{
	int k = -1;
	int q;
	for (q = 0; q < n; q++) {
		double fq = f[(long long)q * fs];
		if (fq == INF_F64)
			continue;
		while (k >= 0) {
			int p = v[(long long)k * ss];
			double s = ((fq + (double)(q * q)) - (f[(long long)p * fs] + (double)(p * p))) / (double)(2 * (q - p));
			if (s <= z[(long long)k * ss]) {
				k--;
				continue;
			}
			break;
		}
		k++;
		v[(long long)k * ss] = q;
		if (k == 0) {
			z[0] = -INF_F64;
		} else {
			int p = v[(long long)(k - 1) * ss];
			z[(long long)k * ss] = ((fq + (double)(q * q)) - (f[(long long)p * fs] + (double)(p * p))) / (double)(2 * (q - p));
		}
		z[(long long)(k + 1) * ss] = INF_F64;
	}
	if (k < 0) {
		for (q = 0; q < n; q++) {
			out[(long long)q * os] = INF_F64;
			arg[(long long)q * os] = -1;
		}
		return;
	}
	{
		int j = 0;
		for (q = 0; q < n; q++) {
			int p;
			while (z[(long long)(j + 1) * ss] < (double)q)
				j++;
			p = v[(long long)j * ss];
			out[(long long)q * os] = (double)((q - p) * (q - p)) + f[(long long)p * fs];
			arg[(long long)q * os] = p;
		}
	}
}

KERNEL edt_cols(struct edt_cols_args a)
{
	unsigned int x = GLOBAL_ID();
	int y;
	if (x >= (unsigned int)a.w)
		return;
	/* The transform reads its input after writing outputs, so the input has its own array. */
	for (y = 0; y < a.h; y++)
		a.f[(long long)y * a.w + x] = a.target[(long long)y * a.w + x] ? 0.0 : INF_F64;
	edt_1d(a.f + x, a.w, a.h, a.d + x, a.row + x, a.w, a.v + x, a.z + x, a.w);
}

KERNEL edt_rows(struct edt_rows_args a)
{
	unsigned int y = GLOBAL_ID();
	int x;
	if (y >= (unsigned int)a.h)
		return;
	edt_1d(a.dcol + (long long)y * a.w, 1, a.w, a.d + (long long)y * a.w, a.idx + (long long)y * a.w, 1,
	       a.v + y, a.z + y, a.h);
	for (x = 0; x < a.w; x++) {
		long long i = (long long)y * a.w + x;
		int p = a.idx[i];
		if (p >= 0)
			a.idx[i] = a.row[(long long)y * a.w + p] * a.w + p;
	}
}

KERNEL sd_refine(struct sd_refine_args a)
{
	unsigned int i = GLOBAL_ID();
	double x, y, d = INF_F64;
	int q;
	if (i >= (unsigned int)a.w * (unsigned int)a.h)
		return;
	x = (double)(i % a.w) + 0.5;
	y = (double)(i / a.w) + 0.5;
	q = a.idx[i];
	if (q >= 0) {
		/* The nearest seed pixel's centre is within half a pixel of the nearest seed point; its
		 * neighbours' points settle which is really nearest. */
		int qc = q % a.w, qr = q / a.w, r, c;
		for (r = maxi(qr - 2, 0); r <= mini(qr + 2, a.h - 1); r++) {
			for (c = maxi(qc - 2, 0); c <= mini(qc + 2, a.w - 1); c++) {
				int j = r * a.w + c;
				if (a.seeds[j])
					d = minf64(d, hypot64(x - a.pts[2 * (long long)j], y - a.pts[2 * (long long)j + 1]));
			}
		}
	}
	a.sd[i] = a.mask[i] >= 0.5f ? (float)d : (float)(-d);
}
