// Package cuda is orfeas's NVIDIA GPU backend: the modes of backends/cpu, with the heavy stages on
// the GPU. Inflated shapes are the CPU reference's meshes vertex for vertex; reliefs and flat
// lithophanes are triangulated differently, within the same tolerance (see below).
//
// # Running with and without a GPU
//
// The driver API is loaded at run time (dlopen of libcuda.so.1): the package builds with a plain C
// compiler and no CUDA toolkit or headers, and one binary runs on machines with and without a GPU.
// Where there is no driver, no device, or a driver too old for the kernels, New returns an error
// wrapping backends.ErrUnavailable that says why, and the generator's "auto" backend uses the CPU.
// Builds with CGO_ENABLED=0 compile a stub with the same API whose New always fails that way.
//
// The kernels are CUDA C in kernels/*.cu, compiled ahead of time to PTX for sm_70 by clang
// without the CUDA toolkit (go generate; see gen.go) and embedded; the driver JIT-compiles the
// PTX for the GPU it finds (Volta through Hopper and later). The same sources compile as C for
// the host emulator (internal/emu) that the tests run on machines without a GPU.
//
// # What runs where
//
// Inflate runs on the GPU after the mask is traced. On the CPU: the choice of the voxel grid's
// reduction k from the face budget (with the CPU backend's retry at a larger k while the mesh has
// too many faces), the k×k reduction of the mask and the filling of the holes that reduction
// made (modes.FillFalseHoles), the profile's scale that caps the thickness
// (modes.InflateThickness, from the largest distance the device reduces; the heights kernel takes
// it as its thickness parameter, unchanged), the sub-pixel outline and the seeds of the
// distance transform (backends/internal/distance.OutlineSeeds), and at the end resting the mesh on Z = 0 and
// colouring it by projection (in parallel); these CPU stages are the CPU backend's own code
// (backends/internal/modes), not a copy of it. On the GPU: the exact Euclidean distance transform
// (Felzenszwalb & Huttenlocher, one thread per column, then per row), the signed distance, the
// largest distance, the local thickness of the Dome profile, the heights, the voxel field and
// marching cubes (classify → crossed-edge bits → prefix sums → vertices; cell triangle counts →
// prefix sums → triangles), with mesh.Isosurface's case table, generated from package mesh. The
// arithmetic follows the CPU reference operation for operation (no fused multiply-add), so the
// mesh is the CPU backend's mesh: the same vertices and triangles in the same order.
//
// Reliefs and flat lithophanes run on the GPU as a right-triangulated irregular network (RTIN, a
// 4-8 mesh refined by saturated errors: backends/cuda/internal/rtin explains it and holds the reference
// these kernels match bit for bit). Profiling the CPU reference (a 1024² relief of camera.png)
// put almost all its time in the triangulation: about 60 % refinement by greedy insertion and
// 27 % decimation, of which the error scans are 41 % of the whole, the insertions, flips and heap
// most of the rest. Greedy insertion is one insertion after another and cannot be spread over
// thousands of threads; an RTIN can, at every stage. The edge-preserving smoothing of a relief's
// or lithophane's source (a guided filter) is done by package generator before any backend sees
// the Input, so it runs on the host for both backends and the GPU stages are unchanged. On the
// GPU: the relief's optional Gaussian smoothing (ReliefParams.Smooth, float64); the error of every sample against every triangle of every level that
// contains it (one thread per sample, atomic maxima); the saturation of those errors, one launch
// per level; and the extraction of the cut — every triangle of every level tested on its own,
// vertices and triangles compacted by prefix sums; and under a face budget, the cost of the cut
// at the tolerance (a sum of the diamonds' weights). On the CPU: the heights from the smoothed
// field (modes.ReliefHeights, O(pixels)); when the budget binds, the threshold that meets it
// exactly (the bounds downloaded, two passes over them: rtin.Lattice.Threshold); and the
// walls, the bottom and the copy into the mesh (heightfield.Solid, in parallel) and the colours.
//
// Like the CPU reference's, the surface keeps every sample within the tolerance (the report's
// MaxError bounds it) and is closed into a solid of the same size. It is a different
// triangulation, with 1.24–1.56 times the triangles of greedy insertion at the same tolerance on
// camera.png at 512² and 1024² (BenchmarkRTINFaces in backends/cpu), up to about twice on images
// of a hundred pixels, where the refinement along the sides whose length is not a power of two
// weighs most; its volume and shape agree with the CPU's within the tolerance, not vertex for
// vertex. Grids of more than rtin.MaxLatticeSide+1 (8193) samples a side, and those whose
// device stages would not fit the memory budget, go to the host backend.
//
// The host backend (Options.Host, by default the CPU reference) builds cylinder lithophanes, a
// regular grid with no search in it, and extrusions, whose work (tracing and ear-clipping an
// outline) is too small to be worth a transfer.
//
// # Resources
//
// A Backend holds the device's primary context and a pool of device memory (size classes), freed
// by Close. Every Reconstruct call runs on its own stream; concurrent calls wait until the memory
// they need (estimated before they start) fits in the budget (Options.MemoryBudget, by default
// 80 % of the memory free at New). A call that could never fit, or an allocation the device
// refuses, returns an error wrapping ErrOutOfMemory. The driver library, once loaded, stays
// loaded for the life of the process, as the CUDA runtime keeps it.
//
// # Testing without a GPU
//
// The kernels' logic is tested on every machine: internal/emu compiles the same kernel sources
// as C and runs each launch's grid as loops, and the tests compare the results with the Go
// references (backends/internal/distance, mesh.Isosurface, backends/cpu) exactly. The driver layer is tested
// against testdata/fakecuda, a libcuda.so.1 stand-in that runs the kernels on the emulator. The
// tests that need a GPU skip without one; bench/gpu.sh runs them on a GPU machine.
package cuda
