// Package grabcut finds the subject of a photo without a model: GrabCut (Rother, Kolmogorov
// and Blake, SIGGRAPH 2004), colour mixtures and an iterated minimum graph cut, initialised with
// the image's border as background. It is pure Go (no cgo, no ONNX Runtime), deterministic
// (the same pixels and options give the same mask, on any GOMAXPROCS) and bounded in time: the
// cut runs on a copy whose longest side is at most Options.MaxSide, and the mask is brought back
// to the image's size by joint bilateral upsampling, so the outline follows the real edge.
//
// It suits one object on a background that is not a single colour (a photo of a thing on a
// table, clip art pasted on a photo); for a plain background a border flood fill is cheaper,
// and for a scene with no single subject there is nothing to find. [Result.Confidence] tells
// the two apart, so a caller can fall back:
//
//	seg := grabcut.New(grabcut.Options{})
//	r, err := seg.SegmentDetail(ctx, img)
//	if err != nil { return err }         // only ctx.Err()
//	if r.Confidence < 0.5 { /* a scene: make a relief of the whole image */ }
//	mask := r.Mask                       // 255 subject, 0 background, img's bounds
//
// What it assumes: the subject does not touch the image's border (a band of Options.Border of
// each side is taken as definite background), and its colours differ from the background's.
// Holes that show the background (a ring's middle) are kept; small enclosed specks are filled.
// The max-flow is Boykov and Kolmogorov's (TPAMI 2004), written for the 8-connected grid.
package grabcut
