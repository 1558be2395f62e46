//go:build interop

package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pgcrypto on Go (contrib/pgcrypto/gotls.c and pgp-mpi-gotls.c over the
// library's pgcrypto package) against pgcrypto on OpenSSL: the same
// queries on a server of each build must give the same bytes and the
// same errors, and what one encrypts the other decrypts. pgcrypto's own
// regression suite runs in make check too (test/contrib.sh); this covers
// what that suite cannot: agreement with OpenSSL where outputs are random,
// and names and key lengths the suite does not try.
//
// OpenSSL's build here has no legacy provider, so Blowfish, DES and CAST5
// are compared with the suite's expected outputs only, not here.

// tryFunction runs one query and returns its result or its error message.
const tryFunction = `CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
	EXECUTE q INTO r;
	RETURN coalesce(r, 'NULL');
EXCEPTION WHEN others THEN
	RETURN 'ERROR: ' || SQLERRM;
END $$;`

// pgcryptoServer is a server of one build with pgcrypto and try().
func pgcryptoServer(t *testing.T, prefix string, env []string) *server {
	s := startServerEnv(t, prefix, "", "local all all trust\n", env)
	s.installPgcrypto(t)
	return s
}

// installPgcrypto creates pgcrypto and try() in a server's database.
func (s *server) installPgcrypto(t *testing.T) {
	t.Helper()
	s.sql(t, "CREATE EXTENSION pgcrypto")
	s.sql(t, tryFunction)
}

// tryAll runs each query through try() and returns the results in order.
func (s *server) tryAll(t *testing.T, queries []string) []string {
	t.Helper()
	var values []string
	for i, q := range queries {
		values = append(values, fmt.Sprintf("(%d, $q$%s$q$)", i, q))
	}
	out := s.sql(t, "SELECT try(q) FROM (VALUES "+strings.Join(values, ", ")+") v(i, q) ORDER BY i")
	rows := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(rows) != len(queries) {
		t.Fatalf("%d queries, %d results:\n%s", len(queries), len(rows), out)
	}
	return rows
}

// pgcryptoQueries are deterministic queries that OpenSSL 3's default
// provider and Go both answer.
func pgcryptoQueries() []string {
	var qs []string
	for _, d := range []string{"md5", "sha1", "sha224", "sha256", "sha384", "sha512",
		"SHA256", "Sha512", "sha-1", "sha2-256", "sha512-224", "sha512-256", "sha3-224",
		"sha3-256", "sha3-384", "sha3-512", "blake2b512", "blake2s256", "ripemd160",
		"rmd160", "nosuch"} {
		qs = append(qs,
			fmt.Sprintf("SELECT encode(digest('pgcrypto on Go', '%s'), 'hex')", d),
			fmt.Sprintf("SELECT encode(hmac('pgcrypto on Go', 'a key', '%s'), 'hex')", d))
	}
	keys := []string{"", "k", "0123456789abcdef", "0123456789abcdef0123",
		"0123456789abcdef01234567", "0123456789abcdef0123456789abcdef",
		"0123456789abcdef0123456789abcdef!"}
	data := []string{"", "short", "sixteen bytes!!!", "a message over two AES blocks, not aligned"}
	for _, alg := range []string{"aes", "aes-ecb", "aes-cbc", "aes-cfb", "rijndael-ecb",
		"aes-cbc/pad:none", "aes-ecb/pad:none", "aes-cfb/pad:none", "aes-ofb", "nosuch-cbc"} {
		for _, k := range keys {
			for _, d := range data {
				enc := fmt.Sprintf("encrypt('%s', '%s', '%s')", d, k, alg)
				qs = append(qs,
					"SELECT encode("+enc+", 'hex')",
					fmt.Sprintf("SELECT encode(decrypt(%s, '%s', '%s'), 'escape')", enc, k, alg))
			}
		}
		qs = append(qs,
			fmt.Sprintf("SELECT encode(encrypt_iv('iv test', 'key', 'an IV of 16 byte', '%s'), 'hex')", alg),
			fmt.Sprintf("SELECT encode(decrypt('\\x00112233445566778899aabbccddeeff', 'key', '%s'), 'hex')", alg),
			fmt.Sprintf("SELECT encode(decrypt('\\x0011', 'key', '%s'), 'hex')", alg))
	}
	return qs
}

func TestPgcryptoMatchesOpenSSL(t *testing.T) {
	goSrv := pgcryptoServer(t, goPrefix, nil)
	osslSrv := pgcryptoServer(t, osslPrefix, nil)
	queries := pgcryptoQueries()
	got, want := goSrv.tryAll(t, queries), osslSrv.tryAll(t, queries)
	errors := 0
	for i, q := range queries {
		if got[i] != want[i] {
			t.Errorf("%s\n  Go:      %s\n  OpenSSL: %s", q, got[i], want[i])
		}
		if strings.HasPrefix(got[i], "ERROR: ") {
			errors++
		}
	}
	t.Logf("%d queries, %d of them errors, the same on both", len(queries), errors)
	if errors == 0 || errors == len(queries) {
		t.Fatalf("%d errors in %d queries: the comparison compared nothing useful", errors, len(queries))
	}

	// Random outputs: what one side encrypts, the other decrypts.
	tree := os.Getenv("PG_TREE")
	if tree == "" {
		t.Fatal("PG_TREE must be set (make check does)")
	}
	keys := filepath.Join(tree, "contrib", "pgcrypto", "sql", "pgp-pubkey-decrypt.sql")
	for _, s := range []*server{goSrv, osslSrv} {
		// Creates keytbl: ElGamal keys 1-3, RSA key 6 (its decryption
		// checks run too, and are pgcrypto's suite's business).
		run(t, s.bin("psql"), "-X", "-q", "-h", s.dir, "-p", fmt.Sprint(s.port), "-U", "postgres", "-d", "postgres", "-f", keys)
	}
	for _, dir := range []struct {
		name     string
		from, to *server
	}{{"Go to OpenSSL", goSrv, osslSrv}, {"OpenSSL to Go", osslSrv, goSrv}} {
		t.Run(dir.name, func(t *testing.T) {
			for _, opts := range []string{"", "cipher-algo=aes256", "cipher-algo=aes192, compress-algo=1",
				"compress-algo=2, compress-level=9", "s2k-mode=0", "s2k-mode=1, s2k-digest-algo=sha1",
				"s2k-count=1024, s2k-cipher-algo=aes128", "sess-key=1", "disable-mdc=1", "unicode-mode=1"} {
				armored := dir.from.sql(t, fmt.Sprintf("SELECT armor(pgp_sym_encrypt('symmetric secret', 'pw', '%s'))", opts))
				plain := dir.to.sql(t, fmt.Sprintf("SELECT pgp_sym_decrypt(dearmor($a$%s$a$), 'pw')", armored))
				if plain != "symmetric secret\n" {
					t.Errorf("pgp_sym_encrypt(%q): decrypted %q", opts, plain)
				}
			}
			for _, id := range []int{1, 2, 3, 6} {
				armored := dir.from.sql(t, fmt.Sprintf("SELECT armor(pgp_pub_encrypt('public secret', dearmor(pubkey))) FROM keytbl WHERE id = %d", id))
				plain := dir.to.sql(t, fmt.Sprintf("SELECT pgp_pub_decrypt(dearmor($a$%s$a$), dearmor(seckey)) FROM keytbl WHERE id = %d", armored, id))
				if plain != "public secret\n" {
					t.Errorf("pgp_pub_encrypt with key %d: decrypted %q", id, plain)
				}
			}
		})
	}
}
