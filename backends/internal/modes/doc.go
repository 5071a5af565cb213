// Package modes holds the stages and formulas of the modes that the CPU backend (backends/cpu)
// and the CUDA backend (backends/cuda) share, so that there is one implementation of each: the
// inflate mode's grid reduction and its retry against the face budget, its height profile and
// voxel field, its placement on Z = 0, the colouring by projection, the relief's smoothing and
// heights, the lithophane's thickness, and the heightfield modes' default tolerance.
//
// The CPU backend runs all of them; the CUDA backend runs the CPU-side ones (stride, reduction,
// placement, colouring, the Gaussian's weights) from here and the per-pixel ones (heights,
// field, smoothing) in kernels whose arithmetic follows the functions here operation for
// operation (backends/cuda/kernels), which the CUDA package's emulated tests check bit for bit.
package modes
