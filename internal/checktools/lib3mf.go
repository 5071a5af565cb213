package checktools

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ThreeMFReport is what lib3mf found in a 3MF file (.ci/lib3mf-info.cpp prints it).
type ThreeMFReport struct {
	Unit                int        `json:"unit"` // lib3mf's eModelUnit: 1 is millimetre
	Objects             int        `json:"objects"`
	BuildItems          int        `json:"buildItems"`
	Vertices            int        `json:"vertices"`
	Triangles           int        `json:"triangles"`
	Min                 [3]float64 `json:"min"`
	Max                 [3]float64 `json:"max"`
	ManifoldAndOriented bool       `json:"manifoldAndOriented"`
	ColouredTriangles   int        `json:"colouredTriangles"`
	Warnings            int        `json:"warnings"`
	Error               string     `json:"error"`
}

// Lib3MFUnitMillimetre is lib3mf's code for the millimetre unit.
const Lib3MFUnitMillimetre = 1

// Read3MF reads data with lib3mf, the 3MF Consortium's reference library (Debian's lib3mf-dev),
// through the small program .ci/lib3mf-info.cpp, and fails t unless lib3mf reads it without
// error or warning. The program is ORFEAS_LIB3MF_INFO, else <repo>/.tools/lib3mf-info (build
// it with `g++ -O1 -I/usr/include/lib3mf -o .tools/lib3mf-info .ci/lib3mf-info.cpp -l3MF`).
func Read3MF(t testing.TB, data []byte) ThreeMFReport {
	t.Helper()
	tool := os.Getenv("ORFEAS_LIB3MF_INFO")
	if tool == "" {
		tool = filepath.Join(repoRoot(), ".tools", "lib3mf-info")
	}
	if _, err := os.Stat(tool); err != nil {
		Missing(t, "lib3mf-info: %v (apt-get install lib3mf-dev g++; g++ -O1 -I/usr/include/lib3mf -o .tools/lib3mf-info .ci/lib3mf-info.cpp -l3MF)", err)
	}
	f := filepath.Join(t.TempDir(), "model.3mf")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, f).Output()
	var rep ThreeMFReport
	if jerr := json.Unmarshal(out, &rep); jerr != nil {
		t.Fatalf("lib3mf-info: %v, output %q (%v)", err, out, jerr)
	}
	if err != nil || rep.Error != "" || rep.Warnings != 0 {
		t.Fatalf("lib3mf rejects the file: %s (%v)", out, err)
	}
	return rep
}
