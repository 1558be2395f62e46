//go:build interop

package interop

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFIPSMode: Go's FIPS 140-3 mode, switched on by GODEBUG=fips140=only
// in the environment of the client and of the server. The Go psql
// connects with verify-full to the Go server in that mode and to the
// OpenSSL server, and both sides say the mode is on. (What the mode
// refuses, and how, is tested in tls/fips_test.go.)
func TestFIPSMode(t *testing.T) {
	fips := []string{"GODEBUG=fips140=only"}
	psql := filepath.Join(goPrefix, "bin", "psql")
	for _, b := range serverBuilds() {
		t.Run(b.name, func(t *testing.T) {
			var f *fixture
			if b.prefix == goPrefix {
				f = newFixtureEnv(t, b.prefix, fips)
			} else {
				f = newFixtureOn(t, b.prefix)
			}
			conninfo := f.conninfo("localhost") + " user=postgres sslmode=verify-full sslrootcert=" + f.certs.Path("root.crt")
			r := client(t, f.home, fips, psql, "-X", "-At", "-d", conninfo, "-c", `\conninfo`, "-c", "SHOW ssl_library")
			if r.err != nil {
				t.Fatal(r)
			}
			if !strings.Contains(r.stdout, "SSL Library|Go crypto/tls (FIPS 140-3 mode, approved algorithms only)") {
				t.Errorf("\\conninfo does not show the client's FIPS mode:\n%s", r.stdout)
			}
			if b.prefix == goPrefix {
				if !strings.Contains(r.stdout, "FIPS 140-3 mode, approved algorithms only)\n") {
					t.Errorf("SHOW ssl_library does not show the server's FIPS mode:\n%s", r.stdout)
				}
				if log := f.srv.log(t); !strings.Contains(log, "running in FIPS 140-3 mode, approved algorithms only") {
					t.Errorf("the TLS process did not log its FIPS mode:\n%s", log)
				}
			}
			// The same psql outside the mode says nothing of it.
			r = client(t, f.home, nil, psql, "-X", "-At", "-d", conninfo, "-c", `\conninfo`)
			if r.err != nil || !strings.Contains(r.stdout, "SSL Library|Go crypto/tls\n") {
				t.Errorf("without FIPS mode:\n%s", r)
			}
		})
	}
}
