package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"path/filepath"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/orfeas3d/orfeas/examples/internal/atomicfile"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
	"github.com/orfeas3d/orfeas/mesh/render"
)

// OutputFlags are the flags about how a mesh is written, shared by img2mesh and batch.
type OutputFlags struct {
	up        *string
	objSingle *bool
	crease    *float64
}

// AddOutputFlags defines -up, -obj-single and -crease on fs.
func AddOutputFlags(fs *flag.FlagSet) *OutputFlags {
	return &OutputFlags{
		up:        fs.String("up", "z", "up `axis` of STL, OBJ and PLY files: z (printing) or y (Blender, Unity)"),
		objSingle: fs.Bool("obj-single", false, "write a textured OBJ as one file (vertex colours) instead of .obj, .mtl and _texture.png"),
		crease:    fs.Float64("crease", 0, "crease `angle` in degrees where GLB and OBJ shading splits (0: 40; 180: smooth everywhere)"),
	}
}

// Options returns the encoder options the flags give; a bad value is a usage error.
func (f *OutputFlags) Options() (meshio.EncodeOptions, error) {
	up, err := meshio.ParseUpAxis(*f.up)
	if err != nil {
		return meshio.EncodeOptions{}, Usagef("-up: %v", err)
	}
	if *f.crease < 0 || *f.crease > 180 {
		return meshio.EncodeOptions{}, Usagef("-crease %g is not within 0–180", *f.crease)
	}
	return meshio.EncodeOptions{Up: up, CreaseAngle: *f.crease}, nil
}

// OBJSingle reports whether -obj-single was given.
func (f *OutputFlags) OBJSingle() bool { return *f.objSingle }

// WriteMesh writes m to path in format f with opt, atomically: no file is ever seen half
// written. A textured mesh written as OBJ (unless single) becomes three files side by side:
// path, and path's name with .mtl and _texture.png, which the OBJ refers to (mtllib, usemtl, map_Kd); the
// texture and library are put in place before the OBJ, so a reader that sees the OBJ finds them.
// It returns the paths written, the mesh file first.
func WriteMesh(ctx context.Context, path string, m *mesh.Mesh, f meshio.Format, opt meshio.EncodeOptions, single bool) ([]string, error) {
	if f != meshio.OBJ || single || m.Texture == nil || m.UVs == nil {
		err := atomicfile.Write(ctx, path, func(w io.Writer) error { return opt.Encode(w, m, f) })
		return []string{path}, err
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	dir := filepath.Dir(path)
	mtlPath, pngPath := filepath.Join(dir, name+".mtl"), filepath.Join(dir, name+meshio.OBJTextureSuffix)
	err := atomicfile.Write(ctx, path, func(w io.Writer) error {
		var mtl, tex bytes.Buffer
		if err := opt.EncodeOBJ(w, &mtl, &tex, m, name); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(pngPath, tex.Bytes()); err != nil {
			return err
		}
		return atomicfile.WriteFile(mtlPath, mtl.Bytes())
	})
	return []string{path, mtlPath, pngPath}, err
}

// PreviewSize is the side of the previews the programs write, in pixels.
const PreviewSize = 512

// WritePreview renders m (mesh/render's fixed three-quarter view) to a PNG at path, atomically.
func WritePreview(ctx context.Context, path string, m *mesh.Mesh) error {
	img, err := render.Render(ctx, m, render.Options{Width: PreviewSize, Height: PreviewSize})
	if err != nil {
		return err
	}
	return atomicfile.Write(ctx, path, func(w io.Writer) error { return png.Encode(w, img) })
}

// SheetTile is one picture of a contact sheet and its caption.
type SheetTile struct {
	Image   image.Image // nil draws an empty, captioned tile (a failed input)
	Caption string
}

// ContactSheet lays tiles out in a grid, cols wide (0: about square), each tile side × side
// pixels above a caption line, on white.
func ContactSheet(tiles []SheetTile, side, cols int) *image.NRGBA {
	if cols <= 0 {
		for cols = 1; cols*cols < len(tiles); cols++ {
		}
	}
	rows := (len(tiles) + cols - 1) / cols
	const captionH, pad = 18, 6
	cellW, cellH := side+pad, side+captionH+pad
	sheet := image.NewNRGBA(image.Rect(0, 0, max(1, cols*cellW+pad), max(1, rows*cellH+pad)))
	draw.Draw(sheet, sheet.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	d := &font.Drawer{Dst: sheet, Src: image.NewUniform(color.NRGBA{40, 40, 40, 255}), Face: basicfont.Face7x13}
	for i, t := range tiles {
		x0, y0 := pad+(i%cols)*cellW, pad+(i/cols)*cellH
		r := image.Rect(x0, y0, x0+side, y0+side)
		if t.Image != nil {
			draw.Draw(sheet, r, t.Image, t.Image.Bounds().Min, draw.Over)
		} else {
			draw.Draw(sheet, r, image.NewUniform(color.NRGBA{235, 225, 225, 255}), image.Point{}, draw.Src)
		}
		caption := t.Caption
		if max := side / 7; len(caption) > max {
			caption = caption[:max-1] + "~"
		}
		d.Dot = fixed.P(x0, y0+side+13)
		d.DrawString(caption)
	}
	return sheet
}

// RenderTile renders m for a contact sheet tile of side pixels.
func RenderTile(ctx context.Context, m *mesh.Mesh, side int) (image.Image, error) {
	img, err := render.Render(ctx, m, render.Options{Width: side, Height: side})
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	return img, nil
}
