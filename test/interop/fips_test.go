//go:build interop

package interop

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFIPSBuild: the Go build with the library and pg_tlsd built with
// FIPS140=only (the Makefile's copy of the installation), and no GODEBUG
// anywhere: the TLS process, SHOW ssl_library, the client and pgcrypto in
// the backends are all in the mode; a forked child cannot carry on a
// session it inherited.
func TestFIPSBuild(t *testing.T) {
	prefix := os.Getenv("PG_GO_FIPS_PREFIX")
	if prefix == "" {
		t.Fatal("PG_GO_FIPS_PREFIX must be set (make check does)")
	}
	f := newFixtureOn(t, prefix)
	conninfo := f.verifyFull()
	// The copied psql would find the first build's libpq by its run path.
	env := []string{"LD_LIBRARY_PATH=" + filepath.Join(prefix, "lib")}
	r := client(t, f.home, env, filepath.Join(prefix, "bin", "psql"), "-X", "-At", "-d", conninfo, "-c", `\conninfo`, "-c", "SHOW ssl_library")
	if r.err != nil {
		t.Fatal(r)
	}
	if !strings.Contains(r.stdout, "SSL Library|Go crypto/tls (FIPS 140-3 mode, approved algorithms only)") {
		t.Errorf("\\conninfo does not show the client's FIPS mode:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, ", FIPS 140-3 mode, approved algorithms only)\n") {
		t.Errorf("SHOW ssl_library does not show the server's FIPS mode:\n%s", r.stdout)
	}
	if log := f.srv.log(t); !strings.Contains(log, "running in FIPS 140-3 mode, approved algorithms only") {
		t.Errorf("the TLS process did not log its FIPS mode:\n%s", log)
	}
	checkPgcryptoFIPS(t, f.srv)

	// crypto/tls keeps the data path in FIPS mode, so a session's state
	// cannot be had: a forked child is refused the connection it
	// inherited, and opens new ones through the (FIPS) helper.
	r = client(t, f.home, env, tool("pgtls_fork"), "after", conninfo)
	for _, want := range []string{
		`child: inherited connection refused: .*SSL connection was inherited across fork\(\) and cannot be used in this process`,
		`child, new connection: tls query ok`, "parent: query after fork ok",
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("fork after connect in FIPS mode: want %q in\n%s", want, r)
		}
	}
}

// checkPgcryptoFIPS: pgcrypto in a backend in FIPS 140-3 mode with
// enforcement says the mode is on, runs approved algorithms and refuses
// the others by name.
func checkPgcryptoFIPS(t *testing.T, s *server) {
	s.installPgcrypto(t)
	for q, want := range map[string]string{
		"SELECT fips_mode()":                                                     "true",
		"SELECT encode(digest('x', 'sha256'), 'hex')":                            "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
		"SELECT encode(decrypt(encrypt('x', 'k', 'aes'), 'k', 'aes'), 'escape')": "x",
		"SELECT encode(digest('x', 'md5'), 'hex')":                               `ERROR: digest "md5" is not approved in FIPS 140-3 mode`,
		"SELECT encode(encrypt('x', 'k', 'bf'), 'hex')":                          `ERROR: cipher "bf-cbc" is not approved in FIPS 140-3 mode`,
		"SELECT crypt('pw', salt) FROM (SELECT '$1$salt' AS salt, set_config('pgcrypto.builtin_crypto_enabled', 'fips', true)) s": "ERROR: use of non-FIPS validated crypto not allowed when Go's cryptography is in FIPS 140-3 mode",
	} {
		if got := s.tryAll(t, []string{q})[0]; got != want {
			t.Errorf("pgcrypto in FIPS mode: %s\n  got:  %s\n  want: %s", q, got, want)
		}
	}
}

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
			conninfo := f.verifyFull()
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
				// Go in a backend cannot see GODEBUG: pgcrypto refuses to
				// run in a weaker mode than asked.
				f.srv.installPgcrypto(t)
				got := f.srv.tryAll(t, []string{"SELECT encode(digest('x', 'sha256'), 'hex')"})[0]
				if got != "ERROR: pgcrypto cannot run in the FIPS 140-3 mode asked for" {
					t.Errorf("pgcrypto under GODEBUG=fips140=only in a library built without it: %s", got)
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
