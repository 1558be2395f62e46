package pgtls

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// checkConfigError checks a NewServerConfig failure: message, and the
// detail when want has one.
func checkConfigError(t *testing.T, o ServerOptions, message, detail string) *Error {
	t.Helper()
	cfg, err := NewServerConfig(o)
	if cfg != nil {
		t.Error("a configuration came with the error")
	}
	e := checkError(t, err, KindConfig, message)
	if detail != "" && e.Detail != detail {
		t.Errorf("detail %q, want %q", e.Detail, detail)
	}
	return e
}

// TestServerConfigErrors: settings and files the backend refuses at load
// time, with its messages.
func TestServerConfigErrors(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	notCert := writeFile(t, dir, "not.crt", []byte("hello\n"), 0o600)
	other := mint(t, certs.Template{CommonName: "other"}, nil)
	otherKey := writeFile(t, dir, "other.key", other.KeyPEM(), 0o600)
	emptyCRL := writeFile(t, dir, "empty.crl", nil, 0o600)
	badCRL := writeFile(t, dir, "bad.crl", []byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"), 0o600)

	base := serverOptions(t)
	with := func(f func(*ServerOptions)) ServerOptions {
		o := base
		f(&o)
		return o
	}
	tests := []struct {
		name    string
		opts    ServerOptions
		message string // a prefix if it ends in ...
		detail  string
	}{
		{"missing certificate", with(func(o *ServerOptions) { o.CertFile = missing }),
			`could not load server certificate file "` + missing + `": no such file or directory`, ""},
		{"not a certificate", with(func(o *ServerOptions) { o.CertFile = notCert }),
			`could not load server certificate file "` + notCert + `": no certificate found`, ""},
		{"missing key", with(func(o *ServerOptions) { o.KeyFile = missing }),
			`could not access private key file "` + missing + `": no such file or directory`, ""},
		{"key of another certificate", with(func(o *ServerOptions) { o.KeyFile = otherKey }),
			"check of private key failed: key values mismatch", ""},
		{"key is not a key", with(func(o *ServerOptions) { o.KeyFile = notCert }),
			`could not load private key file "` + notCert + `": no private key found`, ""},
		{"min protocol", with(func(o *ServerOptions) { o.MinProtocol = "TLSv1.4" }),
			`invalid value for parameter "ssl_min_protocol_version": "TLSv1.4"`, ""},
		{"max protocol", with(func(o *ServerOptions) { o.MaxProtocol = "SSLv3" }),
			`invalid value for parameter "ssl_max_protocol_version": "SSLv3"`, ""},
		{"protocol range", with(func(o *ServerOptions) { o.MinProtocol, o.MaxProtocol = "TLSv1.3", "TLSv1.2" }),
			"could not set SSL protocol version range", `"ssl_min_protocol_version" cannot be higher than "ssl_max_protocol_version"`},
		{"groups", with(func(o *ServerOptions) { o.Groups = "X448:X25519" }),
			`could not set group names specified in ssl_groups: unsupported group "X448"`, ""},
		{"ciphers", with(func(o *ServerOptions) { o.Ciphers = "NULL-MD5" }),
			"could not set the TLSv1.2 cipher list (no valid ciphers available)", `"NULL-MD5" selects no cipher suite that Go's crypto/tls implements.`},
		{"TLS 1.3 ciphers", with(func(o *ServerOptions) { o.TLS13Ciphers = "TLS_AES_128_CCM_SHA256" }),
			"could not set the TLSv1.3 cipher suites (no valid ciphers available)", `Go's crypto/tls does not implement the TLS 1.3 cipher suite "TLS_AES_128_CCM_SHA256".`},
		{"missing CA file", with(func(o *ServerOptions) { o.CAFile = missing }),
			`could not load root certificate file "` + missing + `": no such file or directory`, ""},
		{"CA file without certificates", with(func(o *ServerOptions) { o.CAFile = notCert }),
			`could not load root certificate file "` + notCert + `": no certificate found`, ""},
		{"missing CRL file", with(func(o *ServerOptions) { o.CRLFile = missing }),
			`could not load SSL certificate revocation list file "` + missing + `": no such file or directory`, ""},
		{"missing CRL file, with a directory", with(func(o *ServerOptions) { o.CRLFile, o.CRLDir = missing, dir }),
			`could not load SSL certificate revocation list file "` + missing + `" or directory "` + dir + `": no such file or directory`, ""},
		{"empty CRL file", with(func(o *ServerOptions) { o.CRLFile = emptyCRL }),
			`could not load SSL certificate revocation list file "` + emptyCRL + `": no certificate or crl found`, ""},
		{"malformed CRL", with(func(o *ServerOptions) { o.CRLFile = badCRL }),
			`could not load SSL certificate revocation list file "` + badCRL + `": x509: ...`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkConfigError(t, tt.opts, tt.message, tt.detail)
		})
	}

	// What loads, and what it warns about.
	ok := []struct {
		name     string
		opts     ServerOptions
		warnings []string
	}{
		{"defaults", base, nil},
		{"everything", with(func(o *ServerOptions) {
			o.CAFile, o.CRLFile, o.CRLDir = pki.Path("root.crt"), writeFile(t, dir, "root.crl", crl(t, pki.Root, nil, nextWeek()), 0o600), dir
			o.MinProtocol, o.MaxProtocol = "TLSv1.2", "TLSv1.3"
			o.Ciphers, o.TLS13Ciphers, o.Groups = DefaultCiphers, strings.Join(tls13Suites, ":"), "X25519MLKEM768:X25519:prime256v1"
			o.PreferServerCiphers = true
		}), nil},
		{"TLS 1.3 ciphers that cannot restrict", with(func(o *ServerOptions) { o.TLS13Ciphers = "TLS_AES_256_GCM_SHA384" }),
			[]string{"ssl_tls13_ciphers cannot restrict TLS 1.3 cipher suites with Go's crypto/tls: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256 all remain enabled"}},
		{"missing CRL directory", with(func(o *ServerOptions) { o.CAFile, o.CRLDir = pki.Path("root.crt"), missing }),
			[]string{`could not open SSL certificate revocation list directory "` + missing + `": no such file or directory`}},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := loadServerConfig(t, tt.opts)
			if got := cfg.Warnings(); fmt.Sprint(got) != fmt.Sprint(tt.warnings) {
				t.Errorf("warnings %q, want %q", got, tt.warnings)
			}
			if cfg.VerifiesClientCertificates() != (tt.opts.CAFile != "") {
				t.Errorf("VerifiesClientCertificates %v with CAFile %q", cfg.VerifiesClientCertificates(), tt.opts.CAFile)
			}
		})
	}
}

// TestServerKeyFilePermissions: check_ssl_key_file_permissions, on real
// files (as the user the test runs as), then every branch of the rule.
func TestServerKeyFilePermissions(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	const detail = "File must have permissions u=rw (0600) or less if owned by the database user, or permissions u=rw,g=r (0640) or less if owned by root."
	for _, mode := range []os.FileMode{0o600, 0o400, 0o640, 0o644, 0o604, 0o660} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			t.Parallel()
			key := writeFile(t, t.TempDir(), "server.key", pki.Server.KeyPEM(), mode)
			o := serverOptions(t)
			o.KeyFile = key
			// The files are ours; as root, ours and root's are the same,
			// and the stricter rule for our own files applies.
			if mode&0o077 == 0 {
				loadServerConfig(t, o)
				return
			}
			checkConfigError(t, o, `private key file "`+key+`" has group or world access`, detail)
		})
	}
	t.Run("directory", func(t *testing.T) {
		o := serverOptions(t)
		o.KeyFile = t.TempDir()
		checkConfigError(t, o, `private key file "`+o.KeyFile+`" is not a regular file`, "")
	})
	t.Run("another user's", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("giving a file away needs root")
		}
		o := serverOptions(t)
		o.KeyFile = writeFile(t, t.TempDir(), "server.key", pki.Server.KeyPEM(), 0o600)
		if err := os.Chown(o.KeyFile, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		checkConfigError(t, o, `private key file "`+o.KeyFile+`" must be owned by the database user or root`, "")
	})

	const me, root, other = 1000, 0, 2000
	rules := []struct {
		owner, euid uint32
		mode        fs.FileMode
		want        string // "" when accepted
	}{
		{me, me, 0o600, ""},
		{me, me, 0o400, ""},
		{me, me, 0o700, ""},
		{me, me, 0o640, "group or world"},
		{me, me, 0o604, "group or world"},
		{root, me, 0o640, ""},
		{root, me, 0o440, ""},
		{root, me, 0o600, ""},
		{root, me, 0o660, "group or world"},
		{root, me, 0o650, "group or world"},
		{root, me, 0o644, "group or world"},
		{root, root, 0o640, "group or world"}, // a server running as root
		{root, root, 0o600, ""},
		{other, me, 0o600, "owned"},
		{me, me, fs.ModeDir | 0o700, "regular"},
		{me, me, fs.ModeSymlink | 0o600, "regular"},
	}
	for _, r := range rules {
		e := keyFileProblem("k", r.mode, r.owner, r.euid)
		switch {
		case r.want == "" && e != nil:
			t.Errorf("owner %d, euid %d, mode %v: %v", r.owner, r.euid, r.mode, e)
		case r.want != "" && (e == nil || !strings.Contains(e.Message, r.want)):
			t.Errorf("owner %d, euid %d, mode %v: %v, want %q", r.owner, r.euid, r.mode, e, r.want)
		}
	}
}

// TestServerEncryptedKeys: ssl_key_file encrypted, with every format
// openssl writes; the passphrase comes from the caller.
func TestServerEncryptedKeys(t *testing.T) {
	t.Parallel()
	for _, k := range testdataKeys {
		t.Run(k.file, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			o := ServerOptions{CertFile: privateCopy(t, dir, k.cert), KeyFile: privateCopy(t, dir, k.file)}

			o.Passphrase = "wrong"
			checkConfigError(t, o, `could not load private key file "`+o.KeyFile+`": bad decrypt`, "")
			o.Passphrase = ""
			e := checkConfigError(t, o, `private key file "`+o.KeyFile+`" requires a passphrase`, "")
			if !errors.Is(e, ErrPassphraseRequired) {
				t.Error("the error does not wrap ErrPassphraseRequired")
			}

			o.Passphrase = testdataPassword
			cfg := loadServerConfig(t, o)
			for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				ccfg := &tls.Config{InsecureSkipVerify: true, MinVersion: version, MaxVersion: version}
				if _, err, cerr := serverHandshake(t, cfg, ccfg); err != nil || cerr != nil {
					t.Errorf("%s: server %v, client %v", versionNames[version], err, cerr)
				}
			}
		})
	}
	t.Run("unencrypted key ignores the passphrase", func(t *testing.T) {
		o := serverOptions(t)
		o.Passphrase = "not needed"
		loadServerConfig(t, o)
	})
}
