package pgtls

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// The bounds on what a client's certificate list costs before it has
// authenticated (issue 9): a list of many certificates sharing one name,
// each signed by the next, none trusted. The work is counted in signature
// checks (clientVerifier.sigChecks), not timed.

// floodChain is a same-name chain of n certificates (certs.SameNameChain),
// minted once per shape for all the tests of the package.
type floodChain struct {
	ders  [][]byte
	certs []*x509.Certificate
	key   crypto.Signer
}

var floodChains sync.Map // "n/keyIDs" -> func() (*floodChain, error)

func getFloodChain(t testing.TB, n, keyIDs int) *floodChain {
	t.Helper()
	f, _ := floodChains.LoadOrStore(fmt.Sprintf("%d/%d", n, keyIDs), sync.OnceValues(func() (*floodChain, error) {
		ders, key, err := certs.SameNameChain(n, "x", keyIDs)
		if err != nil {
			return nil, err
		}
		fc := &floodChain{ders: ders, key: key}
		for _, d := range ders {
			c, err := x509.ParseCertificate(d)
			if err != nil {
				return nil, err
			}
			fc.certs = append(fc.certs, c)
		}
		return fc, nil
	}))
	fc, err := f.(func() (*floodChain, error))()
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

// underLimit is the longest prefix of certs whose Certificate message
// OpenSSL's server still reads (certListSize <= maxCertListBytes).
func underLimit(certs []*x509.Certificate) []*x509.Certificate {
	n := len(certs)
	for certListSize(certs[:n]) > maxCertListBytes {
		n--
	}
	return certs[:n]
}

// boundedVerifier is a verifier trusting the test root, counting its
// signature checks.
func boundedVerifier(t testing.TB) *clientVerifier {
	root := testPKI(t).Root.Cert
	v := &clientVerifier{roots: x509.NewCertPool(), trusted: []*x509.Certificate{root}, sigChecks: new(atomic.Int64)}
	v.roots.AddCert(root)
	return v
}

// TestCertListSize: the size is that of a TLS 1.3 Certificate message
// body, and the limit is OpenSSL's: refused only above 100 KiB.
func TestCertListSize(t *testing.T) {
	t.Parallel()
	fake := func(sizes ...int) []*x509.Certificate {
		var cs []*x509.Certificate
		for _, s := range sizes {
			cs = append(cs, &x509.Certificate{Raw: make([]byte, s)})
		}
		return cs
	}
	if got := certListSize(fake(100, 200)); got != 1+3+(3+100+2)+(3+200+2) {
		t.Errorf("certListSize = %d", got)
	}
	// 1+3 + 2*(3+2) + 60000 + 42386 = 102400: the largest OpenSSL reads.
	if f := tooLong(fake(60000, 42386)); f != nil {
		t.Errorf("a list of exactly %d bytes refused: %+v", maxCertListBytes, f)
	}
	if f := tooLong(fake(60000, 42387)); f == nil || f.reason != "excessive message size" || f.cert != nil {
		t.Errorf("a list of %d bytes: %+v, want excessive message size", maxCertListBytes+1, f)
	}
}

// TestClientVerifyFlood: the 800-certificate flood (255 KB, under
// crypto/tls's 256 KiB) is refused for its size before any chain
// building, as OpenSSL's server refuses it; lists under the size limit
// get OpenSSL's reason for them, within the signature budget.
func TestClientVerifyFlood(t *testing.T) {
	// Not parallel with the rest of the package, as it runs openssl:
	// see TestClientVerifyLikeOpenSSL.
	flood := getFloodChain(t, 800, 0)
	if size := certListSize(flood.certs); size <= maxCertListBytes || size > 256<<10 {
		t.Fatalf("the 800-certificate list has %d bytes: want it between OpenSSL's limit and crypto/tls's", size)
	}
	now := time.Now()

	t.Run("800 certificates", func(t *testing.T) {
		t.Parallel()
		v := boundedVerifier(t)
		for name, f := range map[string]*certFailure{
			"verify":   v.verify(flood.certs, now),
			"describe": v.describe(flood.certs, x509.UnknownAuthorityError{}, now),
		} {
			if f == nil || f.reason != "excessive message size" || f.cert != nil {
				t.Fatalf("%s: %+v, want excessive message size", name, f)
			}
			e := f.asError()
			if e.Kind != KindTLS || e.Message != "excessive message size" || e.Detail != "" {
				t.Errorf("%s: error %+v", name, e)
			}
		}
		if n := v.sigChecks.Load(); n != 0 {
			t.Errorf("%d signature checks, want none", n)
		}
	})

	// The rest of the cases are under the size limit, and compared with
	// "openssl verify" when there is one.
	shuffled := func(cs []*x509.Certificate) []*x509.Certificate {
		out := slices.Clone(cs)
		slices.Reverse(out[1:])
		return out
	}
	alternating := getFloodChain(t, 800, 2)
	alternating300 := getFloodChain(t, 300, 2) // 95 KB, with its self-signed top
	cases := []struct {
		name   string
		chain  []*x509.Certificate
		depth  int
		reason string
		cert   *x509.Certificate // nil: not checked
	}{
		// At most maxVerifyDepth+1 issuers are looked for, one signature
		// check each while the budget lasts.
		{"just under the size limit", underLimit(flood.certs), 101, "certificate chain too long", flood.certs[101]},
		{"one over the verify depth", flood.certs[:102], 101, "certificate chain too long", flood.certs[101]},
		{"at the verify depth", flood.certs[:101], 100, "unable to get local issuer certificate", flood.certs[100]},
		{"short", flood.certs[:5], 4, "unable to get local issuer certificate", flood.certs[4]},
		{"short, to its self-signed top", getFloodChain(t, 5, 0).certs, 4, "self-signed certificate in certificate chain", nil},
		// Two key identifiers: half the list matches each step by name
		// and key identifier.
		{"two key identifiers", underLimit(alternating.certs), 101, "certificate chain too long", alternating.certs[101]},
		// The same in an order where the right issuer is always the last
		// candidate: the budget runs out at the first step, and the chain
		// goes on as OpenSSL builds it, with the first candidate (here
		// the self-signed top).
		{"two key identifiers, worst order", shuffled(alternating300.certs), 1, "self-signed certificate in certificate chain", alternating300.certs[299]},
		{"two key identifiers, worst order, no top", shuffled(underLimit(alternating.certs)), 101, "certificate chain too long", nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := boundedVerifier(t)
			f := v.verify(tt.chain, now)
			if f == nil || f.depth != tt.depth || f.reason != tt.reason || tt.cert != nil && f.cert != tt.cert {
				t.Fatalf("%d certificates (%d bytes): %+v, want depth %d: %s", len(tt.chain), certListSize(tt.chain), f, tt.depth, tt.reason)
			}
			if n := v.sigChecks.Load(); n > maxIssuerSignatureChecks {
				t.Errorf("%d signature checks, want at most %d", n, maxIssuerSignatureChecks)
			}
			t.Logf("%d certificates (%d bytes): depth %d: %s, after %d signature checks",
				len(tt.chain), certListSize(tt.chain), f.depth, f.reason, v.sigChecks.Load())
			if depth, reason, ok := opensslVerify(t, tt.chain); ok && (depth != f.depth || reason != f.reason) {
				t.Errorf("openssl verify says depth %d: %s", depth, reason)
			}
		})
	}
}

// opensslVerify runs "openssl verify -purpose sslclient" on chain (leaf
// first, the rest untrusted) with the test root as the CA file, and
// returns its first error; ok is false without an openssl command.
func opensslVerify(t *testing.T, chain []*x509.Certificate) (depth int, reason string, ok bool) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		return 0, "", false
	}
	dir := t.TempDir()
	pemOf := func(cs []*x509.Certificate) []byte {
		var b []byte
		for _, c := range cs {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		return b
	}
	args := []string{"verify", "-purpose", "sslclient", "-CAfile", testPKI(t).Path("root.crt"),
		"-untrusted", writeFile(t, dir, "untrusted.pem", pemOf(chain[1:]), 0o600),
		writeFile(t, dir, "leaf.pem", pemOf(chain[:1]), 0o600)}
	out, _ := exec.Command(openssl, args...).CombinedOutput()
	m := regexp.MustCompile(`error \d+ at (\d+) depth lookup: (.*)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("cannot read openssl's verdict: %s", out)
	}
	fmt.Sscan(m[1], &depth)
	return depth, m[2], true
}

// TestServerClientCertificateFlood: the same through a server session, as
// pg_tlsd runs it, with a crypto/tls client sending the lists: the
// backend's log line, and the signature checks of our chain building.
func TestServerClientCertificateFlood(t *testing.T) {
	t.Parallel()
	flood := getFloodChain(t, 800, 0)
	under := underLimit(flood.certs)
	c101 := flood.certs[101]
	cases := []struct {
		name    string
		ders    [][]byte
		message string
		detail  string
	}{
		{"800 certificates", flood.ders, "excessive message size", ""},
		{fmt.Sprintf("%d certificates", len(under)), flood.ders[:len(under)],
			"certificate verify failed: certificate chain too long",
			fmt.Sprintf("Client certificate verification failed at depth 101: certificate chain too long.\n"+
				"Failed certificate data (unverified): subject \"/CN=x\", serial number %s, issuer \"/CN=x\".", c101.SerialNumber)},
	}
	for _, tt := range cases {
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(fmt.Sprintf("%s/%s", tls.VersionName(version), tt.name), func(t *testing.T) {
				t.Parallel()
				cfg := loadServerConfig(t, withClientCAs(t, serverOptions(t)))
				checks := new(atomic.Int64)
				cfg.verifier.sigChecks = checks
				ccfg := goClientConfig(t)
				ccfg.MinVersion, ccfg.MaxVersion = version, version
				ccfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
					return &tls.Certificate{Certificate: tt.ders, PrivateKey: flood.key}, nil
				}
				_, err, cerr := serverHandshake(t, cfg, ccfg)
				e := checkError(t, err, KindTLS, tt.message)
				if e.Detail != tt.detail {
					t.Errorf("detail:\n%s\nwant:\n%s", e.Detail, tt.detail)
				}
				if n := checks.Load(); n > maxIssuerSignatureChecks {
					t.Errorf("%d signature checks, want at most %d", n, maxIssuerSignatureChecks)
				}
				t.Logf("server: %s; client: %v; %d signature checks", e.Message, cerr, checks.Load())
			})
		}
	}
}
