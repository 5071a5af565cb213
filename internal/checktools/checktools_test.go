package checktools

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissingFailsWhenRequired re-runs this test binary on a test that meets a missing tool: it
// must skip without ORFEAS_REQUIRE_TOOLS and fail with ORFEAS_REQUIRE_TOOLS=1.
func TestMissingFailsWhenRequired(t *testing.T) {
	if os.Getenv("CHECKTOOLS_CHILD") == "1" {
		Missing(t, "a tool that is not there")
		return
	}
	for _, c := range []struct {
		require string
		fail    bool
	}{{"", false}, {"1", true}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingFailsWhenRequired$", "-test.v")
		cmd.Env = append(os.Environ(), "CHECKTOOLS_CHILD=1", "ORFEAS_REQUIRE_TOOLS="+c.require)
		out, err := cmd.CombinedOutput()
		if failed := err != nil; failed != c.fail {
			t.Errorf("ORFEAS_REQUIRE_TOOLS=%q: failed %v, want %v\n%s", c.require, failed, c.fail, out)
		}
		if !c.fail && !strings.Contains(string(out), "SKIP") {
			t.Errorf("without ORFEAS_REQUIRE_TOOLS the test did not skip:\n%s", out)
		}
	}
}
