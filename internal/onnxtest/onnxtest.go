// Package onnxtest writes tiny ONNX models with protowire, so that tests run the real ONNX
// Runtime on functions whose outputs are known exactly. Field numbers are those of
// onnx/onnx.proto3 (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, TypeProto,
// TensorShapeProto). It is for tests only.
package onnxtest

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/orfeas3d/orfeas/internal/checktools"
)

// ISNetEnv names the environment variable that gives the IS-Net model's path for the
// end-to-end tests.
const ISNetEnv = "ORFEAS_ISNET_MODEL"

// ISNetModel returns the IS-Net model for a test: $ORFEAS_ISNET_MODEL, else
// .tools/models/isnet-small.onnx under root (scripts/fetch-isnet.sh), skipping the test (failing
// under ORFEAS_REQUIRE_TOOLS=1) when there is none.
func ISNetModel(tb testing.TB, root string) string {
	tb.Helper()
	if p := os.Getenv(ISNetEnv); p != "" {
		return p
	}
	p, _ := filepath.Abs(filepath.Join(root, ".tools/models/isnet-small.onnx"))
	if _, err := os.Stat(p); err != nil {
		checktools.Missing(tb, "IS-Net model: set %s or run scripts/fetch-isnet.sh", ISNetEnv)
	}
	return p
}

// Library returns the ONNX Runtime library for a test: $ORFEAS_ONNXRUNTIME_LIB, else the one
// scripts/fetch-onnxruntime.sh puts in .tools/onnxruntime/ under root (the repository's root,
// relative to the test's package). Without one the test skips, and fails under
// ORFEAS_REQUIRE_TOOLS=1. A CGO_ENABLED=0 build always skips.
func Library(tb testing.TB, root string) string {
	tb.Helper()
	if !haveCgo {
		tb.Skip("built without cgo: ONNX Runtime cannot load")
	}
	if lib := os.Getenv("ORFEAS_ONNXRUNTIME_LIB"); lib != "" {
		return lib
	}
	lib, _ := filepath.Abs(filepath.Join(root, ".tools/onnxruntime/libonnxruntime.so.1"))
	if _, err := os.Stat(lib); err != nil {
		checktools.Missing(tb, "ONNX Runtime library: set ORFEAS_ONNXRUNTIME_LIB or run scripts/fetch-onnxruntime.sh")
	}
	return lib
}

const (
	onnxFloat = 1 // TensorProto.DataType FLOAT
	onnxInt64 = 7 // TensorProto.DataType INT64
)

func pbBytes(b []byte, field protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func pbString(b []byte, field protowire.Number, s string) []byte {
	return pbBytes(b, field, []byte(s))
}

func pbInt(b []byte, field protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

// onnxNode is a NodeProto without attributes.
type onnxNode struct {
	op      string
	inputs  []string
	outputs []string
}

func (n onnxNode) encode() []byte {
	var b []byte
	for _, s := range n.inputs {
		b = pbString(b, 1, s)
	}
	for _, s := range n.outputs {
		b = pbString(b, 2, s)
	}
	b = pbString(b, 3, n.outputs[0]+"_node")
	return pbString(b, 4, n.op)
}

// floatInit is a float TensorProto initialiser (float_data, packed).
func floatInit(name string, dims []int64, vals []float32) []byte {
	var b []byte
	for _, d := range dims {
		b = pbInt(b, 1, d)
	}
	b = pbInt(b, 2, onnxFloat)
	var packed []byte
	for _, v := range vals {
		packed = protowire.AppendFixed32(packed, math.Float32bits(v))
	}
	b = pbBytes(b, 4, packed)
	return pbString(b, 8, name)
}

// int64Init is an int64 TensorProto initialiser (int64_data, packed).
func int64Init(name string, dims []int64, vals []int64) []byte {
	var b []byte
	for _, d := range dims {
		b = pbInt(b, 1, d)
	}
	b = pbInt(b, 2, onnxInt64)
	var packed []byte
	for _, v := range vals {
		packed = protowire.AppendVarint(packed, uint64(v))
	}
	b = pbBytes(b, 7, packed)
	return pbString(b, 8, name)
}

// valueInfo is a float tensor ValueInfoProto; a dimension < 0 is symbolic.
func valueInfo(name string, dims []int64) []byte {
	var shape []byte
	for i, d := range dims {
		var dim []byte
		if d < 0 {
			dim = pbString(dim, 2, string(rune('a'+i)))
		} else {
			dim = pbInt(dim, 1, d)
		}
		shape = pbBytes(shape, 1, dim)
	}
	var tensor []byte
	tensor = pbInt(tensor, 1, onnxFloat)
	tensor = pbBytes(tensor, 2, shape)
	var typ []byte
	typ = pbBytes(typ, 1, tensor)
	var b []byte
	b = pbString(b, 1, name)
	return pbBytes(b, 2, typ)
}

// onnxModel encodes a ModelProto (IR version 8, default-domain opset 17) of one graph.
func onnxModel(nodes []onnxNode, inits [][]byte, input, output []byte) []byte {
	var g []byte
	for _, n := range nodes {
		g = pbBytes(g, 1, n.encode())
	}
	g = pbString(g, 2, "tiny")
	for _, t := range inits {
		g = pbBytes(g, 5, t)
	}
	g = pbBytes(g, 11, input)
	g = pbBytes(g, 12, output)
	var opset []byte
	opset = pbString(opset, 1, "")
	opset = pbInt(opset, 2, 17)
	var m []byte
	m = pbInt(m, 1, 8)
	m = pbString(m, 2, "orfeas-tests")
	m = pbBytes(m, 7, g)
	return pbBytes(m, 8, opset)
}

// PixelModel computes, per pixel, w·x + b over the three channels (a 1×1 convolution) and then
// a sigmoid if sigmoid is set: 1×3×H×W in, 1×1×H×W out. squeeze drops the channel axis
// (1×H×W out, as depth models give). h or w < 0 leave that side free.
func PixelModel(w [3]float32, bias float32, sigmoid, squeeze bool, h, wd int64) []byte {
	nodes := []onnxNode{{op: "Conv", inputs: []string{"input", "W", "B"}, outputs: []string{"conv"}}}
	inits := [][]byte{floatInit("W", []int64{1, 3, 1, 1}, w[:]), floatInit("B", []int64{1}, []float32{bias})}
	last := "conv"
	if sigmoid {
		nodes = append(nodes, onnxNode{op: "Sigmoid", inputs: []string{last}, outputs: []string{"sig"}})
		last = "sig"
	}
	outDims := []int64{1, 1, h, wd}
	if squeeze {
		nodes = append(nodes, onnxNode{op: "Squeeze", inputs: []string{last, "axes"}, outputs: []string{"sq"}})
		inits = append(inits, int64Init("axes", []int64{1}, []int64{1}))
		last = "sq"
		outDims = []int64{1, h, wd}
	}
	nodes[len(nodes)-1].outputs[0] = "output"
	return onnxModel(nodes, inits, valueInfo("input", []int64{1, 3, h, wd}), valueInfo("output", outDims))
}

// SlowModel multiplies an n×n matrix of ones by itself k times (about 2n³k flops), built at run
// time by ConstantOfShape so the model stays tiny: for the cancellation test. Its input is a
// dummy 1-element tensor added at the end.
func SlowModel(n int64, k int) []byte {
	nodes := []onnxNode{{op: "ConstantOfShape", inputs: []string{"shape"}, outputs: []string{"m0"}}}
	inits := [][]byte{int64Init("shape", []int64{2}, []int64{n, n}), floatInit("scale", []int64{1}, []float32{1 / float32(n)})}
	// ConstantOfShape's default value is a float 0; add 1 to get ones.
	nodes = append(nodes, onnxNode{op: "Add", inputs: []string{"m0", "input"}, outputs: []string{"a0"}})
	last := "a0"
	for i := 0; i < k; i++ {
		mm := "mm" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		sc := "sc" + mm
		nodes = append(nodes,
			onnxNode{op: "MatMul", inputs: []string{last, last}, outputs: []string{mm}},
			onnxNode{op: "Mul", inputs: []string{mm, "scale"}, outputs: []string{sc}})
		last = sc
	}
	nodes = append(nodes, onnxNode{op: "ReduceMean", inputs: []string{last}, outputs: []string{"output"}})
	return onnxModel(nodes, inits, valueInfo("input", []int64{1}), valueInfo("output", []int64{1, 1}))
}

// RedSubjectModel is a segmentation model for tests: 1×3×S×S in (IS-Net's normalisation,
// (px−128)/256), 1×1×S×S out, the matte sigmoid(40·(R − B − 145)/256): pixels much redder than
// blue (R − B above 145 on 0..255) are subject. Photos drawn with a red subject on a bluish,
// textured background segment exactly with it.
func RedSubjectModel(size int64) []byte {
	// (R' − B')·k + b with R' = (R − 128)/256: k(R − B)/256 + b, so b = −145k/256.
	const k = 40
	return PixelModel([3]float32{k, 0, -k}, -145*k/256.0, true, false, size, size)
}

// RedDiscPhoto is a synthetic photo for the model tests: a red disc on a bluish background
// textured over the whole grey range (no plain border), which onnxtest.RedSubjectModel
// segments. It returns the image and the disc's matte.
func RedDiscPhoto(w, h int, r float64) (*image.NRGBA, *image.Alpha) {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	truth := image.NewAlpha(img.Bounds())
	rng := rand.New(rand.NewPCG(3, 4))
	for y := range h {
		for x := range w {
			if math.Hypot(float64(x)-float64(w)/2+0.5, float64(y)-float64(h)/2+0.5) < r {
				v := uint8(rng.IntN(40))
				img.SetNRGBA(x, y, color.NRGBA{200 + v, 60 + v, 40, 255})
				truth.SetAlpha(x, y, color.Alpha{A: 255})
			} else {
				v := uint8(rng.IntN(256))
				img.SetNRGBA(x, y, color.NRGBA{v, v, uint8(255 - int(v)/2), 255})
			}
		}
	}
	return img, truth
}

// Composite pastes obj, whose subject matte is alpha (0..1 at obj's pixel (x, y) from its
// bounds' corner), onto bg stretched to W×H, scaled to fit within share of the smaller side and
// centred at (cx, cy) as fractions of the size, blending by the matte (bilinear sampling). It
// returns the composite and its true subject matte (255 where the scaled matte is at least
// 0.5): a photo whose ground truth is known, for segmentation IoU. The background should hold
// no object of its own (a texture: wood, grass, a wall), or a salient-object segmenter is
// right to find it.
func Composite(obj image.Image, alpha func(x, y int) float64, bg image.Image, W, H int, share, cx, cy float64) (*image.NRGBA, *image.Alpha) {
	bb, ob := bg.Bounds(), obj.Bounds()
	s := share * float64(min(W, H)) / float64(max(ob.Dx(), ob.Dy()))
	ow, oh := float64(ob.Dx())*s, float64(ob.Dy())*s
	x0, y0 := cx*float64(W)-ow/2, cy*float64(H)-oh/2
	out := image.NewNRGBA(image.Rect(0, 0, W, H))
	truth := image.NewAlpha(out.Bounds())
	sample := func(u, v float64) (r, g, b, a float64) {
		// Bilinear over obj's pixel centres, clamped at its edges.
		u, v = u-0.5, v-0.5
		ix, iy := math.Floor(u), math.Floor(v)
		fx, fy := u-ix, v-iy
		for _, c := range [4][3]float64{{0, 0, (1 - fx) * (1 - fy)}, {1, 0, fx * (1 - fy)}, {0, 1, (1 - fx) * fy}, {1, 1, fx * fy}} {
			x := min(max(int(ix)+int(c[0]), 0), ob.Dx()-1)
			y := min(max(int(iy)+int(c[1]), 0), ob.Dy()-1)
			cr, cg, cb, _ := obj.At(ob.Min.X+x, ob.Min.Y+y).RGBA()
			al := alpha(x, y)
			r, g, b, a = r+c[2]*float64(cr)/65535, g+c[2]*float64(cg)/65535, b+c[2]*float64(cb)/65535, a+c[2]*al
		}
		return
	}
	for y := range H {
		for x := range W {
			br, bgc, bbl, _ := bg.At(bb.Min.X+x*bb.Dx()/W, bb.Min.Y+y*bb.Dy()/H).RGBA()
			c := [3]float64{float64(br) / 65535, float64(bgc) / 65535, float64(bbl) / 65535}
			u, v := (float64(x)+0.5-x0)/s, (float64(y)+0.5-y0)/s
			if u >= 0 && v >= 0 && u < float64(ob.Dx()) && v < float64(ob.Dy()) {
				r, g, b, a := sample(u, v)
				c = [3]float64{a*r + (1-a)*c[0], a*g + (1-a)*c[1], a*b + (1-a)*c[2]}
				if a >= 0.5 {
					truth.Pix[y*truth.Stride+x] = 255
				}
			}
			out.SetNRGBA(x, y, color.NRGBA{uint8(math.Round(255 * c[0])), uint8(math.Round(255 * c[1])), uint8(math.Round(255 * c[2])), 255})
		}
	}
	return out, truth
}

// IoU is the intersection over union of two mattes of the same bounds, each thresholded at 128.
func IoU(a, b *image.Alpha) float64 {
	inter, union := 0, 0
	for i := range a.Pix {
		p, q := a.Pix[i] >= 128, b.Pix[i] >= 128
		if p && q {
			inter++
		}
		if p || q {
			union++
		}
	}
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}
