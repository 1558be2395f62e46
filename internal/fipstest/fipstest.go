// Package fipstest runs a package's FIPS 140-3 tests in a process of their
// own: the Go runtime chooses the mode when it starts, from GODEBUG, so a
// test binary re-runs itself with GODEBUG=fips140=only.
package fipstest

import (
	"bytes"
	"crypto/fips140"
	"os"
	"os/exec"
	"testing"
)

const childVar = "PGGOTLS_FIPS_CHILD"

// RunChild runs the test named child in a copy of this test binary with
// GODEBUG=fips140=only, and fails t unless it passes there.
func RunChild(t *testing.T, child string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^"+child+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "GODEBUG=fips140=only", childVar+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+child)) {
		t.Fatalf("in FIPS 140-3 mode: %v\n%s", err, out)
	}
}

// InChild skips t unless RunChild started this process, and fails it if
// the mode did not take.
func InChild(t *testing.T) {
	t.Helper()
	if os.Getenv(childVar) == "" {
		t.Skip("run by its parent test, in FIPS 140-3 mode")
	}
	if !fips140.Enforced() {
		t.Fatal("GODEBUG=fips140=only did not take")
	}
}
