package mesh

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// The tests in this file run real external checkers on the encoders' output:
//
//   - the Khronos glTF Validator on GLB, through the Node script .ci/gltf-validate.mjs. The
//     environment variable ORFEAS_GLTF_VALIDATOR names the script; when it is unset, the
//     repository's own script is used if <repo>/.tools/node_modules/gltf-validator exists.
//     node must be on PATH.
//   - admesh on binary and ASCII STL; it must be on PATH.
//
// A missing tool skips the test, unless ORFEAS_REQUIRE_TOOLS=1 (as CI sets it), where it fails.

// ioMissingTool skips or fails the test for a tool that is not installed.
func ioMissingTool(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("ORFEAS_REQUIRE_TOOLS") == "1" {
		t.Fatalf("required tool missing (ORFEAS_REQUIRE_TOOLS=1): "+format, args...)
	}
	t.Skipf("tool missing: "+format, args...)
}

// ioGLTFValidator returns the node binary and the validator script, or skips/fails.
func ioGLTFValidator(t *testing.T) (node, script string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		ioMissingTool(t, "node is not on PATH")
	}
	script = os.Getenv("ORFEAS_GLTF_VALIDATOR")
	if script == "" {
		repo, _ := filepath.Abs("..")
		if _, err := os.Stat(filepath.Join(repo, ".tools", "node_modules", "gltf-validator")); err != nil {
			ioMissingTool(t, "ORFEAS_GLTF_VALIDATOR is not set and %s/.tools has no gltf-validator (npm install --prefix .tools gltf-validator@2.0.0-dev.3.10)", repo)
		}
		script = filepath.Join(repo, ".ci", "gltf-validate.mjs")
	}
	if _, err := os.Stat(script); err != nil {
		ioMissingTool(t, "glTF validator script: %v", err)
	}
	return node, script
}

// gltfReport is the part of the validator's JSON report the test reads.
type gltfReport struct {
	Issues struct {
		NumErrors   int `json:"numErrors"`
		NumWarnings int `json:"numWarnings"`
		NumInfos    int `json:"numInfos"`
		NumHints    int `json:"numHints"`
		Messages    []struct {
			Code     string `json:"code"`
			Message  string `json:"message"`
			Severity int    `json:"severity"`
			Pointer  string `json:"pointer"`
		} `json:"messages"`
	} `json:"issues"`
	Info struct {
		TotalTriangleCount int  `json:"totalTriangleCount"`
		HasTextures        bool `json:"hasTextures"`
	} `json:"info"`
}

func TestGLBKhronosValidator(t *testing.T) {
	node, script := ioGLTFValidator(t)
	dir := t.TempDir()
	for _, s := range ioShapes() {
		t.Run(s.name, func(t *testing.T) {
			path := filepath.Join(dir, s.name+".glb")
			if err := os.WriteFile(path, ioEncode(t, s.m, GLB), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(node, script, path)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			var rep gltfReport
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				if ee, ok := runErr.(*exec.ExitError); ok && ee.ExitCode() == 2 {
					ioMissingTool(t, "validator did not run: %s", stderr.String())
				}
				t.Fatalf("validator output is not a report (%v): %s\n%s", runErr, stdout.String(), stderr.String())
			}
			for _, msg := range rep.Issues.Messages {
				t.Logf("validator: severity %d %s %s: %s", msg.Severity, msg.Code, msg.Pointer, msg.Message)
			}
			if rep.Issues.NumErrors != 0 || rep.Issues.NumWarnings != 0 || runErr != nil {
				t.Fatalf("validator: %d errors, %d warnings (exit: %v)", rep.Issues.NumErrors, rep.Issues.NumWarnings, runErr)
			}
			if rep.Info.TotalTriangleCount != len(s.m.Faces) || rep.Info.HasTextures != (s.m.Texture != nil) {
				t.Fatalf("validator saw %d triangles, textures %v; want %d, %v", rep.Info.TotalTriangleCount, rep.Info.HasTextures, len(s.m.Faces), s.m.Texture != nil)
			}
		})
	}
}

// admeshField reads an integer from admesh's report: the first number after the label (the
// "Original" column in the facet table).
func admeshField(t *testing.T, out []byte, label string) int {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(label) + `\s*:\s*(-?\d+)`)
	m := re.FindSubmatch(out)
	if m == nil {
		t.Fatalf("admesh output has no %q:\n%s", label, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func TestSTLAdmesh(t *testing.T) {
	admesh, err := exec.LookPath("admesh")
	if err != nil {
		ioMissingTool(t, "admesh is not on PATH (apt-get install admesh)")
	}
	dir := t.TempDir()
	for _, s := range ioShapes() {
		for _, f := range []Format{STL, STLASCII} {
			if f == STLASCII && len(s.m.Faces) > 100_000 {
				continue // admesh reads large ASCII files slowly; the small shapes cover ASCII
			}
			t.Run(s.name+"/"+f.String(), func(t *testing.T) {
				path := filepath.Join(dir, s.name+"-"+f.String()+".stl")
				if err := os.WriteFile(path, ioEncode(t, s.m, f), 0o644); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(admesh, path).CombinedOutput()
				if err != nil {
					t.Fatalf("admesh: %v\n%s", err, out)
				}
				for _, label := range []string{
					"Facets with 1 disconnected edge", "Facets with 2 disconnected edges",
					"Facets with 3 disconnected edges", "Total disconnected facets",
					"Degenerate facets", "Backwards edges", "Normals fixed", "Facets reversed",
				} {
					if n := admeshField(t, out, label); n != 0 {
						t.Errorf("admesh: %s = %d, want 0", label, n)
					}
				}
				if n := admeshField(t, out, "Number of facets"); n != len(s.m.Faces) {
					t.Errorf("admesh: %d facets, want %d", n, len(s.m.Faces))
				}
				if n := admeshField(t, out, "Number of parts"); n != 1 {
					t.Errorf("admesh: %d parts, want 1", n)
				}
				if t.Failed() {
					t.Logf("admesh output:\n%s", out)
				}
			})
		}
	}
}
