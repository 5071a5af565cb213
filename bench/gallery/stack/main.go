// Command stack writes the PNG pictures named on its command line one above the other, left
// aligned on white, as one PNG: bench/gallery.sh stacks examples/batch's contact sheets, one per
// mode, into bench/gallery/contact.png with it.
//
//	go run ./bench/gallery/stack -o OUT.png IN.png...
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
)

func main() {
	out := flag.String("o", "", "the PNG file to write")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: stack -o OUT.png IN.png...")
		os.Exit(2)
	}
	var pics []image.Image
	w, h := 0, 0
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			fail(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			fail(fmt.Errorf("%s: %w", name, err))
		}
		pics = append(pics, img)
		w, h = max(w, img.Bounds().Dx()), h+img.Bounds().Dy()
	}
	sheet := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(sheet, sheet.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	y := 0
	for _, p := range pics {
		b := p.Bounds()
		draw.Draw(sheet, image.Rect(0, y, b.Dx(), y+b.Dy()), p, b.Min, draw.Over)
		y += b.Dy()
	}
	f, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(f, sheet); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "stack:", err)
	os.Exit(1)
}
