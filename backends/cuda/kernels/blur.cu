/*
 * blur.cu: the relief's smoothing, a separable Gaussian in float64 with clamped edges, one
 * thread per output sample. The weights are computed on the host (backends/internal/modes.GaussianKernel).
 * Each output is summed in the CPU reference's order (backends/internal/modes.GaussianBlur: weights from -r
 * to r), so the results agree exactly.
 */
#include "orfeas_cuda.h"
#include "args.h"

/* blur_prep maps a plane into [0, 1] as float64 (NaN to 0), optionally inverted. */
KERNEL blur_prep(struct blur_prep_args a)
{
	unsigned int i = GLOBAL_ID();
	float v;
	double f;
	if (i >= a.n)
		return;
	v = a.src[i];
	if (!(v > 0))
		f = 0;
	else if (v > 1)
		f = 1;
	else
		f = (double)v;
	if (a.invert)
		f = 1 - f;
	a.f[i] = f;
}

KERNEL blur_rows(struct blur_pass_args a)
{
	unsigned int p = GLOBAL_ID();
	int x, y, i;
	double s = 0;
	const double *row;
	if (p >= (unsigned int)a.w * (unsigned int)a.h)
		return;
	x = (int)(p % a.w);
	y = (int)(p / a.w);
	row = a.src + (long long)y * a.w;
	for (i = 0; i <= 2 * a.r; i++)
		s += a.k[i] * row[mini(maxi(x + i - a.r, 0), a.w - 1)];
	a.dst[p] = s;
}

KERNEL blur_cols(struct blur_pass_args a)
{
	unsigned int p = GLOBAL_ID();
	int x, y, i;
	double s = 0;
	if (p >= (unsigned int)a.w * (unsigned int)a.h)
		return;
	x = (int)(p % a.w);
	y = (int)(p / a.w);
	for (i = 0; i <= 2 * a.r; i++)
		s += a.k[i] * a.src[(long long)mini(maxi(y + i - a.r, 0), a.h - 1) * a.w + x];
	a.dst[p] = s;
}
