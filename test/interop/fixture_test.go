//go:build interop

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

var (
	goPrefix   string // PostgreSQL --with-ssl=go
	osslPrefix string // PostgreSQL --with-ssl=openssl, the reference
	toolsDir   string // C test programs linked to the Go libpq
)

func TestMain(m *testing.M) {
	goPrefix = os.Getenv("PG_GO_PREFIX")
	osslPrefix = os.Getenv("PG_OPENSSL_PREFIX")
	toolsDir = os.Getenv("PG_TOOLS")
	if goPrefix == "" || osslPrefix == "" || toolsDir == "" {
		fmt.Fprintln(os.Stderr, "PG_GO_PREFIX, PG_OPENSSL_PREFIX and PG_TOOLS must be set: run these tests with `make check`")
		os.Exit(1)
	}
	code := m.Run()
	if left := helpersOutlived(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: libpq_gotls_helper processes %v outlived their connections\n", left)
		code = 1
	}
	os.Exit(code)
}

// serverBuild is a PostgreSQL installation whose server a test runs.
type serverBuild struct{ name, prefix string }

// serverBuilds are both servers: the Go-TLS one and the OpenSSL
// reference, for tests that hold clients to the same results with each.
func serverBuilds() []serverBuild {
	return []serverBuild{{"go-server", goPrefix}, {"openssl-server", osslPrefix}}
}

// fixture is a server with minted credentials and client-side files in
// several shapes.
type fixture struct {
	certs *certs.Set
	srv   *server
	files string // client-side files (keys in various forms, CRLs, other CAs)
	home  string // an empty home directory: no ~/.postgresql defaults
}

const (
	certUser  = "certuser"
	scramUser = "scramuser"
	scramPass = "scram-password"
)

// newFixture starts the OpenSSL-built server.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureOn(t, osslPrefix)
}

// newFixtureOn starts the server of the installation at prefix.
func newFixtureOn(t *testing.T, prefix string) *fixture {
	t.Helper()
	return newFixtureEnv(t, prefix, nil)
}

// newFixtureEnv starts the server of the installation at prefix with
// extra environment variables.
func newFixtureEnv(t *testing.T, prefix string, env []string) *fixture {
	t.Helper()
	dir := t.TempDir()
	set, err := certs.NewSet(filepath.Join(dir, "certs"), certUser)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{certs: set, files: filepath.Join(dir, "files"), home: filepath.Join(dir, "home")}
	must(t, os.MkdirAll(f.home, 0o700))
	f.writeClientFiles(t)

	conf := fmt.Sprintf(`ssl = on
ssl_cert_file = '%s'
ssl_key_file = '%s'
ssl_ca_file = '%s'
password_encryption = 'scram-sha-256'
`, set.Path("server.crt"), set.Path("server.key"), set.Path("root.crt"))
	hba := fmt.Sprintf(`local all all trust
hostssl all %[1]s 127.0.0.1/32 cert
host all %[2]s 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
`, certUser, scramUser)
	f.srv = startServerEnv(t, prefix, conf, hba, env)
	f.srv.sql(t, fmt.Sprintf("CREATE ROLE %s LOGIN; CREATE ROLE %s LOGIN PASSWORD '%s'", certUser, scramUser, scramPass))
	return f
}

// writeClientFiles prepares what the client-side cases point at.
func (f *fixture) writeClientFiles(t *testing.T) {
	t.Helper()
	set := f.certs
	other := certs.Must(certs.New(certs.Template{CommonName: "unrelated root CA", IsCA: true}, nil))
	write := func(name string, data []byte, mode os.FileMode) {
		must(t, certs.WriteFile(f.files, name, data, mode))
	}
	write("other-root.crt", other.CertPEM(), 0o600)
	write("client.key.0644", set.Client.KeyPEM(), 0o644)

	// CRLs: root's (covers the intermediates) and the server CA's, one
	// revoking the server certificate and one revoking nothing.
	rootCRL, err := certs.CRL(set.Root, nil, time.Now().Add(24*time.Hour))
	must(t, err)
	caCRL, err := certs.CRL(set.ServerCA, nil, time.Now().Add(24*time.Hour))
	must(t, err)
	revokingCRL, err := certs.CRL(set.ServerCA, []*certs.Cert{set.Server}, time.Now().Add(24*time.Hour))
	must(t, err)
	write("crl-good.pem", append(append([]byte{}, rootCRL...), caCRL...), 0o600)
	write("crl-revoked.pem", append(append([]byte{}, rootCRL...), revokingCRL...), 0o600)
	write("crl-root-only.pem", rootCRL, 0o600)

	// A hashed CRL directory as OpenSSL's c_rehash lays it out.
	crldir := filepath.Join(f.files, "crldir")
	must(t, os.MkdirAll(crldir, 0o700))
	for _, c := range []struct {
		issuer *certs.Cert
		crl    []byte
	}{{set.Root, rootCRL}, {set.ServerCA, revokingCRL}} {
		hash := opensslHash(t, c.issuer)
		write("crldir/"+hash+".r0", c.crl, 0o600)
	}

	// Encrypted keys, written by the real openssl tool.
	write("client.key", set.Client.KeyPEM(), 0o600)
	plain := filepath.Join(f.files, "client.key")
	opensslTool(t, "pkey", "-in", plain, "-aes256", "-passout", "pass:secret", "-out", filepath.Join(f.files, "client-pkcs8-enc.key"))
	opensslTool(t, "ec", "-in", plain, "-aes256", "-passout", "pass:secret", "-out", filepath.Join(f.files, "client-legacy-enc.key"))
	opensslTool(t, "pkey", "-in", plain, "-outform", "DER", "-out", filepath.Join(f.files, "client.der.key"))
	for _, k := range []string{"client-pkcs8-enc.key", "client-legacy-enc.key", "client.der.key"} {
		must(t, os.Chmod(filepath.Join(f.files, k), 0o600))
	}
}

// opensslHash is the subject-name hash OpenSSL uses in hashed directories.
func opensslHash(t *testing.T, c *certs.Cert) string {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "c.crt")
	must(t, os.WriteFile(tmp, c.CertPEM(), 0o600))
	out, err := exec.Command("openssl", "x509", "-noout", "-subject_hash", "-in", tmp).Output()
	must(t, err)
	return string(out[:8])
}

func opensslTool(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// path of a client-side file.
func (f *fixture) file(name string) string { return filepath.Join(f.files, name) }

// conninfo is the base connection string to the fixture's server.
func (f *fixture) conninfo(host string) string {
	return fmt.Sprintf("host=%s hostaddr=127.0.0.1 port=%d dbname=postgres connect_timeout=20", host, f.srv.port)
}

// verifyFull is the connection string most tests use: to localhost as
// postgres, verifying the server's certificate and name.
func (f *fixture) verifyFull() string {
	return f.conninfo("localhost") + " user=postgres sslmode=verify-full sslrootcert=" + f.certs.Path("root.crt")
}
