// Command fidelity runs Generate over a corpus of images and tabulates the fidelity self-check:
// the share of images with no warning, the count per warning kind, and the worst results.
//
//	go run ./bench/fidelity [-mode auto] [-quality standard] [-every k] [-glb dir] [-v] FILE_OR_DIR...
//
// Directories are walked for .png and .jpg files, in lexical order; -every k keeps every k-th
// file of that order (a deterministic sample). -glb writes each model there, for the gallery.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

func main() {
	mode := flag.String("mode", "auto", "mode")
	quality := flag.String("quality", "standard", "quality")
	every := flag.Int("every", 1, "keep every k-th file")
	glb := flag.String("glb", "", "write models to this directory")
	verbose := flag.Bool("v", false, "one line per image")
	flag.Parse()
	var files []string
	for _, a := range flag.Args() {
		filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				ext := strings.ToLower(filepath.Ext(p))
				if ext == ".png" || ext == ".jpg" || ext == ".jpeg" {
					files = append(files, p)
				}
			}
			return nil
		})
	}
	sort.Strings(files)
	var kept []string
	for i, f := range files {
		if i%*every == 0 {
			kept = append(kept, f)
		}
	}
	m, err := generator.ParseMode(*mode)
	check(err)
	q, err := generator.ParseQuality(*quality)
	check(err)
	g, err := generator.New(generator.Config{Backend: "cpu"})
	check(err)
	defer g.Close()

	type row struct {
		file  string
		score float64
		line  string
	}
	var rows []row
	kinds := map[string]int{}
	clean, failed, noSubject := 0, 0, 0
	modes := map[string]int{}
	start := time.Now()
	for _, f := range kept {
		data, err := os.ReadFile(f)
		check(err)
		res, err := g.Generate(context.Background(), generator.Request{Image: data, Mode: m, Quality: q})
		if err != nil {
			if strings.Contains(err.Error(), "no usable subject") {
				noSubject++
			} else {
				failed++
			}
			if *verbose {
				fmt.Printf("%s\terror: %v\n", f, err)
			}
			continue
		}
		r := res.Report
		modes[string(r.Mode)]++
		if len(r.Warnings) == 0 {
			clean++
		}
		var ks []string
		for _, w := range r.Warnings {
			kinds[string(w.Kind)]++
			ks = append(ks, w.Message)
		}
		fi := r.Fidelity
		score := float64(len(r.Warnings))
		if fi.SilhouetteIoU != nil {
			score += 1 - *fi.SilhouetteIoU
		}
		if fi.HeightCorrelation != nil {
			score += 1 - *fi.HeightCorrelation
		}
		line := fmt.Sprintf("%s\t%s\t%s", f, r.Mode, summary(fi))
		if len(ks) > 0 {
			line += "\t" + strings.Join(ks, "; ")
		}
		rows = append(rows, row{f, score, line})
		if *verbose {
			fmt.Println(line)
		}
		if *glb != "" {
			base := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
			out, err := os.Create(filepath.Join(*glb, base+"."+string(r.Mode)+".glb"))
			check(err)
			check(res.Encode(out, meshio.GLB))
			check(out.Close())
		}
	}
	n := len(kept)
	fmt.Printf("images: %d of %d found (every %d-th), mode %s, quality %s, %.0f s\n", n, len(files), *every, *mode, *quality, time.Since(start).Seconds())
	fmt.Printf("modes built: %v\n", modes)
	fmt.Printf("clean (no warning): %d (%.1f %%); errors: no subject %d, other %d\n", clean, 100*float64(clean)/float64(max(n, 1)), noSubject, failed)
	var ks []string
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		fmt.Printf("warning %-12s %d\n", k, kinds[k])
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].score > rows[j].score })
	fmt.Println("worst ten:")
	for _, r := range rows[:min(10, len(rows))] {
		fmt.Println("  " + r.line)
	}
}

func summary(f generator.Fidelity) string {
	s := fmt.Sprintf("pieces %d/%d float %d tunnels %d/%d thick %.2f bed %.2f spikes %.4f", f.Pieces, f.SubjectParts, f.Floating, f.Tunnels, f.SubjectHoles, f.ThicknessRatio, f.BedContact, f.Spikes)
	if f.SilhouetteIoU != nil {
		s += fmt.Sprintf(" iou %.3f", *f.SilhouetteIoU)
	}
	if f.HeightCorrelation != nil {
		s += fmt.Sprintf(" corr %.3f", *f.HeightCorrelation)
	}
	if f.Blank {
		s += " BLANK"
	}
	return s
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
