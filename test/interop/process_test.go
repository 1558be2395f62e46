//go:build interop

package interop

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func tool(name string) string { return filepath.Join(toolsDir, name) }

// TestAttributes checks what PQsslAttribute and friends report.
func TestAttributes(t *testing.T) {
	f := newFixture(t)
	conninfo := f.conninfo("localhost") + " user=postgres sslmode=verify-full sslrootcert=" + f.certs.Path("root.crt")
	for _, c := range []struct {
		name, opts string
		want       []string
	}{
		{"tls13", "", []string{
			"ssl_in_use: yes", "library: Go crypto/tls", "protocol: TLSv1.3",
			`cipher: TLS_(AES_256_GCM_SHA384|AES_128_GCM_SHA256|CHACHA20_POLY1305_SHA256)`,
			"key_bits: (128|256)", "compression: off", "alpn: postgresql",
			`library_version: go1\.\d+(\.\d+)?`, "group: (X25519MLKEM768|X25519)", "PQgetssl: NULL",
		}},
		{"tls12", " ssl_max_protocol_version=TLSv1.2", []string{
			"protocol: TLSv1.2", "cipher: ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := client(t, f.home, nil, tool("pgtls_info"), conninfo+c.opts)
			if r.err != nil {
				t.Fatal(r)
			}
			for _, w := range c.want {
				if !regexp.MustCompile(`(?m)^` + w + `$`).MatchString(r.stdout) {
					t.Errorf("want a line %q in:\n%s", w, r.stdout)
				}
			}
		})
	}
}

// TestFork: a process that forks before its first TLS connection works in
// parent and child; a child forked after the Go runtime started gets a
// clear error, never a hang.
func TestFork(t *testing.T) {
	f := newFixture(t)
	conninfo := f.conninfo("localhost") + " user=postgres sslmode=verify-full sslrootcert=" + f.certs.Path("root.crt")

	r := client(t, f.home, nil, tool("pgtls_fork"), "before", conninfo)
	if r.err != nil || !strings.Contains(r.stdout, "parent: tls query ok") || !strings.Contains(r.stdout, "child: tls query ok") {
		t.Errorf("fork before first use:\n%s", r)
	}

	r = client(t, f.home, nil, tool("pgtls_fork"), "after", conninfo)
	if r.err != nil {
		t.Errorf("fork after connect:\n%s", r)
	}
	for _, want := range []string{
		"parent: query after fork ok",
		`child: inherited connection refused: .*SSL connection was inherited across fork\(\) and cannot be used in this process`,
		`child: new connection refused: .*cannot use SSL in this process: the Go TLS library was started by process \d+ before it forked`,
	} {
		if !regexp.MustCompile(want).MatchString(r.stdout) {
			t.Errorf("fork after connect: want %q in\n%s", want, r)
		}
	}
}

// TestPgDumpParallel: pg_dump -j forks its workers after connecting. They
// cannot use TLS yet; pg_dump must fail with the clear error, not hang.
func TestPgDumpParallel(t *testing.T) {
	f := newFixture(t)
	f.srv.sql(t, "CREATE TABLE a AS SELECT g FROM generate_series(1, 1000) g; CREATE TABLE b AS SELECT g FROM generate_series(1, 1000) g")
	out := filepath.Join(t.TempDir(), "dump")
	conninfo := f.conninfo("localhost") + " user=postgres sslmode=require"
	r := client(t, f.home, nil, filepath.Join(goPrefix, "bin", "pg_dump"), "-j", "4", "-Fd", "-f", out, "-d", conninfo)
	if r.err == nil {
		t.Fatalf("pg_dump -j 4 over TLS succeeded; update this test and docs/status.md:\n%s", r)
	}
	if !strings.Contains(r.stderr, "cannot use SSL in this process") {
		t.Errorf("pg_dump -j 4 failed without the fork error:\n%s", r)
	}

	// Without -j there is no fork, and the dump works.
	r = client(t, f.home, nil, filepath.Join(goPrefix, "bin", "pg_dump"), "-Fd", "-f", out+"-serial", "-d", conninfo)
	if r.err != nil {
		t.Fatalf("pg_dump over TLS: %s", r)
	}
	if _, err := os.Stat(filepath.Join(out+"-serial", "toc.dat")); err != nil {
		t.Error(err)
	}
}

// TestThreads: many threads, each with its own TLS connection, at once.
func TestThreads(t *testing.T) {
	f := newFixture(t)
	conninfo := f.conninfo("localhost") + " user=postgres sslmode=verify-full sslrootcert=" + f.certs.Path("root.crt")
	r := client(t, f.home, nil, tool("pgtls_threads"), "16", "20", conninfo)
	if r.err != nil || strings.TrimSpace(r.stdout) != "ok 16" {
		t.Fatal(r)
	}
}
