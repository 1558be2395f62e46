package pgcrypto

import (
	"errors"
	"testing"

	"github.com/pg-gotls/pg-gotls/internal/fipstest"
)

// TestFIPSMode runs TestFIPSModeChild in a process in FIPS 140-3 mode.
func TestFIPSMode(t *testing.T) { fipstest.RunChild(t, "TestFIPSModeChild") }

func TestFIPSModeChild(t *testing.T) {
	fipstest.InChild(t)
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
