package meshio

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// glbDoc is the part of a glTF JSON document the decoder reads. Each array is kept as one copy of
// its JSON text and an element is parsed only when a primitive refers to it, and arrays the
// decoder does not use (nodes, scenes, animations…) are skipped by the JSON scanner without being
// stored, so the document takes at most about 5 bytes per byte of the JSON chunk whatever it
// holds (parsing into qmuntal/gltf's Document costs over 300 bytes per "{}" node).
type glbDoc struct {
	Buffers     glbArray `json:"buffers"`
	BufferViews glbArray `json:"bufferViews"`
	Accessors   glbArray `json:"accessors"`
	Meshes      glbArray `json:"meshes"`
	Materials   glbArray `json:"materials"`
	Textures    glbArray `json:"textures"`
	Images      glbArray `json:"images"`
}

// glbArray is a JSON array kept as text; spans, found on first use, holds the start and end
// offsets of its elements (4 bytes each, and an element takes at least 2 bytes with its comma).
type glbArray struct {
	raw   []byte
	spans []uint32
	split bool
}

// UnmarshalJSON keeps a copy of the array's text.
func (a *glbArray) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*a = glbArray{}
		return nil
	}
	if len(b) == 0 || b[0] != '[' {
		return fmt.Errorf("expected an array, got %.20q", b)
	}
	*a = glbArray{raw: bytes.Clone(b)}
	return nil
}

// glbWalk calls f with the bounds of each element of raw, a JSON array that encoding/json has
// already checked is valid (it validates the whole document before decoding any of it).
func glbWalk(raw []byte, f func(s, e int)) {
	depth, inStr, esc, start := 0, false, false, -1
	for i, c := range raw {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case '[', '{':
			if depth == 1 && start < 0 {
				start = i
			}
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				if start >= 0 {
					f(start, i)
				}
				return
			}
		case ',':
			if depth == 1 {
				f(start, i)
				start = -1
			}
		default:
			if c == '"' {
				inStr = true
			}
			if depth == 1 && start < 0 {
				start = i
			}
		}
	}
}

// len returns the number of elements.
func (a *glbArray) len() int {
	a.doSplit()
	return len(a.spans) / 2
}

func (a *glbArray) doSplit() {
	if a.split {
		return
	}
	a.split = true
	n := 0
	glbWalk(a.raw, func(int, int) { n++ })
	a.spans = make([]uint32, 0, 2*n)
	glbWalk(a.raw, func(s, e int) { a.spans = append(a.spans, uint32(s), uint32(e)) })
}

// glbElement parses element i of a JSON array into v; ok is false when there is no such element
// or it is null, err is set when it does not parse.
func glbElement(a *glbArray, i int, v any) (ok bool, err error) {
	a.doSplit()
	if i < 0 || i >= len(a.spans)/2 {
		return false, nil
	}
	el := bytes.TrimSpace(a.raw[a.spans[2*i]:a.spans[2*i+1]])
	if string(el) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(el, v); err != nil {
		return false, err
	}
	return true, nil
}

type glbJSONBuffer struct {
	URI string `json:"uri"`
}

type glbJSONBufferView struct {
	Buffer     int `json:"buffer"`
	ByteOffset int `json:"byteOffset"`
	ByteLength int `json:"byteLength"`
	ByteStride int `json:"byteStride"`
}

type glbJSONAccessor struct {
	BufferView    *int            `json:"bufferView"`
	ByteOffset    int             `json:"byteOffset"`
	ComponentType int             `json:"componentType"`
	Normalized    bool            `json:"normalized"`
	Count         int             `json:"count"`
	Type          string          `json:"type"`
	Sparse        json.RawMessage `json:"sparse"`
}

type glbJSONPrimitive struct {
	Attributes struct {
		Position *int `json:"POSITION"`
		Color    *int `json:"COLOR_0"`
		UV       *int `json:"TEXCOORD_0"`
	} `json:"attributes"`
	Indices  *int `json:"indices"`
	Material *int `json:"material"`
	Mode     *int `json:"mode"` // absent means TRIANGLES
}

type glbJSONMaterial struct {
	PBR *struct {
		BaseColorTexture *struct {
			Index int `json:"index"`
		} `json:"baseColorTexture"`
	} `json:"pbrMetallicRoughness"`
}

type glbJSONTexture struct {
	Source *int `json:"source"`
}

type glbJSONImage struct {
	BufferView *int   `json:"bufferView"`
	MimeType   string `json:"mimeType"`
}
