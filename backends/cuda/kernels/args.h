/*
 * args.h: the argument struct of every kernel, and the list of kernels.
 *
 * Kernel NAME takes one `struct NAME_args` by value. The same declarations are read by three
 * compilers: clang for the device (pointers are device pointers), gcc for the host emulator
 * (pointers are host pointers), and cgo for the Go side, which defines ORFEAS_GO_SIDE so that
 * every pointer is a 64-bit integer it can fill with a device address. The layouts agree because
 * a pointer and an unsigned long long have the same size and alignment on every 64-bit target.
 */
#ifndef ORFEAS_ARGS_H
#define ORFEAS_ARGS_H

#ifdef ORFEAS_GO_SIDE
#define DPTR(T) unsigned long long
#else
#define DPTR(T) T *
#endif

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

/* ---- edt.cu: exact Euclidean distance transform (Felzenszwalb & Huttenlocher) ---- */

/* One thread per column: 1D transform of 0 (target) / +Inf along y. */
struct edt_cols_args {
	DPTR(const u8) target; /* w*h, 1 where the pixel is a target */
	DPTR(double) f;        /* scratch, w*h: the column input */
	DPTR(double) d;        /* w*h out: squared distance along the column */
	DPTR(int) row;         /* w*h out: row of the nearest target in the column, -1 if none */
	DPTR(int) v;           /* scratch, h*w, index k*w + x */
	DPTR(double) z;        /* scratch, (h+1)*w, index k*w + x */
	int w, h;
};

/* One thread per row: 1D transform of the column distances along x. */
struct edt_rows_args {
	DPTR(const double) dcol; /* w*h, from edt_cols */
	DPTR(const int) row;     /* w*h, from edt_cols */
	DPTR(double) d;          /* w*h out: squared distance, +Inf when there is no target */
	DPTR(int) idx;           /* w*h out: index of the nearest target, -1 when none */
	DPTR(int) v;             /* scratch, w*h, index k*h + y */
	DPTR(double) z;          /* scratch, (w+1)*h, index k*h + y */
	int w, h;
};

/* One thread per pixel: distance to the outline seed points near the nearest seed pixel. */
struct sd_refine_args {
	DPTR(const int) idx;      /* nearest seed pixel (edt_rows over the seeds) */
	DPTR(const u8) seeds;     /* w*h, 1 where the pixel holds a seed point */
	DPTR(const double) pts;   /* 2*w*h, the seed point (x, y) of each seed pixel */
	DPTR(const float) mask;   /* w*h coverage */
	DPTR(float) sd;           /* w*h out: signed distance in pixels, positive inside */
	int w, h;
};

/* ---- reduce.cu: maxima, one chunk per thread ---- */

struct max_f32_args {
	DPTR(const float) in;
	DPTR(float) out; /* one per chunk */
	u32 n, chunk;
	float init;
};

struct max_f64_args {
	DPTR(const double) in;
	DPTR(double) out;
	u32 n, chunk;
	double init;
};

struct fill_u32_args {
	DPTR(u32) a;
	u32 n, value;
};

/* ---- inflate.cu: heights and the voxel field ---- */

/* One thread per pixel: is the pixel the centre of a maximal disk? */
struct lt_centres_args {
	DPTR(const float) sd;
	DPTR(u8) centre;
	int w, h;
};

/* One thread per pixel: a centre paints its disk with its radius, keeping the maximum. */
struct lt_paint_args {
	DPTR(const float) sd;
	DPTR(const u8) centre;
	DPTR(u32) out; /* float bits of non-negative radii, so unsigned order is float order */
	int w, h;
};

struct inflate_heights_args {
	DPTR(const float) sd;
	DPTR(const float) local; /* local thickness (Dome) or 0 (Round) */
	DPTR(float) H;           /* out: height in mm */
	DPTR(double) Hd;         /* out: the same before rounding, for the maximum */
	double px, thickness, rim;
	float R;
	u32 n;
};

struct inflate_field_args {
	DPTR(const float) sd;
	DPTR(const float) H;
	DPTR(float) values; /* nx*ny*nz out */
	double oz, px;      /* z of sample layer 0; voxel size */
	int w, h, nx, ny, nz;
	int flat;
	u32 n;
};

/* ---- scan.cu: exclusive prefix sums over global memory, one chunk per thread ---- */

struct scan_sum_u8_args {
	DPTR(const u8) in;
	DPTR(u64) sums;
	u32 n, chunk;
};

struct scan_sum_popc_args {
	DPTR(const u32) in;
	DPTR(u64) sums;
	u32 n, chunk;
};

struct scan_sum_u64_args {
	DPTR(const u64) in;
	DPTR(u64) sums;
	u32 n, chunk;
};

/* A single thread: exclusive scan of a in place, total to total[0]. */
struct scan_top_args {
	DPTR(u64) a;
	DPTR(u64) total;
	u32 n;
};

/* Chunk t: out[i] = offs[t] + sum of in[j] for j < i in the chunk. In place is allowed. */
struct scan_down_u64_args {
	DPTR(const u64) in;
	DPTR(const u64) offs;
	DPTR(u64) out;
	u32 n, chunk;
};

struct scan_down_popc_args {
	DPTR(const u32) in;
	DPTR(const u64) offs;
	DPTR(u32) out;
	u32 n, chunk;
};

/* ---- mc.cu: marching cubes (classify, crossed edges, cell triangles, emit) ---- */

struct mc_classify_args {
	DPTR(const float) v;
	DPTR(u8) in8;  /* out: 1 where the sample is below the level */
	DPTR(u32) nan; /* set to 1 when a sample is NaN */
	u32 n;
	float level;
};

/* One thread per word of the crossed-edge bit sequence (see mc.cu for its layout). */
struct mc_edges_args {
	DPTR(const u8) in8;
	DPTR(u32) bits;
	int nx, ny, nz, nxw;
	u32 nwords;
};

struct mc_cells_args {
	DPTR(const u8) in8;
	DPTR(u8) ntri; /* out: triangles of the cell whose lowest corner is the sample */
	int nx, ny, nz;
	u32 n;
};

struct mc_verts_args {
	DPTR(const float) v;
	DPTR(const u32) bits;
	DPTR(const u32) wpre; /* vertices before each word */
	DPTR(float) pos;      /* 3 per vertex out */
	double ox, oy, oz, voxel;
	int nx, ny, nz, nxw;
	u32 nwords;
	float level;
};

struct mc_faces_args {
	DPTR(const u8) in8;
	DPTR(const u8) ntri;
	DPTR(const u64) offs; /* triangles before each chunk of cells */
	DPTR(const u32) bits;
	DPTR(const u32) wpre;
	DPTR(u32) faces; /* 3 per triangle out */
	int nx, ny, nz, nxw;
	u32 n, chunk;
};

/* ---- blur.cu: separable Gaussian in float64 (the relief's smoothing) ---- */

struct blur_prep_args {
	DPTR(const float) src;
	DPTR(double) f;
	u32 n;
	int invert;
};

#define blur_rows_args blur_pass_args
#define blur_cols_args blur_pass_args
struct blur_pass_args {
	DPTR(const double) src;
	DPTR(double) dst;
	DPTR(const double) k; /* 2r+1 weights */
	int r, w, h;
};

/*
 * The kernels, as X(module, name): module is the .cu file (and .ptx) that defines the kernel.
 * Both the emulator's dispatcher and the Go side derive their tables from this list.
 */
/* ---- rtin.cu: the RTIN's error bounds (backends/cuda/internal/rtin) ---- */

/* One thread per sample. */
struct rtin_own_args {
	DPTR(const float) z; /* w*h heights */
	DPTR(u32) e;         /* lattice out: each diamond's own error, float32 bits, zeroed before */
	int w, h, n, rx, ry; /* grid size, root square side, root squares along x and y */
};

/* One thread per side (odd) or square (even) of the squares of side s. */
#define rtin_sat_odd_args rtin_sat_args
#define rtin_sat_even_args rtin_sat_args
struct rtin_sat_args {
	DPTR(float) e; /* lattice: own errors in, saturated out (the levels finer than s already) */
	DPTR(u8) wt;   /* lattice out: each diamond's weight in the cost of a cut */
	int w, h, n, rx, ry, s;
};

/* Stage 3, over the w*h samples (vertices) or the triangles of all levels (count of them). */
struct rtin_vcount_args {
	DPTR(const float) e;
	DPTR(u64) sums; /* one per chunk */
	int w, h, n, rx, ry;
	u32 count, chunk;
	double t;
};

struct rtin_vwrite_args {
	DPTR(const float) e;
	DPTR(const u64) offs; /* each chunk's first vertex */
	DPTR(int) id;         /* w*h out: vertex index of each sample that is a vertex */
	DPTR(int) px;         /* out: the vertices' coordinates */
	DPTR(int) py;
	int w, h, n, rx, ry;
	u32 count, chunk;
	double t;
};

struct rtin_tcount_args {
	DPTR(const float) e;
	DPTR(u64) sums;
	int w, h, n, rx, ry, levels;
	u32 count, chunk;
	double t;
};

struct rtin_twrite_args {
	DPTR(const float) e;
	DPTR(const u64) offs;
	DPTR(const int) id;
	DPTR(int) tris; /* out: three vertex indices per triangle of the cut */
	DPTR(u32) worst; /* out: the largest bound of a triangle of the cut, float32 bits, zeroed before */
	int w, h, n, rx, ry, levels;
	u32 count, chunk;
	double t;
};

/* One thread per chunk of lattice points. */
struct rtin_wsum_args {
	DPTR(const float) e;
	DPTR(const u8) wt;
	DPTR(u64) sums; /* one per chunk */
	u32 count, chunk;
	double t;
};

#define ORFEAS_KERNELS(X)           \
	X(edt, edt_cols)                \
	X(edt, edt_rows)                \
	X(edt, sd_refine)               \
	X(reduce, max_f32)              \
	X(reduce, max_f64)              \
	X(reduce, fill_u32)             \
	X(inflate, lt_centres)          \
	X(inflate, lt_paint)            \
	X(inflate, inflate_heights)     \
	X(inflate, inflate_field)       \
	X(scan, scan_sum_u8)            \
	X(scan, scan_sum_popc)          \
	X(scan, scan_sum_u64)           \
	X(scan, scan_top)               \
	X(scan, scan_down_u64)          \
	X(scan, scan_down_popc)         \
	X(mc, mc_classify)              \
	X(mc, mc_edges)                 \
	X(mc, mc_cells)                 \
	X(mc, mc_verts)                 \
	X(mc, mc_faces)                 \
	X(blur, blur_prep)              \
	X(blur, blur_rows)              \
	X(blur, blur_cols)              \
	X(rtin, rtin_own)               \
	X(rtin, rtin_sat_odd)           \
	X(rtin, rtin_sat_even)          \
	X(rtin, rtin_vcount)            \
	X(rtin, rtin_vwrite)            \
	X(rtin, rtin_tcount)            \
	X(rtin, rtin_twrite)            \
	X(rtin, rtin_wsum)

#define ORFEAS_KID(module, name) KID_##name,
enum orfeas_kernel_id { ORFEAS_KERNELS(ORFEAS_KID) KID_COUNT };
#undef ORFEAS_KID

#endif
