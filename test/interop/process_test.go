//go:build interop

package interop

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func tool(name string) string { return filepath.Join(toolsDir, name) }

// TestAttributes checks what PQsslAttribute and friends report.
func TestAttributes(t *testing.T) {
	f := newFixture(t)
	conninfo := f.verifyFull()
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
// parent and child. A child forked after the Go runtime started goes on
// with a TLS 1.3 connection it inherited (its session carried on by a
// helper process), gets a clear error from a TLS 1.2 one (never a hang),
// and opens new ones through the helper process. A connection its parent
// made through a helper is the child's to go on with, as a plain socket.
func TestFork(t *testing.T) {
	f := newFixture(t)
	conninfo := f.verifyFull()

	r := client(t, f.home, nil, tool("pgtls_fork"), "before", conninfo)
	if r.err != nil || !strings.Contains(r.stdout, "parent: tls query ok") || !strings.Contains(r.stdout, "child: tls query ok") {
		t.Errorf("fork before first use:\n%s", r)
	}

	for _, b := range serverBuilds() {
		for _, c := range []struct {
			name, opts, inherited string
			env                   []string
		}{
			{"tls13", "", `child: inherited connection: tls queries ok on the same backend`, nil},
			{"tls12", " ssl_max_protocol_version=TLSv1.2",
				`child: inherited connection refused: .*SSL connection was inherited across fork\(\) and cannot be used in this process`, nil},
			// A session in a helper is a plain socket to the child, whatever
			// the protocol.
			{"helper-tls12", " ssl_max_protocol_version=TLSv1.2", `child: inherited connection: tls queries ok on the same backend`,
				[]string{helperEnv}},
		} {
			t.Run(b.name+"/"+c.name, func(t *testing.T) {
				f := newFixtureOn(t, b.prefix)
				conninfo := f.verifyFull() + c.opts
				r := client(t, f.home, c.env, tool("pgtls_fork"), "after", conninfo)
				if r.err != nil {
					t.Errorf("fork after connect:\n%s", r)
				}
				for _, want := range []string{"parent: query after fork ok", c.inherited, `child, new connection: tls query ok`} {
					if !regexp.MustCompile(want).MatchString(r.stdout) {
						t.Errorf("fork after connect: want %q in\n%s", want, r)
					}
				}
			})
		}
	}
}

// TestForkMidQuery: a child forked while its parent was reading a
// result goes on reading it on the connection it inherited, whose session
// a helper carries on from where the parent's stood, and gets every row
// right. The parent read once with several records waiting on the socket,
// so the session held ciphertext received and not yet decrypted (libpq
// drains decrypted bytes itself, pqDrainPending).
func TestForkMidQuery(t *testing.T) {
	for _, b := range serverBuilds() {
		t.Run(b.name, func(t *testing.T) {
			f := newFixtureOn(t, b.prefix)
			conninfo := f.verifyFull()
			r := client(t, f.home, nil, tool("pgtls_fork"), "midquery", conninfo)
			if r.err != nil || !strings.Contains(r.stdout, "child: the rest of the result: 100000 rows ok") ||
				!strings.Contains(r.stdout, "child: next query ok") {
				t.Errorf("fork mid-query:\n%s", r)
			}
		})
	}
}

// forkRounds is how many connections TestForkDuringConnect forks from at
// each step. Before the fix nearly every child forked mid-handshake hung,
// but whether a given step falls mid-handshake depends on timing (the
// handshake may complete within one PQconnectPoll), so many rounds.
const forkRounds = 50

// TestForkDuringConnect: a child forked at any step of a non-blocking
// connection (PQconnectStart, then PQconnectPoll under poll()) must never
// call into its parent's Go runtime, which would hang it; in particular
// mid-handshake, where PQconnectPoll would resume the TLS handshake.
// pgtls_forkpoll forks at every step, forkRounds times, and the child asks
// the SSL information functions, polls the inherited connection (or
// queries it, once complete) and finishes it, under alarm(): every child
// must end with an error, the fork error if TLS is under way but not
// established (a child forked later carries the session on, on a socket
// the test has cut, and fails there); the parent's connection must
// complete and run a query. Two connections:
// SSLRequest, verify-full (the host-name check) and SCRAM with channel
// binding (the server certificate's hash); and direct SSL.
func TestForkDuringConnect(t *testing.T) {
	for _, b := range serverBuilds() {
		t.Run(b.name, func(t *testing.T) {
			f := newFixtureOn(t, b.prefix)
			base := f.conninfo("localhost") + " gssencmode=disable"
			verify := " sslmode=verify-full sslrootcert=" + f.certs.Path("root.crt")
			for _, c := range []struct{ name, opts string }{
				{"channel-binding", verify + " user=" + scramUser + " password=" + scramPass + " channel_binding=require"},
				{"direct", verify + " user=postgres sslnegotiation=direct"},
			} {
				t.Run(c.name, func(t *testing.T) {
					r := clientWithin(t, 10*time.Minute, f.home, nil, tool("pgtls_forkpoll"), "steps", fmt.Sprint(forkRounds), base+c.opts)
					if r.err != nil {
						t.Errorf("a child hung, crashed or used the connection, or the parent failed")
					}
					for _, want := range []string{
						// some forks fell mid-handshake, and those children
						// got the fork error (is_fork_error counts them)
						`(?m)^total: forks [1-9]\d* mid-handshake [1-9]\d* refused [1-9]\d* other-error \d+ own-library 0 usable 0 hung 0 crashed 0 parent-failed 0$`,
					} {
						if !regexp.MustCompile(want).MatchString(r.stdout) {
							t.Errorf("want a line matching %q", want)
						}
					}
					if t.Failed() {
						t.Logf("pgtls_forkpoll steps:\n%s", r)
					} else {
						t.Log(regexp.MustCompile(`(?m)^total: .*$`).FindString(r.stdout))
					}
				})
			}
		})
	}
}

// TestForkWhileLoading: libpq loads the Go library under a mutex, and a
// fork while another thread holds it (in the first dlopen(), which takes
// milliseconds, or later) must not leave it locked in the child. Threads
// open TLS connections in a loop while the main thread forks; each child
// tries a connection of its own and must get an answer, not deadlock: its
// own library (forked before the load), or the helper process. Each of the
// 20 rounds is a fresh process, so that every round meets a first load.
func TestForkWhileLoading(t *testing.T) {
	f := newFixture(t)
	conninfo := f.conninfo("localhost") + " user=postgres sslmode=require gssencmode=disable"
	r := clientWithin(t, 10*time.Minute, f.home, nil, tool("pgtls_forkpoll"), "load", "20", "100", conninfo)
	if r.err != nil || !strings.Contains(r.stdout, "drivers failed: 0 of 20") {
		t.Errorf("a child or a driver hung, crashed or failed")
	}
	want := `(?m)^last child: tls query ok$`
	if !regexp.MustCompile(want).MatchString(r.stdout) {
		t.Errorf("want a line matching %q", want)
	}
	if t.Failed() {
		t.Logf("pgtls_forkpoll load:\n%s", r)
	} else {
		t.Log(regexp.MustCompile(`(?m)^drivers failed: .*$`).FindString(r.stdout))
	}
}

// TestPgDumpParallel: pg_dump -j and pg_restore -j fork their workers
// after connecting, and the workers connect through the helper process.
// A dump and restore over verify-full must carry the data whole.
func TestPgDumpParallel(t *testing.T) {
	f := newFixture(t)
	f.srv.sql(t, `CREATE TABLE a AS SELECT g, md5(g::text) AS h FROM generate_series(1, 20000) g;
		CREATE TABLE b AS SELECT g FROM generate_series(1, 5000) g;
		CREATE TABLE c (id int PRIMARY KEY, v text); INSERT INTO c SELECT g, repeat('x', g % 100) FROM generate_series(1, 3000) g`)
	f.srv.sql(t, "CREATE DATABASE restored")
	out := filepath.Join(t.TempDir(), "dump")
	verify := " user=postgres sslmode=verify-full sslrootcert=" + f.certs.Path("root.crt")
	conninfo := f.conninfo("localhost") + verify
	r := client(t, f.home, nil, filepath.Join(goPrefix, "bin", "pg_dump"), "-j", "4", "-Fd", "-f", out, "-d", conninfo)
	if r.err != nil {
		t.Fatalf("pg_dump -j 4: %s", r)
	}
	r = client(t, f.home, nil, filepath.Join(goPrefix, "bin", "pg_restore"), "-j", "4", "-d", conninfo+" dbname=restored", out)
	if r.err != nil {
		t.Fatalf("pg_restore -j 4: %s", r)
	}
	const digest = `SELECT string_agg(t || ':' || n || ':' || d, ' ' ORDER BY t) FROM (
		SELECT 'a' t, count(*) n, md5(string_agg(g || h, ',' ORDER BY g)) d FROM a
		UNION ALL SELECT 'b', count(*), md5(string_agg(g::text, ',' ORDER BY g)) FROM b
		UNION ALL SELECT 'c', count(*), md5(string_agg(id || v, ',' ORDER BY id)) FROM c) s`
	orig := f.srv.sql(t, digest)
	restored := f.srv.sqlDB(t, "restored", digest)
	if orig == "" || orig != restored {
		t.Errorf("restored data differ:\n%s\n%s", orig, restored)
	}
}

// TestThreads: many threads, each with its own TLS connection, at once.
func TestThreads(t *testing.T) {
	f := newFixture(t)
	conninfo := f.verifyFull()
	r := client(t, f.home, nil, tool("pgtls_threads"), "16", "20", conninfo)
	if r.err != nil || strings.TrimSpace(r.stdout) != "ok 16" {
		t.Fatal(r)
	}
}
