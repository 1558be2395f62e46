// Tests of the object table against the openssl binary, since field
// names and extension names come from it and must be OpenSSL 3.0's.

package pgtls

import (
	"testing"
)

// TestSSLInfoObjectTable checks v3ObjectTable against the openssl binary:
// same OIDs, names, and OBJ_txt2nid resolution of every name in it.
func TestSSLInfoObjectTable(t *testing.T) {
	l := siObjects(t)
	for _, o := range v3Objects().byOID {
		if !l.known[o.oid] || l.snByLN[o.ln] != o.sn || l.byLN[o.ln] != o.oid {
			t.Errorf("%s: table has %q / %q, openssl %q / %q", o.oid, o.sn, o.ln, l.snByLN[o.ln], l.byLN[o.ln])
		}
		for _, name := range []string{o.sn, o.ln} {
			want, _ := siResolve(t, name)
			if got, ok := v3FieldOID(name); !ok || got != want {
				t.Errorf("%q resolves to %q, openssl %q", name, got, want)
			}
		}
	}
}
