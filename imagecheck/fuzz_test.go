package imagecheck

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
)

// fuzzLimits keeps the memory of one fuzz input small.
var fuzzLimits = Limits{MaxBytes: 1 << 20, MinSide: -1, MaxSide: 1024, MaxPixels: 1 << 18, MaxFrames: 64}

// addSeeds seeds a fuzzer with every fixture of seedCorpus, the bad PNGs, a
// GIF over fuzzLimits.MaxFrames, the bombs of every format, Go's PNG suite
// (when the Go tree is there), and each of them cut at 10, 50 and 90 % of
// its length.
func addSeeds(f *testing.F) {
	seeds := seedCorpus(f)
	png := seeds["png"]
	seeds["png bad IHDR CRC"] = badIHDRCRC(png)
	seeds["png bad IDAT"] = badIDAT(png)
	seeds["gif over MaxFrames"] = animGIF(f, fuzzLimits.MaxFrames+1, 8, 8, false)
	for _, b := range bombs() {
		seeds["bomb "+b.name] = b.data
	}
	for _, p := range pngSuite() {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds["pngsuite "+filepath.Base(p)] = data
	}
	names := make([]string, 0, len(seeds))
	for k := range seeds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		d := seeds[k]
		f.Add(d)
		for _, pct := range []int{10, 50, 90} {
			f.Add(d[:len(d)*pct/100])
		}
	}
}

// pngSuite returns the files of Go's copy of the PNG suite, or nothing when
// the Go source tree is not installed.
func pngSuite() []string {
	root := runtime.GOROOT()
	if root == "" {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(root, "src/image/png/testdata/pngsuite/*.png"))
	return files
}

// typed reports whether err carries one of the package's sentinels.
func typed(err error) bool {
	for _, s := range []error{ErrEmpty, ErrUnsupportedFormat, ErrTooLarge, ErrDimensions, ErrCorrupt} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func FuzzCheck(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Check(bytes.NewReader(data), fuzzLimits)
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if info.Width < 1 || info.Height < 1 || info.Width > 1024 || info.Height > 1024 ||
			int64(info.Width)*int64(info.Height) > 1<<18 || info.Frames < 1 || info.Frames > 64 ||
			info.Orientation < 1 || info.Orientation > 8 || info.Bytes != int64(len(data)) || info.Format == "" {
			t.Fatalf("accepted with inconsistent info %+v", info)
		}
		// The same verdict from a reader that can neither seek nor read at.
		info2, err := Check(onlyReader{bytes.NewReader(data)}, fuzzLimits)
		if err != nil || info2 != info {
			t.Fatalf("plain reader: %+v, %v; seekable: %+v", info2, err, info)
		}
	})
}

func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		img, info, err := Decode(context.Background(), bytes.NewReader(data), fuzzLimits)
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if b := img.Bounds(); b.Dx() != info.Width || b.Dy() != info.Height {
			t.Fatalf("image %v, info %d×%d", b, info.Width, info.Height)
		}
	})
}

// onlyReader hides every method but Read.
type onlyReader struct{ r *bytes.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
