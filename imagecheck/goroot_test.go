package imagecheck

import (
	"os/exec"
	"strings"
)

func execGoEnvGOROOT() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	return strings.TrimSpace(string(out)), err
}
