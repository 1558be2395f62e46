package pgcrypto

import (
	"bytes"
	"crypto/fips140"
	"errors"
	"os"
	"os/exec"
	"testing"
)

// TestFIPSMode runs TestFIPSModeChild in a copy of this test binary with
// GODEBUG=fips140=only: the mode is chosen when the runtime starts.
func TestFIPSMode(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run", "^TestFIPSModeChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "GODEBUG=fips140=only", "PGGOTLS_FIPS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestFIPSModeChild")) {
		t.Fatalf("in FIPS 140-3 mode: %v\n%s", err, out)
	}
}

func TestFIPSModeChild(t *testing.T) {
	if os.Getenv("PGGOTLS_FIPS_CHILD") == "" {
		t.Skip("run by TestFIPSMode, in FIPS 140-3 mode")
	}
	if !fips140.Enforced() {
		t.Fatal("GODEBUG=fips140=only did not take")
	}
	for name, d := range digests {
		h, err := NewDigest(name)
		switch {
		case d.approved && err != nil:
			t.Errorf("%s refused: %v", name, err)
		case d.approved:
			h.Write([]byte("x")) // Go's own check would panic or fail here
			h.Sum(nil)
		case !errors.Is(err, ErrNotApproved):
			t.Errorf("%s: %v, want ErrNotApproved", name, err)
		}
	}
	key := make([]byte, 16)
	for name, c := range ciphers {
		ciph, err := NewCipher(name, key, nil, false, true)
		switch {
		case c.approved && err != nil:
			t.Errorf("%s refused: %v", name, err)
		case c.approved:
			out := make([]byte, ciph.OutputSize(5))
			if _, err := ciph.Crypt(out, []byte("hello")); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case !errors.Is(err, ErrNotApproved):
			t.Errorf("%s: %v, want ErrNotApproved", name, err)
		}
	}
}
