/*
 * inflate.cu: the inflate mode's heights and voxel field, as backends/internal/modes computes them
 * (InflateHeight, InflateValue) for backends/cpu/inflate.go.
 *
 * Local thickness (Dome profile) follows Hildebrand & Rüegsegger (1997): the centres of maximal
 * disks paint their disks with their radius, and each pixel keeps the largest radius that covers
 * it. The CPU paints in increasing order of radius; here every centre paints at once with an
 * atomic maximum, which gives the same values in any order.
 */
#include "orfeas_cuda.h"
#include "args.h"

KERNEL lt_centres(struct lt_centres_args a)
{
	unsigned int i = GLOBAL_ID();
	int x, y, dx, dy, maximal = 1;
	float r;
	if (i >= (unsigned int)a.w * (unsigned int)a.h)
		return;
	x = (int)(i % a.w);
	y = (int)(i / a.w);
	r = a.sd[i];
	if (!(r > 0)) {
		a.centre[i] = 0;
		return;
	}
	for (dy = -1; dy <= 1 && maximal; dy++) {
		for (dx = -1; dx <= 1; dx++) {
			int xx = x + dx, yy = y + dy;
			float step;
			if ((dx == 0 && dy == 0) || xx < 0 || yy < 0 || xx >= a.w || yy >= a.h)
				continue;
			step = (float)hypot64((double)dx, (double)dy);
			if (a.sd[yy * a.w + xx] >= r + step - 1e-3f) {
				maximal = 0;
				break;
			}
		}
	}
	a.centre[i] = (u8)maximal;
}

DEVFN u32 f32bits(float f)
{
	union {
		float f;
		u32 u;
	} c;
	c.f = f;
	return c.u;
}

KERNEL lt_paint(struct lt_paint_args a)
{
	unsigned int i = GLOBAL_ID();
	int cx, cy, x, y, ri;
	float r, r2;
	u32 bits;
	if (i >= (unsigned int)a.w * (unsigned int)a.h || !a.centre[i])
		return;
	cx = (int)(i % a.w);
	cy = (int)(i / a.w);
	r = a.sd[i];
	r2 = r * r;
	ri = (int)__builtin_ceil((double)r);
	bits = f32bits(r);
	for (y = maxi(cy - ri, 0); y <= mini(cy + ri, a.h - 1); y++) {
		for (x = maxi(cx - ri, 0); x <= mini(cx + ri, a.w - 1); x++) {
			float dx = (float)(x - cx), dy = (float)(y - cy);
			if (dx * dx + dy * dy <= r2)
				ATOMIC_MAX_U32(&a.out[y * a.w + x], bits);
		}
	}
}

KERNEL inflate_heights(struct inflate_heights_args a)
{
	unsigned int i = GLOBAL_ID();
	float d, r;
	double dd, v;
	if (i >= a.n)
		return;
	d = a.sd[i];
	if (d <= 0) {
		a.H[i] = 0;
		a.Hd[i] = 0;
		return;
	}
	r = a.R;
	if (a.local)
		r = maxf32(a.local[i], d);
	dd = (double)minf32(d, r);
	v = maxf64(__builtin_sqrt(dd * (2 * (double)r - dd)) * a.px * a.thickness, a.rim);
	a.H[i] = (float)v;
	a.Hd[i] = v;
}

/*
 * Sample s = i + nx*(j + ny*l) of the (w+2)×(h+2)×nz grid lies at the centre of coarse pixel
 * (i-1, h-j) (y up) and at z = oz + l·px; the outer layer is outside (+px).
 */
KERNEL inflate_field(struct inflate_field_args a)
{
	unsigned int s = GLOBAL_ID();
	unsigned int plane = (unsigned int)a.nx * (unsigned int)a.ny;
	int i, j, l;
	float v;
	if (s >= a.n)
		return;
	l = (int)(s / plane);
	j = (int)((s % plane) / (unsigned int)a.nx);
	i = (int)(s % (unsigned int)a.nx);
	v = (float)a.px;
	if (i > 0 && j > 0 && i <= a.w && j <= a.h) {
		float z = (float)(a.oz + (double)l * a.px);
		int c = (a.h - j) * a.w + (i - 1);
		float f = -a.sd[c] * (float)a.px;
		if (a.flat)
			v = maxf32(maxf32(z - a.H[c], -z), f);
		else
			v = maxf32(absf32(z) - a.H[c], f);
	}
	a.values[s] = v;
}
