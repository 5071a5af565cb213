// Package estimators turns a photo into what the mesh builders need from it: a subject mask
// (background removal) and a relative depth map. The neural estimators run ONNX models through
// ONNX Runtime, whose shared library is loaded at run time (like libcuda for the CUDA backend): a
// binary built once runs without it, and then [OpenRuntime] returns an [*UnavailableError]
// (errors.Is(err, [ErrUnavailable])) saying why. Builds with CGO_ENABLED=0 compile a stub that
// always reports unavailable.
//
// The safe path:
//
//	rt, err := estimators.OpenRuntime(estimators.RuntimeOptions{}) // $ORFEAS_ONNXRUNTIME_LIB
//	if errors.Is(err, estimators.ErrUnavailable) { /* fall back to a classical segmenter */ }
//	defer rt.Close()
//	m, err := rt.LoadModel("isnet.onnx")             // one session, shared by every caller
//	seg, err := estimators.NewSegmenter(m, estimators.SegmentOptions{})
//	alpha, err := seg.Segment(ctx, img)              // soft matte at the image's size
//	mask := estimators.Binarize(alpha, 128)          // 0 or 255
//
// Where the library comes from: scripts/fetch-onnxruntime.sh unpacks libonnxruntime.so.1
// (ONNX Runtime 1.30, MIT) from the npm package onnxruntime-node@1.30.0 into .tools/onnxruntime/,
// sha256-checked, without running the package's install script. The binding,
// github.com/yalue/onnxruntime_go v1.27.0, needs ONNX Runtime 1.24 or newer (C API version 24).
//
// Models are never shipped: callers give paths. Segmentation models take 1×3×S×S RGB and give a
// 1×1×S×S matte, as IS-Net (DIS, Qin et al. 2022, "Highly Accurate Dichotomous Image
// Segmentation") does; its normalisation is (px−128)/256 ([ISNetNormalization]). Depth models
// take 1×3×H×W with the ImageNet mean and deviation ([ImageNetNormalization]), sides a multiple
// of 14 for DINOv2 backbones, and give 1×H×W relative inverse depth, as Depth Anything V2 (Yang
// et al. 2024) and MiDaS v3 (Ranftl et al. 2020) do.
//
// Execution providers: sessions run on the CPU unless [RuntimeOptions.Provider] asks for CUDA
// ("cuda", or "auto"); CUDA needs ONNX Runtime's GPU build (libonnxruntime_providers_cuda.so
// beside the library) and the CUDA and cuDNN libraries (on the loader's path, or preloaded from
// [RuntimeOptions.CUDALibraryDir]). Where it does not load, the session runs on the CPU and
// [Model.ProviderNote] says why; [Model.Provider] and the estimators' Name say which ran.
//
// The generator takes a [Segmenter] as its generator.Segmenter and a [DepthEstimator] as its
// generator.DepthEstimator (through [DepthEstimator.EstimateDepth]) without importing this
// package, so programs that do not use ONNX Runtime do not link it.
//
// Concurrency: a [Runtime] bounds the runs of all its models with one semaphore
// ([RuntimeOptions.MaxRuns]), because one 1024² segmentation run peaks at about 1.5 GB.
// Cancellation reaches a running inference: the binding exposes ONNX Runtime's run-options
// terminate flag (OrtApi::RunOptionsSetTerminate), which [Model.Run] sets when its context ends.
package estimators
