// A C program doing what contrib/sslinfo/sslinfo.c does, with the same
// OpenSSL calls, as the sslinfo tests' exact oracle: where a C compiler
// and OpenSSL's headers are installed, NameField and Extensions are
// compared with it byte for byte, with none of the mapping the openssl
// binary's output needs (sslinfo_cli_oracle_test.go).

package pgtls

import (
	"crypto/x509"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// siOracleC does what contrib/sslinfo/sslinfo.c does, with the same
// OpenSSL calls, and prints each result as hex.
const siOracleC = `
#include <stdio.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static void hex(const char *p, long n) {
	for (long i = 0; i < n; i++) printf("%02x", (unsigned char) p[i]);
	printf("\n");
}

/* X509_NAME_field_to_text and ASN1_STRING_to_text */
static void field(X509_NAME *name, const char *f) {
	int nid = OBJ_txt2nid(f), idx;
	if (nid == NID_undef) { printf("ERROR\n"); return; }
	if ((idx = X509_NAME_get_index_by_NID(name, nid, -1)) < 0) { printf("NULL\n"); return; }
	BIO *m = BIO_new(BIO_s_mem());
	ASN1_STRING_print_ex(m, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)),
		((ASN1_STRFLGS_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT));
	char *p; long n = BIO_get_mem_data(m, &p);
	printf("VALUE "); hex(p, n);
	BIO_free(m);
}

int main(int argc, char **argv) {
	FILE *fp = fopen(argv[1], "rb");
	X509 *x = fp ? d2i_X509_fp(fp, NULL) : NULL;
	if (x == NULL) { printf("BADCERT\n"); return 0; }
	for (int i = 2; i < argc; i++)
		field(argv[i][0] == 's' ? X509_get_subject_name(x) : X509_get_issuer_name(x), argv[i] + 1);
	/* ssl_extension_info */
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
		if (nid == NID_undef) { printf("EXT unknown\n"); break; }
		BIO *m = BIO_new(BIO_s_mem());
		if (X509V3_EXT_print(m, e, 0, 0) <= 0) { printf("EXT unprintable\n"); break; }
		char *p; long n = BIO_get_mem_data(m, &p);
		printf("EXT %s %d ", OBJ_nid2sn(nid), X509_EXTENSION_get_critical(e)); hex(p, n);
		BIO_free(m);
	}
	return 0;
}
`

// siCompileOracle builds siOracleC, or skips.
func siCompileOracle(t *testing.T) string {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "oracle.c"), filepath.Join(dir, "oracle")
	if err := os.WriteFile(src, []byte(siOracleC), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-o", bin, src, "-lcrypto").CombinedOutput(); err != nil {
		t.Skipf("cannot build the OpenSSL oracle (headers or libcrypto missing?): %v\n%s", err, out)
	}
	return bin
}

// siOracle runs the C oracle on a certificate: one line per field (subject
// fields prefixed "s", issuer ones "i"), then one per extension.
func siOracle(t *testing.T, bin string, der []byte, queries ...string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cert.der")
	if err := os.WriteFile(path, der, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, append([]string{path}, queries...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

func siHex(s string) string { return hex.EncodeToString([]byte(s)) }

// TestSSLInfoCOracle compares NameField and Extensions byte for byte with
// what sslinfo's own OpenSSL calls return.
func TestSSLInfoCOracle(t *testing.T) {
	bin := siCompileOracle(t)
	issuer := siIssuer()
	check := func(t *testing.T, der, subject, issuer []byte, cert *x509.Certificate) {
		var queries []string
		for _, f := range siFields {
			queries = append(queries, "s"+f, "i"+f)
		}
		lines := siOracle(t, bin, der, queries...)
		if lines[0] == "BADCERT" {
			t.Log("OpenSSL does not load this certificate")
			return
		}
		for i, q := range queries {
			raw := subject
			if q[0] == 'i' {
				raw = issuer
			}
			v, ok, err := NameField(raw, q[1:])
			got := "VALUE " + siHex(v)
			switch {
			case err != nil:
				got = "ERROR"
			case !ok:
				got = "NULL"
			}
			if got != lines[i] {
				t.Errorf("%s: got %s, sslinfo %s", q, got, lines[i])
			}
		}
		if cert == nil {
			return
		}
		exts, err := Extensions(cert)
		var got []string
		for _, e := range exts {
			crit := "0"
			if e.Critical {
				crit = "1"
			}
			got = append(got, "EXT "+e.Name+" "+crit+" "+siHex(e.Value))
		}
		if err != nil {
			if strings.HasPrefix(err.Error(), "unknown") {
				got = append(got, "EXT unknown")
			} else {
				got = append(got, "EXT unprintable")
			}
		}
		want := lines[len(queries):]
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("extensions:\n got  %q\n want %q", got, want)
		}
	}
	for label, subject := range siNames() {
		t.Run("name "+label, func(t *testing.T) {
			der, cert := siMint(t, subject, issuer, nil)
			check(t, der, subject, issuer, cert)
		})
	}
	for label, edit := range siExtCases() {
		t.Run("extensions "+label, func(t *testing.T) {
			subject := siName(siRDN(siUTF8(siCN, "ext")))
			der, cert := siMint(t, subject, issuer, edit)
			check(t, der, subject, issuer, cert)
		})
	}
	for _, f := range siPostgresCertFiles() {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cert := siReadPEM(t, f)
			check(t, cert.Raw, cert.RawSubject, cert.RawIssuer, cert)
		})
	}
}
