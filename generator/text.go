package generator

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/textimage"
)

// TextToImage turns a prompt into image bytes: package textimage's A1111 and OpenAI clients.
type TextToImage = textimage.Provider

// ErrNoTextProvider is wrapped by GenerateText when the Generator has neither a Config.TextImage
// provider nor a backend that builds from text (the "hunyuan" backend).
var ErrNoTextProvider = errors.New("generator: no text-to-image provider or text-to-3D backend configured")

// GenerateText builds a model from a prompt. With a Config.TextImage provider, the prompt
// becomes an image (decoded through imagecheck like any upload: an image the provider botched
// fails with imagecheck's errors) that Generate then turns into a model with req's other fields,
// on any backend. Without one, a "hunyuan" backend builds the model from the prompt itself (the
// server's own text-to-image step), made printable, Width mm wide (default 100) and within the
// quality's face budget; req's image fields must then be empty. Otherwise the error wraps
// ErrNoTextProvider. An empty prompt wraps ErrInvalidRequest.
func (g *Generator) GenerateText(ctx context.Context, prompt string, req Request) (*Result, error) {
	if strings.TrimSpace(prompt) == "" {
		return nil, invalidf("empty prompt")
	}
	if g.text != nil {
		img, err := g.text.TextToImage(ctx, textimage.Request{Prompt: prompt})
		if err != nil {
			return nil, fmt.Errorf("generator: text to image: %w", err)
		}
		req.Image, req.Reader, req.Decoded = img, nil, nil
		return g.Generate(ctx, req)
	}
	hb, ok := g.backend.(*hunyuan.Backend)
	if !ok {
		return nil, fmt.Errorf("%w (backend %s)", ErrNoTextProvider, g.backend.Name())
	}
	g.mu.RLock()
	closed := g.closed
	g.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("generator: GenerateText after Close: %w", ErrClosed)
	}
	start := time.Now()
	settings, err := req.Quality.Settings()
	if err != nil {
		return nil, invalidf("%v", err)
	}
	budget := cmp.Or(req.FaceBudget, settings.FaceBudget)
	m, brep, err := hb.ReconstructText(ctx, prompt, req.Width, budget, nil)
	if err != nil {
		return nil, fmt.Errorf("generator: %s backend: %w", hb.Name(), err)
	}
	if req.NoColor {
		dropColour(m)
	}
	var srep *mesh.SimplifyReport
	if len(m.Faces) > budget { // the backend leaves the budget to the Generator (LeaveBudget)
		s, r, err := simplifyToBudget(ctx, m, budget)
		if err != nil {
			return nil, fmt.Errorf("generator: simplifying %d faces to %d: %w", len(m.Faces), budget, err)
		}
		m, srep = s, &r
		brep.MaxError += r.MaxError
	}
	t := m.Topology()
	if !t.Closed() || !t.Outward {
		return nil, fmt.Errorf("%w: %s backend, text: %+v", ErrNotClosed, hb.Name(), t)
	}
	rep := Report{
		Mode: Inflate, ModeReason: "text to 3D on the server", Backend: hb.Name(),
		Quality: cmp.Or(req.Quality, Standard), FaceBudget: budget, Tolerance: brep.Tolerance,
		MaxError: brep.MaxError, BudgetReached: brep.BudgetReached, Simplify: srep, OverBudget: len(m.Faces) > budget,
		Printable: brep.Printable,
		Topology:  t, Faces: t.Faces, Vertices: t.Vertices, Volume: t.Volume, Bounds: m.Bounds(),
	}
	s := rep.Bounds.Size()
	rep.Size = [3]float64{float64(s[0]), float64(s[1]), float64(s[2])}
	rep.Total = time.Since(start)
	return &Result{Mesh: m, Report: rep}, nil
}
