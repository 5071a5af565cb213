package service

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// generateRequest is the body of generate-3d.
type generateRequest struct {
	JobID      string          `json:"job_id"`
	Format     string          `json:"format"`
	Quality    json.RawMessage `json:"quality"`
	Mode       string          `json:"mode"`
	Dimensions *struct {
		Width  *float64 `json:"width"`
		Height *float64 `json:"height"`
		Depth  *float64 `json:"depth"`
	} `json:"dimensions"`
}

// genParams are a generation's checked parameters.
type genParams struct {
	ext          string // stl, obj, glb or ply
	format       meshio.Format
	quality      generator.Quality
	qualityInput any // the quality as the client gave it (or the default 7)
	mode         generator.Mode
	width        float64
	height       float64
	depth        float64
}

// DefaultQuality is the quality of a request that gives none, on the 1–10 scale.
const DefaultQuality = 7

// parseFormat accepts the four download formats, case-insensitively; "" is STL.
func parseFormat(s string) (string, meshio.Format, error) {
	ext := strings.ToLower(strings.TrimSpace(s))
	if ext == "" {
		ext = "stl"
	}
	if !slices.Contains(modelFormats, ext) {
		return "", 0, fmt.Errorf("format %q: want one of %s", s, strings.Join(modelFormats, ", "))
	}
	f, err := meshio.ParseFormat(ext)
	return ext, f, err
}

// parseQuality accepts a number 1–10 (JSON number or string) or a level name; empty is the
// default.
func parseQuality(raw string, isNumber bool) (generator.Quality, any, error) {
	if raw == "" {
		q, err := generator.QualityFromScale(DefaultQuality)
		return q, DefaultQuality, err
	}
	if isNumber {
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f != math.Trunc(f) || f < 1 || f > 10 {
			return "", nil, fmt.Errorf("quality %s: want an integer from 1 to 10 or draft, standard, high, ultra", raw)
		}
		q, err := generator.QualityFromScale(int(f))
		return q, int(f), err
	}
	q, err := generator.ParseQuality(raw)
	if err != nil {
		return "", nil, fmt.Errorf("quality %q: want an integer from 1 to 10 or draft, standard, high, ultra", raw)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(raw)); err == nil {
		return q, n, nil
	}
	return q, raw, nil
}

// parseParams checks format, quality and mode (and dimensions, when given) and reports every
// problem at once.
func parseParams(format, quality string, qualityIsNumber bool, mode string, dims [3]*float64) (genParams, error) {
	var p genParams
	var problems []string
	var err error
	if p.ext, p.format, err = parseFormat(format); err != nil {
		problems = append(problems, err.Error())
	}
	if p.quality, p.qualityInput, err = parseQuality(quality, qualityIsNumber); err != nil {
		problems = append(problems, err.Error())
	}
	if p.mode, err = generator.ParseMode(strings.TrimSpace(mode)); err != nil {
		problems = append(problems, fmt.Sprintf("mode %q: want one of auto, relief, lithophane, extrude, inflate", mode))
	}
	names := [3]string{"width", "height", "depth"}
	vals := [3]*float64{&p.width, &p.height, &p.depth}
	for i, d := range dims {
		if d == nil {
			continue
		}
		v := *d
		if math.IsNaN(v) || v < 0 || v > generator.MaxSize {
			problems = append(problems, fmt.Sprintf("dimensions.%s %g: want a size in mm from 0 (automatic) to %g", names[i], v, generator.MaxSize))
			continue
		}
		*vals[i] = v
	}
	if len(problems) == 0 {
		probe := p.request(nil)
		probe.Image = []byte{0} // Validate looks at the fields only
		if err := probe.Validate(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return p, &httpError{status: http.StatusBadRequest, msg: "invalid request", details: problems}
	}
	return p, nil
}

func (p *genParams) request(img []byte) generator.Request {
	return generator.Request{Image: img, Mode: p.mode, Quality: p.quality, Width: p.width, Height: p.height, Depth: p.depth}
}
