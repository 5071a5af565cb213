package meshio_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image/jpeg"
	"math"
	"math/bits"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/imagecheck"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// Issue 21 item 2: a GLB whose JPEG texture has thousands of progressive scans. The bomb below
// is expensive for the standard decoder, not only long: a 4096 × 4096 grey progressive JPEG
// whose every scan after the first two is an AC refinement over the whole image, each coded as
// a few end-of-band runs of 32,767 blocks, so 2,000 passes over 262,144 blocks fit in about
// 90 KB. BenchmarkStdJPEGDecodeScanBomb measures what image/jpeg.Decode spends on it.
const (
	bombSide  = 4096
	bombScans = 2000
)

// TestGLBTextureScanBomb: the scan-bomb texture is refused with imagecheck's typed limit error
// (scans), through meshio's ErrTooLarge, before the decoder runs: well within a generous hang
// bound, where the standard decoder takes tens of seconds.
func TestGLBTextureScanBomb(t *testing.T) {
	glb := texturedGLB(scanBombJPEG(bombSide, bombScans))
	start := time.Now()
	_, err := meshio.DecodeLimits{}.DecodeContext(context.Background(), bytes.NewReader(glb), meshio.GLB)
	took := time.Since(start)
	t.Logf("GLB of %d bytes, a %d×%d texture of %d refinement scans: refused in %v: %v", len(glb), bombSide, bombSide, bombScans, took, err)
	if !errors.Is(err, meshio.ErrTooLarge) || !errors.Is(err, imagecheck.ErrTooLarge) {
		t.Fatalf("got %v, want meshio.ErrTooLarge wrapping imagecheck.ErrTooLarge", err)
	}
	var le *imagecheck.LimitError
	if !errors.As(err, &le) || le.Name != "scans" || le.Value <= le.Max {
		t.Fatalf("got %v, want an *imagecheck.LimitError about scans", err)
	}
	if took > 2*time.Second {
		t.Errorf("refused after %v: decoded first?", took)
	}
}

// TestScanBombDecodes: the bomb is a valid JPEG to the standard decoder (with a few scans, so
// the test stays fast), so what TestGLBTextureScanBomb refuses is real work, not a parse error.
func TestScanBombDecodes(t *testing.T) {
	img, err := jpeg.Decode(bytes.NewReader(scanBombJPEG(256, 3)))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Fatalf("decoded %v", b)
	}
}

// BenchmarkStdJPEGDecodeScanBomb is the cost of the scan-bomb texture to image/jpeg.Decode, the
// decoder GLB textures went to before they went through imagecheck.
func BenchmarkStdJPEGDecodeScanBomb(b *testing.B) {
	data := scanBombJPEG(bombSide, bombScans)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// scanBombJPEG returns a side × side grey progressive JPEG (side a multiple of 8): a DC scan, an
// AC scan (Al = 1), then refinements scans AC scans (Ah = 1, Al = 0), each over every block.
// All coefficients are zero, so every AC scan is a few end-of-band runs.
func scanBombJPEG(side, refinements int) []byte {
	var out []byte
	seg := func(marker byte, body ...byte) {
		out = append(out, 0xFF, marker)
		out = binary.BigEndian.AppendUint16(out, uint16(len(body)+2))
		out = append(out, body...)
	}
	out = append(out, 0xFF, 0xD8)
	seg(0xDB, append([]byte{0x00}, bytes.Repeat([]byte{1}, 64)...)...)
	seg(0xC2, 8, byte(side>>8), byte(side), byte(side>>8), byte(side), 1, 1, 0x11, 0)
	// DC table 0: one code, "0", for category 0. AC table 0: the 15 end-of-band runs
	// 0x00, 0x10, …, 0xE0 (2^r blocks plus r extra bits), 4-bit codes.
	dc := append([]byte{0x00, 1}, make([]byte, 15)...)
	seg(0xC4, append(dc, 0x00)...)
	ac := append([]byte{0x10, 0, 0, 0, 15}, make([]byte, 12)...)
	for r := range 15 {
		ac = append(ac, byte(r<<4))
	}
	seg(0xC4, ac...)
	blocks := (side / 8) * (side / 8)

	seg(0xDA, 1, 1, 0x00, 0, 0, 0x00) // DC first scan: one 0 bit a block
	var w bitWriter
	for range blocks {
		w.put(0, 1)
	}
	out = append(out, w.flush()...)
	acScan := func(ahal byte) {
		seg(0xDA, 1, 1, 0x00, 1, 63, ahal)
		var w bitWriter
		for left := blocks; left > 0; {
			run := min(left, 1<<15-1)
			r := bits.Len(uint(run)) - 1
			w.put(uint32(r), 4)
			w.put(uint32(run-1<<r), r)
			left -= run
		}
		out = append(out, w.flush()...)
	}
	acScan(0x01)
	for range refinements {
		acScan(0x10)
	}
	return append(out, 0xFF, 0xD9)
}

// bitWriter writes entropy-coded JPEG data: bits most significant first, 0xFF stuffed, the
// last byte padded with ones.
type bitWriter struct {
	out  []byte
	acc  uint32
	nacc int
}

func (w *bitWriter) put(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | v>>i&1
		if w.nacc++; w.nacc == 8 {
			w.out = append(w.out, byte(w.acc))
			if byte(w.acc) == 0xFF {
				w.out = append(w.out, 0)
			}
			w.acc, w.nacc = 0, 0
		}
	}
}

func (w *bitWriter) flush() []byte {
	if w.nacc > 0 {
		w.put(1<<(8-w.nacc)-1, 8-w.nacc)
	}
	return w.out
}

// texturedGLB is a one-triangle GLB with texture coordinates whose material's base colour
// texture is tex, an embedded JPEG.
func texturedGLB(tex []byte) []byte {
	le := binary.LittleEndian
	var bin []byte
	for _, v := range []float32{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1} {
		bin = le.AppendUint32(bin, math.Float32bits(v))
	}
	for _, i := range []uint16{0, 1, 2, 0} {
		bin = le.AppendUint16(bin, i)
	}
	imgOff := len(bin)
	bin = append(bin, tex...)
	for len(bin)%4 != 0 {
		bin = append(bin, 0)
	}
	js := fmt.Sprintf(`{"asset":{"version":"2.0"},"buffers":[{"byteLength":%d}],
"bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":36},{"buffer":0,"byteOffset":36,"byteLength":24},{"buffer":0,"byteOffset":60,"byteLength":6},{"buffer":0,"byteOffset":%d,"byteLength":%d}],
"accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]},{"bufferView":1,"componentType":5126,"count":3,"type":"VEC2"},{"bufferView":2,"componentType":5123,"count":3,"type":"SCALAR"}],
"images":[{"bufferView":3,"mimeType":"image/jpeg"}],"textures":[{"source":0}],
"materials":[{"pbrMetallicRoughness":{"baseColorTexture":{"index":0}}}],
"meshes":[{"primitives":[{"attributes":{"POSITION":0,"TEXCOORD_0":1},"indices":2,"material":0}]}]}`, len(bin), imgOff, len(tex))
	for len(js)%4 != 0 {
		js += " "
	}
	out := []byte("glTF")
	out = le.AppendUint32(out, 2)
	out = le.AppendUint32(out, uint32(12+8+len(js)+8+len(bin)))
	out = le.AppendUint32(le.AppendUint32(out, uint32(len(js))), 0x4E4F534A)
	out = append(out, js...)
	out = le.AppendUint32(le.AppendUint32(out, uint32(len(bin))), 0x004E4942)
	return append(out, bin...)
}
