package meshio

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/orfeas3d/orfeas/internal/ctxio"
	"github.com/orfeas3d/orfeas/mesh"
)

// The binary STL writer is our own rather than hschendel/stl's Solid.WriteAll: that one needs the
// mesh copied into a []stl.Triangle first and makes one 50-byte allocation and one Write call per
// triangle. On the 1M-triangle benchmark (BenchmarkEncode1M/stl-hschendel, on a shared 2-core
// machine) it took 143 ms of CPU, 1,001,117 allocations and 117 MB per encoding, against 72 ms, one
// allocation and 1 MiB for this writer, which fills a 1 MiB buffer with
// encoding/binary.LittleEndian directly (21 ms since the face normals are done in blocks, see
// stlFaceNormals). The decoder is our own too, so that it can bound its
// allocations by the input size; hschendel/stl stays in the tests as an independent reader of what
// we write (TestSTLCrossCheck).

// stlHeader is the 80-byte binary header. It must not begin with "solid", which would make
// readers that sniff the first bytes take the file for ASCII STL.
const stlHeader = "orfeas binary STL; units mm; Z up"

const (
	stlHeaderSize = 84
	stlFacetSize  = 50
)

func encodeSTLBinary(w io.Writer, m *mesh.Mesh) error {
	if uint64(len(m.Faces)) > math.MaxUint32 {
		return malformed(STL, "%d faces do not fit the 32-bit triangle count", len(m.Faces))
	}
	var head [stlHeaderSize]byte
	copy(head[:80], stlHeader)
	binary.LittleEndian.PutUint32(head[80:], uint32(len(m.Faces)))
	if workers := min(runtime.GOMAXPROCS(0), stlMaxWorkers); workers > 1 && len(m.Faces) > 2*stlChunk {
		return encodeSTLParallel(ctxio.NewWriter(context.Background(), w), head[:], m, workers)
	}
	fw := newFmtWriter(w)
	fw.b = append(fw.b, head[:]...)
	for faces := m.Faces; len(faces) > 0; {
		blk := faces[:min(stlBlock, len(faces))]
		faces = faces[len(blk):]
		if cap(fw.b)-len(fw.b) < stlBlock*stlFacetSize {
			if fw.flush() != nil {
				return fw.w.Err()
			}
		}
		fw.b = appendSTLFacets(fw.b, m.Positions, blk)
	}
	return fw.flush()
}

// stlChunk is how many facets (800 KiB of them) encodeSTLParallel gives one goroutine at a time,
// and stlMaxWorkers the most goroutines it uses: encoding is a few times faster than writing, so
// more would only hold more chunks in memory.
const (
	stlChunk      = 1 << 14
	stlMaxWorkers = 4
)

// encodeSTLParallel writes the header and then the facets of m, encoded in chunks of stlChunk
// faces on workers goroutines while the caller writes the finished chunks in order: the same
// bytes as the serial loop (each chunk is appendSTLFacets of its faces), with the encoding beside
// the writes. At most workers+1 chunk buffers exist at a time. After a failed write no chunk is
// written and no new one started; every goroutine has ended when it returns.
func encodeSTLParallel(cw *ctxio.Writer, head []byte, m *mesh.Mesh, workers int) error {
	n := (len(m.Faces) + stlChunk - 1) / stlChunk
	ready := make([]chan []byte, n)
	for k := range ready {
		ready[k] = make(chan []byte, 1)
	}
	free := make(chan []byte, workers+1)
	for range workers + 1 {
		free <- nil // allocated by the first chunk that takes it
	}
	stop := make(chan struct{})
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				var buf []byte
				select {
				case <-stop:
					return
				case buf = <-free:
				}
				// Taking a buffer before a chunk number means the chunk the writer waits for
				// always has one.
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				if buf == nil {
					buf = make([]byte, 0, stlChunk*stlFacetSize)
				}
				faces := m.Faces[k*stlChunk : min((k+1)*stlChunk, len(m.Faces))]
				for len(faces) > 0 {
					blk := faces[:min(stlBlock, len(faces))]
					faces = faces[len(blk):]
					buf = appendSTLFacets(buf, m.Positions, blk)
				}
				ready[k] <- buf
			}
		})
	}
	cw.Write(head)
	for k := range n {
		if cw.Err() != nil {
			break
		}
		buf := <-ready[k]
		cw.Write(buf)
		free <- buf[:0]
	}
	close(stop)
	wg.Wait()
	return cw.Err()
}

// appendSTLFacets appends the 50-byte binary STL records of faces (at most stlBlock of them) to b.
func appendSTLFacets(b []byte, pos [][3]float32, faces [][3]uint32) []byte {
	le := binary.LittleEndian
	var nrm [stlBlock][3]float32
	stlFaceNormals(&nrm, pos, faces)
	for j, f := range faces {
		off := len(b)
		b = b[:off+stlFacetSize]
		rec := (*[stlFacetSize]byte)(b[off:])
		n := &nrm[j]
		le.PutUint32(rec[0:], math.Float32bits(n[0]))
		le.PutUint32(rec[4:], math.Float32bits(n[1]))
		le.PutUint32(rec[8:], math.Float32bits(n[2]))
		for k := range 3 {
			p := &pos[f[k]]
			le.PutUint32(rec[12+12*k:], math.Float32bits(p[0]))
			le.PutUint32(rec[16+12*k:], math.Float32bits(p[1]))
			le.PutUint32(rec[20+12*k:], math.Float32bits(p[2]))
		}
		rec[48], rec[49] = 0, 0
	}
	return b
}

// stlBlock is how many facets appendSTLFacets does at a time; the serial writer flushes its
// buffer (of a little more than fmtChunk) when the next block would not fit.
const stlBlock = 64

// stlFaceNormals sets nrm[j] to FaceNormal of faces[j], computed with the same arithmetic on
// scalars (kept in registers, where [3]float64 values are not) for a block of faces at a time,
// so that the square roots and divisions of neighbouring faces overlap.
func stlFaceNormals(nrm *[stlBlock][3]float32, pos [][3]float32, faces [][3]uint32) {
	for j, f := range faces {
		pa, pb, pc := &pos[f[0]], &pos[f[1]], &pos[f[2]]
		ax, ay, az := float64(pa[0]), float64(pa[1]), float64(pa[2])
		ux, uy, uz := float64(pb[0])-ax, float64(pb[1])-ay, float64(pb[2])-az
		vx, vy, vz := float64(pc[0])-ax, float64(pc[1])-ay, float64(pc[2])-az
		cx, cy, cz := uy*vz-uz*vy, uz*vx-ux*vz, ux*vy-uy*vx
		l := math.Sqrt(cx*cx + cy*cy + cz*cz)
		if !(l > 0 && l <= math.MaxFloat64) {
			nrm[j] = [3]float32{}
			continue
		}
		nrm[j] = [3]float32{float32(cx / l), float32(cy / l), float32(cz / l)}
	}
}

func encodeSTLASCII(w io.Writer, m *mesh.Mesh) error {
	fw := newFmtWriter(w)
	fw.b = append(fw.b, "solid orfeas\n"...)
	vec := func(p [3]float32) {
		for k := range 3 {
			fw.b = append(fw.b, ' ')
			fw.b = strconv.AppendFloat(fw.b, float64(p[k]), 'g', -1, 32)
		}
		fw.b = append(fw.b, '\n')
	}
	for i, f := range m.Faces {
		fw.b = append(fw.b, "facet normal"...)
		vec(m.FaceNormal(i))
		fw.b = append(fw.b, " outer loop\n"...)
		for k := range 3 {
			fw.b = append(fw.b, "  vertex"...)
			vec(m.Positions[f[k]])
		}
		fw.b = append(fw.b, " endloop\nendfacet\n"...)
		if len(fw.b) >= fmtChunk {
			if fw.flush() != nil {
				return fw.w.Err()
			}
		}
	}
	fw.b = append(fw.b, "endsolid orfeas\n"...)
	return fw.flush()
}

// decodeSTL reads binary or ASCII STL and welds exactly coincident vertices.
func decodeSTL(data []byte, l DecodeLimits) (*mesh.Mesh, error) {
	var m *mesh.Mesh
	var err error
	binSize := int64(-1)
	if len(data) >= stlHeaderSize {
		binSize = stlHeaderSize + stlFacetSize*int64(binary.LittleEndian.Uint32(data[80:84]))
	}
	switch {
	case binSize == int64(len(data)):
		m, err = decodeSTLBinary(data, l)
	case bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("solid")) && fmtIsText(data[:min(len(data), 512)]):
		m, err = decodeSTLASCII(data, l)
	case len(data) < stlHeaderSize:
		return nil, malformed(STL, "file has %d bytes, fewer than the %d of a binary header, and is not ASCII STL", len(data), stlHeaderSize)
	case binSize > int64(len(data)):
		return nil, malformed(STL, "header claims %d triangles but the file has %d bytes", binary.LittleEndian.Uint32(data[80:84]), len(data))
	default:
		// Some writers pad binary STL; the bytes after the last triangle are ignored.
		m, err = decodeSTLBinary(data[:binSize], l)
	}
	if err != nil {
		return nil, err
	}
	m.Weld(0)
	if len(m.Positions) > l.MaxVertices {
		return nil, tooLarge(STL, "%d vertices exceed the limit of %d", len(m.Positions), l.MaxVertices)
	}
	return m, nil
}

func decodeSTLBinary(data []byte, l DecodeLimits) (*mesh.Mesh, error) {
	n := int(binary.LittleEndian.Uint32(data[80:84]))
	if n > l.MaxFaces {
		return nil, tooLarge(STL, "%d triangles exceed the limit of %d", n, l.MaxFaces)
	}
	m := &mesh.Mesh{Positions: make([][3]float32, 3*n), Faces: make([][3]uint32, n)}
	le := binary.LittleEndian
	for i := range n {
		rec := data[stlHeaderSize+stlFacetSize*i : stlHeaderSize+stlFacetSize*(i+1)]
		for k := range 3 {
			o := 12 + 12*k
			p := &m.Positions[3*i+k]
			for a := range 3 {
				v := math.Float32frombits(le.Uint32(rec[o+4*a:]))
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return nil, malformed(STL, "triangle %d has a non-finite coordinate", i)
				}
				p[a] = v
			}
		}
		m.Faces[i] = [3]uint32{uint32(3 * i), uint32(3*i + 1), uint32(3*i + 2)}
	}
	return m, nil
}

// stlLexer splits ASCII STL into whitespace-separated words and tracks the line for messages.
type stlLexer struct {
	data []byte
	pos  int
	line int
}

func (lx *stlLexer) word() []byte {
	for lx.pos < len(lx.data) {
		c := lx.data[lx.pos]
		if c == '\n' {
			lx.line++
		} else if c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v' {
			break
		}
		lx.pos++
	}
	start := lx.pos
	for lx.pos < len(lx.data) {
		c := lx.data[lx.pos]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v' {
			break
		}
		lx.pos++
	}
	return lx.data[start:lx.pos]
}

// restOfLine skips to the start of the next line.
func (lx *stlLexer) restOfLine() {
	if i := bytes.IndexByte(lx.data[lx.pos:], '\n'); i >= 0 {
		lx.pos += i + 1
		lx.line++
	} else {
		lx.pos = len(lx.data)
	}
}

func (lx *stlLexer) expect(kw string) error {
	w := lx.word()
	if string(w) != kw {
		if len(w) == 0 {
			return malformed(STLASCII, "line %d: unexpected end of file, want %q", lx.line, kw)
		}
		return malformed(STLASCII, "line %d: found %.20q, want %q", lx.line, w, kw)
	}
	return nil
}

func (lx *stlLexer) float() (float32, error) {
	w := lx.word()
	v, err := strconv.ParseFloat(string(w), 32)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, malformed(STLASCII, "line %d: bad number %.20q", lx.line, w)
	}
	return float32(v), nil
}

// decodeSTLASCII parses one or more "solid … endsolid" blocks.
func decodeSTLASCII(data []byte, l DecodeLimits) (*mesh.Mesh, error) {
	lx := &stlLexer{data: data, line: 1}
	m := &mesh.Mesh{}
	solids := 0
	for {
		w := lx.word()
		if len(w) == 0 {
			if solids == 0 {
				return nil, malformed(STLASCII, "no solid")
			}
			return m, nil
		}
		if string(w) != "solid" {
			return nil, malformed(STLASCII, "line %d: found %.20q, want \"solid\"", lx.line, w)
		}
		solids++
		lx.restOfLine() // the solid's name
		for {
			w := lx.word()
			if string(w) == "endsolid" {
				lx.restOfLine()
				break
			}
			if string(w) != "facet" {
				if len(w) == 0 {
					return nil, malformed(STLASCII, "line %d: unexpected end of file, want \"endsolid\"", lx.line)
				}
				return nil, malformed(STLASCII, "line %d: found %.20q, want \"facet\" or \"endsolid\"", lx.line, w)
			}
			if len(m.Faces) >= l.MaxFaces {
				return nil, tooLarge(STLASCII, "more than %d triangles", l.MaxFaces)
			}
			if err := lx.expect("normal"); err != nil {
				return nil, err
			}
			for range 3 { // the normal is recomputed from the vertices when needed
				if _, err := lx.float(); err != nil {
					return nil, err
				}
			}
			if err := lx.expect("outer"); err != nil {
				return nil, err
			}
			if err := lx.expect("loop"); err != nil {
				return nil, err
			}
			base := uint32(len(m.Positions))
			for range 3 {
				if err := lx.expect("vertex"); err != nil {
					return nil, err
				}
				var p [3]float32
				for a := range 3 {
					v, err := lx.float()
					if err != nil {
						return nil, err
					}
					p[a] = v
				}
				m.Positions = append(m.Positions, p)
			}
			m.Faces = append(m.Faces, [3]uint32{base, base + 1, base + 2})
			if err := lx.expect("endloop"); err != nil {
				return nil, err
			}
			if err := lx.expect("endfacet"); err != nil {
				return nil, err
			}
		}
	}
}
