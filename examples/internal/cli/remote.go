package cli

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/mesh"
	"github.com/orfeas3d/orfeas/mesh/meshio"
	"github.com/orfeas3d/orfeas/textimage"
)

// RemoteFlags are the flags that configure remote services: the Hunyuan3D-2 server behind
// -backend hunyuan, and a text-to-image provider.
type RemoteFlags struct {
	HunyuanURL     string
	HunyuanAsync   bool
	HunyuanTexture bool
	HunyuanTimeout time.Duration
	// HunyuanHeaderTimeout bounds the wait for each answer's headers (hunyuan.Options.HeaderTimeout).
	HunyuanHeaderTimeout time.Duration
	// HunyuanRest is how the model is stood on the bed: "lowest" or "stable".
	HunyuanRest   string
	Txt2ImgURL    string
	Txt2ImgAPI    string
	Txt2ImgModel  string
	Txt2ImgKeyEnv string
}

// AddRemoteFlags registers -hunyuan-url, -hunyuan-async, -hunyuan-texture, -hunyuan-timeout,
// -hunyuan-header-timeout, -hunyuan-rest, -txt2img-url, -txt2img-api, -txt2img-model and -txt2img-key-env on fs.
func AddRemoteFlags(fs *flag.FlagSet) *RemoteFlags {
	r := &RemoteFlags{}
	fs.StringVar(&r.HunyuanURL, "hunyuan-url", "", "Hunyuan3D-2 api_server base `URL` for -backend hunyuan, such as http://gpu-box:8080")
	fs.BoolVar(&r.HunyuanAsync, "hunyuan-async", false, "hunyuan: use /send and /status instead of one long /generate")
	fs.BoolVar(&r.HunyuanTexture, "hunyuan-texture", false, "hunyuan: ask the server for a textured model (slower)")
	fs.DurationVar(&r.HunyuanTimeout, "hunyuan-timeout", 0, "hunyuan: deadline of one model (default 10m)")
	fs.DurationVar(&r.HunyuanHeaderTimeout, "hunyuan-header-timeout", 0, "hunyuan: bound on the wait for each answer's headers (default 5m; negative: none)")
	fs.StringVar(&r.HunyuanRest, "hunyuan-rest", "lowest", "hunyuan: how the model stands on the bed: lowest (its lowest point, the server's up axis) or stable (the largest hull face under its centre of mass)")
	fs.StringVar(&r.Txt2ImgURL, "txt2img-url", "", "text-to-image service base `URL` (AUTOMATIC1111/Forge, or OpenAI-compatible with -txt2img-api openai)")
	fs.StringVar(&r.Txt2ImgAPI, "txt2img-api", "a1111", "text-to-image API: a1111 (POST /sdapi/v1/txt2img) or openai (POST /v1/images/generations)")
	fs.StringVar(&r.Txt2ImgModel, "txt2img-model", "", "openai: the model to ask for")
	fs.StringVar(&r.Txt2ImgKeyEnv, "txt2img-key-env", "OPENAI_API_KEY", "openai: the environment `variable` holding the bearer key")
	return r
}

// TextImage returns the configured provider, nil when -txt2img-url is empty; an unknown
// -txt2img-api is a *UsageError.
func (r *RemoteFlags) TextImage() (textimage.Provider, error) {
	if r == nil || r.Txt2ImgURL == "" {
		return nil, nil
	}
	switch strings.ToLower(r.Txt2ImgAPI) {
	case "", "a1111", "forge":
		return &textimage.A1111{URL: r.Txt2ImgURL}, nil
	case "openai":
		return &textimage.OpenAI{URL: r.Txt2ImgURL, Model: r.Txt2ImgModel, KeyEnv: r.Txt2ImgKeyEnv}, nil
	}
	return nil, Usagef("-txt2img-api %q: want a1111 or openai", r.Txt2ImgAPI)
}

// Config returns the generator configuration for backend and the remote flags.
func (r *RemoteFlags) Config(backend string) (generator.Config, error) {
	cfg := generator.Config{Backend: backend}
	if r == nil {
		return cfg, nil
	}
	if strings.EqualFold(strings.TrimSpace(backend), generator.BackendHunyuan) && r.HunyuanURL == "" {
		return cfg, Usagef("-backend hunyuan needs -hunyuan-url")
	}
	rest, err := parseRest(r.HunyuanRest)
	if err != nil {
		return cfg, err
	}
	cfg.Hunyuan = hunyuan.Options{URL: r.HunyuanURL, Async: r.HunyuanAsync, Texture: r.HunyuanTexture,
		Timeout: r.HunyuanTimeout, HeaderTimeout: r.HunyuanHeaderTimeout, Rest: rest}
	p, err := r.TextImage()
	if err != nil {
		return cfg, err
	}
	cfg.TextImage = p
	return cfg, nil
}

// OpenGeneratorWith opens the generator for backend with the remote flags r (nil: none), as
// OpenGenerator does: a configuration problem is a *UsageError that keeps its cause.
func OpenGeneratorWith(backend string, r *RemoteFlags) (*generator.Generator, error) {
	return OpenGeneratorModels(backend, r, nil)
}

// Printable reads the mesh file in (format inf), makes it printable (mesh.MakePrintable: repair,
// then solidify where repair cannot close it, on hunyuan.SolidifyResolution's grid for the
// request's face budget) and writes it to out in format f. The Result's report carries the
// topology, size and budget; the backend is "solidify" when it was rebuilt, "repair" otherwise.
func Printable(ctx context.Context, in, out string, inf, f meshio.Format, req generator.Request) (*generator.Result, error) {
	if filepath.Clean(in) == filepath.Clean(out) {
		return nil, Usagef("%s would be overwritten by its own repaired mesh: give -o or -format", in)
	}
	file, err := os.Open(in)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	m, err := meshio.Decode(file, inf)
	if err != nil {
		return nil, err
	}
	settings, err := req.Quality.Settings()
	if err != nil {
		return nil, Usagef("-quality: %v", err)
	}
	budget := req.FaceBudget
	if budget == 0 {
		budget = settings.FaceBudget
	}
	p, rep, err := mesh.MakePrintable(ctx, m, mesh.PrintableOptions{
		Solidify: mesh.SolidifyOptions{Resolution: hunyuan.SolidifyResolution(budget), FaceBudget: budget},
	})
	if err != nil {
		return nil, err
	}
	t := p.Topology()
	r := generator.Report{Backend: "repair", FaceBudget: budget, Topology: t, Faces: t.Faces, Vertices: t.Vertices, Volume: t.Volume, Bounds: p.Bounds(),
		Printable: backends.NewPrintable(rep, len(p.Faces))}
	if rep.Solidified {
		r.Backend, r.MaxError, r.Tolerance = "solidify", rep.Solidify.Hausdorff, rep.Solidify.Voxel
	}
	s := r.Bounds.Size()
	r.Size = [3]float64{float64(s[0]), float64(s[1]), float64(s[2])}
	res := &generator.Result{Mesh: p, Report: r}
	return res, WriteAtomic(ctx, out, func(w io.Writer) error { return res.Encode(w, f) })
}

// parseRest reads -hunyuan-rest; anything but lowest or stable is a *UsageError.
func parseRest(s string) (hunyuan.Rest, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "lowest":
		return hunyuan.RestLowest, nil
	case "stable", "stable-face":
		return hunyuan.RestStableFace, nil
	}
	return hunyuan.RestLowest, Usagef("-hunyuan-rest %q: want lowest or stable", s)
}
