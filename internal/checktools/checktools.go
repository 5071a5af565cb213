// Package checktools runs the external checkers the tests hold the encoders' output to: the
// Khronos glTF Validator (through the Node script .ci/gltf-validate.mjs) on GLB, and admesh on
// STL. A missing tool skips the calling test, unless ORFEAS_REQUIRE_TOOLS=1 (as CI sets it), where
// it fails the test.
//
// The validator script is named by ORFEAS_GLTF_VALIDATOR; when that is unset, the repository's
// own script is used if <repo>/.tools/node_modules/gltf-validator exists (install it with
// `npm install --prefix .tools gltf-validator@2.0.0-dev.3.10`). node and admesh must be on PATH.
package checktools

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// Missing skips or fails t for a tool that is not installed.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("ORFEAS_REQUIRE_TOOLS") == "1" {
		t.Fatalf("required tool missing (ORFEAS_REQUIRE_TOOLS=1): "+format, args...)
	}
	t.Skipf("tool missing: "+format, args...)
}

// repoRoot finds the module root above the working directory.
func repoRoot() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// GLTFReport is the part of the validator's JSON report the tests read.
type GLTFReport struct {
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

// ValidateGLB runs the Khronos glTF Validator on data and fails t unless it reports no errors and
// no warnings (infos and hints are logged). It returns the report.
func ValidateGLB(t testing.TB, data []byte) GLTFReport {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Missing(t, "node is not on PATH")
	}
	script := os.Getenv("ORFEAS_GLTF_VALIDATOR")
	if script == "" {
		repo := repoRoot()
		if _, err := os.Stat(filepath.Join(repo, ".tools", "node_modules", "gltf-validator")); err != nil {
			Missing(t, "ORFEAS_GLTF_VALIDATOR is not set and %s/.tools has no gltf-validator (npm install --prefix .tools gltf-validator@2.0.0-dev.3.10)", repo)
		}
		script = filepath.Join(repo, ".ci", "gltf-validate.mjs")
	}
	if _, err := os.Stat(script); err != nil {
		Missing(t, "glTF validator script: %v", err)
	}
	path := filepath.Join(t.TempDir(), "model.glb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, script, path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var rep GLTFReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		var ee *exec.ExitError
		if errors.As(runErr, &ee) && ee.ExitCode() == 2 {
			Missing(t, "validator did not run: %s", stderr.String())
		}
		t.Fatalf("validator output is not a report (%v): %s\n%s", runErr, stdout.String(), stderr.String())
	}
	for _, msg := range rep.Issues.Messages {
		t.Logf("validator: severity %d %s %s: %s", msg.Severity, msg.Code, msg.Pointer, msg.Message)
	}
	if rep.Issues.NumErrors != 0 || rep.Issues.NumWarnings != 0 || runErr != nil {
		t.Fatalf("validator: %d errors, %d warnings (exit: %v)", rep.Issues.NumErrors, rep.Issues.NumWarnings, runErr)
	}
	return rep
}

// admeshField reads an integer from admesh's report: the first number after the label (the
// "Original" column in the facet table).
func admeshField(t testing.TB, out []byte, label string) int {
	t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(label) + `\s*:\s*(-?\d+)`)
	m := re.FindSubmatch(out)
	if m == nil {
		t.Fatalf("admesh output has no %q:\n%s", label, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// CheckSTL runs admesh on an STL file's bytes and fails t unless it finds no disconnected,
// degenerate or backwards facets, fixes no normals, reverses no facet, and counts faces facets
// in parts parts (parts < 0: any number).
func CheckSTL(t testing.TB, data []byte, faces, parts int) {
	t.Helper()
	admesh, err := exec.LookPath("admesh")
	if err != nil {
		Missing(t, "admesh is not on PATH (apt-get install admesh)")
	}
	path := filepath.Join(t.TempDir(), "model.stl")
	if err := os.WriteFile(path, data, 0o644); err != nil {
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
	if n := admeshField(t, out, "Number of facets"); n != faces {
		t.Errorf("admesh: %d facets, want %d", n, faces)
	}
	if n := admeshField(t, out, "Number of parts"); parts >= 0 && n != parts {
		t.Errorf("admesh: %d parts, want %d", n, parts)
	}
}
