package pgtls

import (
	"crypto/tls"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// suiteNames are the OpenSSL names of ids, sorted.
func suiteNames(ids []uint16) []string {
	var names []string
	for _, id := range ids {
		names = append(names, cipherNames[id].openssl)
	}
	slices.Sort(names)
	return names
}

// ecdheSecure is what keywords like HIGH give: the suites crypto/tls
// considers secure.
var ecdheSecure = []string{
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-CHACHA20-POLY1305",
	"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-SHA", "ECDHE-RSA-CHACHA20-POLY1305",
}

// TestCipherStrings: ssl_ciphers as OpenSSL reads it, over the suites
// crypto/tls implements.
func TestCipherStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		str  string
		want []string // nil: refused
		why  string   // for a refusal, the start of the detail
	}{
		{DefaultCiphers, ecdheSecure, ""},
		{"HIGH", ecdheSecure, ""},
		{"DEFAULT", ecdheSecure, ""},
		{"ALL:!aNULL:!eNULL", ecdheSecure, ""},
		{"HIGH:@STRENGTH", ecdheSecure, ""},
		{"HIGH:!aNULL:@SECLEVEL=2", ecdheSecure, ""},
		{"ECDHE-RSA-AES256-GCM-SHA384", []string{"ECDHE-RSA-AES256-GCM-SHA384"}, ""},
		{"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384", []string{"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"}, ""},
		{"ECDHE+AESGCM", []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"}, ""},
		{"aECDSA+CHACHA20, aRSA+CHACHA20", []string{"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"}, ""},
		{"HIGH:!SHA1:!AES128", []string{"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"}, ""},
		{"HIGH:-AES:AES128-GCM-SHA256", []string{"AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"}, ""},
		{"HIGH:!AES:AES128-GCM-SHA256", []string{"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"}, ""},
		{"FOO:ECDHE-ECDSA-AES128-SHA256", []string{"ECDHE-ECDSA-AES128-SHA256"}, ""}, // named: insecure, but asked for
		{"AES128-SHA;AES256-SHA", []string{"AES128-SHA", "AES256-SHA"}, ""},
		{"ECDHE:+AES:TLSv1.2", ecdheSecure, ""},
		{"DEFAULT:!ECDSA", []string{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-SHA", "ECDHE-RSA-CHACHA20-POLY1305"}, ""},

		{"NULL-MD5", nil, `"NULL-MD5" selects no cipher suite`},
		{"garbage", nil, `"garbage" selects no cipher suite`},
		{"", nil, `"" selects no cipher suite`},
		{"MEDIUM:3DES:RC4:DES-CBC3-SHA", nil, `"MEDIUM:3DES:RC4:DES-CBC3-SHA" selects no cipher suite`},
		{"HIGH:!ECDHE", nil, `"HIGH:!ECDHE" selects no cipher suite`}, // OpenSSL keeps RSA key exchange here
		{"kRSA", nil, `"kRSA" selects no cipher suite`},
		{"TLS_AES_128_GCM_SHA256", nil, `"TLS_AES_128_GCM_SHA256" selects no cipher suite`},
		{"ECDHE:!ECDHE:ECDHE", nil, `"ECDHE:!ECDHE:ECDHE" selects no cipher suite`},
		{"AES128-SHA:DEFAULT", []string{"AES128-SHA"}, ""}, // DEFAULT counts only first
		{"HIGH:$", nil, `unexpected character "$"`},
		{"HIGH:ECDHE+", nil, "a keyword is missing at the end"},
		{"HIGH:@FOO", nil, `unknown command "@FOO"`},
	}
	for _, tt := range tests {
		ids, err := parseCipherString(tt.str)
		if tt.want == nil {
			e, ok := err.(*Error)
			if !ok {
				t.Errorf("%q: %v, want refused", tt.str, suiteNames(ids))
				continue
			}
			if e.Message != "could not set the TLSv1.2 cipher list (no valid ciphers available)" || !strings.HasPrefix(e.Detail, tt.why) || !strings.Contains(e.Hint, "ECDHE-RSA-AES128-GCM-SHA256") {
				t.Errorf("%q: %q, detail %q, hint %q", tt.str, e.Message, e.Detail, e.Hint)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v (%s)", tt.str, err, err.(*Error).Detail)
			continue
		}
		if got := suiteNames(ids); !slices.Equal(got, tt.want) {
			t.Errorf("%q:\n got %v\nwant %v", tt.str, got, tt.want)
		}
	}
}

// TestCipherStringsLikeOpenSSL compares with the openssl command, when
// there is one: the same suites, except that keywords leave out the ones
// crypto/tls deems insecure unless they are named.
func TestCipherStringsLikeOpenSSL(t *testing.T) {
	// Not parallel: between fork and exec the child holds copies of every
	// open socket, which would hide a peer's close from concurrent tests.
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl command")
	}
	var implemented []string
	for _, s := range tls12Suites {
		implemented = append(implemented, cipherNames[s.id].openssl)
	}
	for _, str := range []string{
		DefaultCiphers, "HIGH", "ALL", "DEFAULT", "FIPS", "aECDSA", "aRSA", "ECDHE", "EECDH", "kEECDH", "ECDH", "AESGCM", "AES128", "AES256",
		"CHACHA20", "SHA1", "SHA256", "SHA384", "TLSv1.2", "TLSv1", "TLSv1.0", "SSLv3", "ECDHE+AESGCM", "HIGH:!SHA1:!SHA256:!SHA384",
		"HIGH:-AES:AES128-SHA", "HIGH:!AES:AES128-SHA", "aECDSA+SHA1", "DEFAULT:!ECDSA", "AES128-SHA:DEFAULT", "FOO:ECDHE-RSA-AES128-SHA",
		"HIGH:+ECDHE:@STRENGTH", "ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:AES128-SHA256",
	} {
		out, err := exec.Command(openssl, "ciphers", str).Output()
		if err != nil {
			t.Errorf("openssl ciphers %q: %v", str, err)
			continue
		}
		var want []string
		for name := range strings.SplitSeq(strings.TrimSpace(string(out)), ":") {
			if !slices.Contains(implemented, name) {
				continue // not in crypto/tls, or TLS 1.3
			}
			if slices.Contains(ecdheSecure, name) || slices.Contains(strings.FieldsFunc(str, func(r rune) bool { return r == ':' }), name) {
				want = append(want, name)
			}
		}
		slices.Sort(want)
		ids, err := parseCipherString(str)
		if len(want) == 0 {
			if err == nil {
				t.Errorf("%q: %v, openssl has none", str, suiteNames(ids))
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v, openssl has %v", str, err, want)
			continue
		}
		if got := suiteNames(ids); !slices.Equal(got, want) {
			t.Errorf("%q:\n got %v\nwant %v", str, got, want)
		}
	}
}

// TestTLS13Ciphers: ssl_tls13_ciphers is checked, and warns when it
// cannot have its effect.
func TestTLS13Ciphers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		list    string
		warns   bool
		refused string // the detail
	}{
		{"", false, ""},
		{"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256", false, ""},
		{"TLS_CHACHA20_POLY1305_SHA256: TLS_AES_256_GCM_SHA384 :TLS_AES_128_GCM_SHA256:", false, ""},
		{"TLS_AES_256_GCM_SHA384", true, ""},
		{"TLS_AES_256_GCM_SHA384:TLS_AES_128_CCM_8_SHA256", false, `Go's crypto/tls does not implement the TLS 1.3 cipher suite "TLS_AES_128_CCM_8_SHA256".`},
		{"ECDHE-RSA-AES256-GCM-SHA384", false, `Go's crypto/tls does not implement the TLS 1.3 cipher suite "ECDHE-RSA-AES256-GCM-SHA384".`},
		{"tls_aes_128_gcm_sha256", false, `Go's crypto/tls does not implement the TLS 1.3 cipher suite "tls_aes_128_gcm_sha256".`},
		{":", false, "-"},
	}
	for _, tt := range tests {
		warning, err := checkTLS13Ciphers(tt.list)
		if tt.refused != "" {
			e, ok := err.(*Error)
			if !ok || e.Message != "could not set the TLSv1.3 cipher suites (no valid ciphers available)" || tt.refused != "-" && e.Detail != tt.refused {
				t.Errorf("%q: %v, want refused with %q", tt.list, err, tt.refused)
			}
			continue
		}
		if err != nil || (warning != "") != tt.warns {
			t.Errorf("%q: warning %q, error %v", tt.list, warning, err)
		}
	}
}

// TestServerCiphers: what a crypto/tls client and the server agree on
// under ssl_ciphers, in OpenSSL's names.
func TestServerCiphers(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	rsa := mint(t, certs.Template{CommonName: "localhost", DNSNames: []string{"localhost"}, Key: certs.RSA}, pki.ServerCA)
	dir := t.TempDir()
	rsaOpts := ServerOptions{
		CertFile: writeFile(t, dir, "rsa.crt", rsa.ChainPEM(), 0o600),
		KeyFile:  writeFile(t, dir, "rsa.key", rsa.KeyPEM(), 0o600),
	}
	all := func() []uint16 {
		var ids []uint16
		for _, s := range tls12Suites {
			ids = append(ids, s.id)
		}
		return ids
	}()
	tests := []struct {
		name    string
		opts    ServerOptions
		offered []uint16 // nil: crypto/tls's default
		maxVer  uint16
		cipher  string // "" for a refusal
		bits    int
	}{
		{"default string, TLS 1.3", serverOptions(t), nil, 0, "TLS_AES_128_GCM_SHA256", 128},
		{"default string, TLS 1.2", serverOptions(t), nil, tls.VersionTLS12, "ECDHE-ECDSA-AES128-GCM-SHA256", 128},
		{"one suite", withCiphers(rsaOpts, "ECDHE-RSA-AES256-GCM-SHA384"), all, tls.VersionTLS12, "ECDHE-RSA-AES256-GCM-SHA384", 256},
		{"one suite, TLS 1.3 unaffected", withCiphers(rsaOpts, "ECDHE-RSA-AES256-GCM-SHA384"), nil, 0, "TLS_AES_128_GCM_SHA256", 128},
		{"one suite the client lacks", withCiphers(rsaOpts, "ECDHE-RSA-AES256-GCM-SHA384"), []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, tls.VersionTLS12, "", 0},
		{"RSA key exchange, named", withCiphers(rsaOpts, "AES256-GCM-SHA384"), all, tls.VersionTLS12, "AES256-GCM-SHA384", 256},
		{"CBC", withCiphers(rsaOpts, "AES+SHA1:!kRSA"), all, tls.VersionTLS12, "ECDHE-RSA-AES128-SHA", 128},
		{"ChaCha20", withCiphers(serverOptions(t), "CHACHA20"), all, tls.VersionTLS12, "ECDHE-ECDSA-CHACHA20-POLY1305", 256},
		{"RSA suites only, ECDSA certificate", withCiphers(serverOptions(t), "aRSA"), all, tls.VersionTLS12, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := loadServerConfig(t, tt.opts)
			ccfg := goClientConfig(t)
			ccfg.CipherSuites, ccfg.MaxVersion = tt.offered, tt.maxVer
			s, err, cerr := serverHandshake(t, cfg, ccfg)
			if tt.cipher == "" {
				checkError(t, err, KindTLS, "no shared cipher: no cipher suite supported by both client and server...")
				if cerr == nil || !strings.Contains(cerr.Error(), "handshake failure") {
					t.Errorf("client: %v", cerr)
				}
				return
			}
			if err != nil || cerr != nil {
				t.Fatalf("server %v, client %v", err, cerr)
			}
			info, _ := s.s.ConnectionInfo()
			if info.Cipher != tt.cipher || info.Bits != tt.bits {
				t.Errorf("cipher %s (%d bits), want %s (%d)", info.Cipher, info.Bits, tt.cipher, tt.bits)
			}
			if v, _ := s.s.Attribute("cipher"); v != info.Cipher {
				t.Errorf("Attribute says %q", v)
			}
		})
	}
}

func withCiphers(o ServerOptions, ciphers string) ServerOptions {
	o.Ciphers = ciphers
	return o
}
