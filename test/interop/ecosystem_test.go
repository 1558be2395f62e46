//go:build interop

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// ecoClient is a client program that takes a libpq-style conninfo and
// prints "key: value" lines (see test/ecosystem/).
type ecoClient struct {
	name string
	prog string
	args []string // before the conninfo
	env  []string
	// How it reports a server certificate that does not chain to its root,
	// and one that does not name the host.
	chainErr, nameErr string
}

func ecosystemClients(t *testing.T) []ecoClient {
	t.Helper()
	modules := os.Getenv("PG_NODE_MODULES")
	if modules == "" {
		t.Fatal("PG_NODE_MODULES must be set: run these tests with `make check-ecosystem`")
	}
	node, err := exec.LookPath("node")
	must(t, err)
	script, err := filepath.Abs("../ecosystem/node/check.js")
	must(t, err)
	return []ecoClient{
		{name: "pgx", prog: tool("pgx-check"),
			chainErr: `tls: failed to verify certificate: x509: certificate signed by unknown authority`,
			nameErr:  `tls: failed to verify certificate: x509: cannot validate certificate for 127\.0\.0\.1 because it doesn't contain any IP SANs`},
		{name: "node-postgres", prog: node, args: []string{script}, env: []string{"NODE_PATH=" + modules},
			chainErr: `error: UNABLE_TO_GET_ISSUER_CERT_LOCALLY: `,
			nameErr:  `error: ERR_TLS_CERT_ALTNAME_INVALID: .*IP: 127\.0\.0\.1 is not in the cert's list`},
	}
}

func TestEcosystem(t *testing.T) {
	clients := ecosystemClients(t)
	for _, s := range serverBuilds() {
		t.Run(s.name, func(t *testing.T) {
			dir, port := startEcoServer(t, s.prefix)
			for _, c := range clients {
				t.Run(c.name, func(t *testing.T) { ecoCases(t, c, dir, port) })
			}
		})
	}
}

// startEcoServer starts a server whose certificate names only localhost
// (not 127.0.0.1, so that the host name check can be seen to fail) and
// returns the directory of the credentials and the port.
func startEcoServer(t *testing.T, prefix string) (string, int) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "certs")
	set, err := certs.NewSet(dir, certUser)
	must(t, err)
	srvCert, err := certs.New(certs.Template{CommonName: "localhost", DNSNames: []string{"localhost"}}, set.ServerCA)
	must(t, err)
	other, err := certs.New(certs.Template{CommonName: "unrelated root CA", IsCA: true}, nil)
	must(t, err)
	must(t, certs.WriteFile(dir, "server-localhost.crt", srvCert.ChainPEM(), 0o600))
	must(t, certs.WriteFile(dir, "server-localhost.key", srvCert.KeyPEM(), 0o600))
	must(t, certs.WriteFile(dir, "other-root.crt", other.CertPEM(), 0o600))

	conf := fmt.Sprintf("ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\nssl_ca_file = '%s'\n",
		set.Path("server-localhost.crt"), set.Path("server-localhost.key"), set.Path("root.crt"))
	// hostssl only: a client that fell back to plaintext is refused.
	hba := fmt.Sprintf("local all all trust\nhostssl all %s 127.0.0.1/32 cert\nhostssl all all 127.0.0.1/32 trust\n", certUser)
	srv := startServer(t, prefix, conf, hba)
	srv.sql(t, "CREATE ROLE "+certUser+" LOGIN")
	return dir, srv.port
}

func ecoCases(t *testing.T, c ecoClient, dir string, port int) {
	root := " sslrootcert=" + filepath.Join(dir, "root.crt")
	cert := " sslcert=" + filepath.Join(dir, "client.crt") + " sslkey=" + filepath.Join(dir, "client.key")
	for _, tc := range []struct {
		name, host, opts string
		user, version    string // success: current_user and the TLS version
		wantErr          string // failure: stderr matches
	}{
		{name: "verify-full", opts: "user=postgres" + root, user: "postgres", version: "TLSv1.3"},
		{name: "client certificate", opts: "user=" + certUser + root + cert, user: certUser, version: "TLSv1.3"},
		{name: "TLSv1.2", opts: "user=postgres ssl_max_protocol_version=TLSv1.2" + root, user: "postgres", version: "TLSv1.2"},
		{name: "client certificate TLSv1.2", opts: "user=" + certUser + " ssl_max_protocol_version=TLSv1.2" + root + cert,
			user: certUser, version: "TLSv1.2"},
		{name: "wrong root", opts: "user=postgres sslrootcert=" + filepath.Join(dir, "other-root.crt"), wantErr: c.chainErr},
		{name: "wrong root TLSv1.2", opts: "user=postgres ssl_max_protocol_version=TLSv1.2 sslrootcert=" + filepath.Join(dir, "other-root.crt"),
			wantErr: c.chainErr},
		{name: "host name not in certificate", host: "127.0.0.1", opts: "user=postgres" + root, wantErr: c.nameErr},
		{name: "cert user without certificate", opts: "user=" + certUser + root, wantErr: `connection requires a valid client certificate`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := tc.host
			if host == "" {
				host = "localhost"
			}
			conninfo := fmt.Sprintf("host=%s port=%d dbname=postgres sslmode=verify-full %s", host, port, tc.opts)
			r := client(t, t.TempDir(), c.env, c.prog, append(append([]string{}, c.args...), conninfo)...)
			got := keyValues(r.stdout)
			if tc.wantErr != "" {
				if r.err == nil || got["current_user"] != "" {
					t.Fatalf("connected, want an error matching %q:\n%s", tc.wantErr, r)
				}
				if !regexp.MustCompile(tc.wantErr).MatchString(r.stderr) {
					t.Fatalf("want an error matching %q:\n%s", tc.wantErr, r)
				}
				return
			}
			if r.err != nil {
				t.Fatal(r)
			}
			want := map[string]string{"current_user": tc.user, "ssl": "true", "version": tc.version, "client_tls_version": tc.version}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			if !sameCipher(got["client_tls_cipher"], got["cipher"]) {
				t.Errorf("client says cipher %q, server %q", got["client_tls_cipher"], got["cipher"])
			}
			if t.Failed() {
				t.Log(r)
			}
		})
	}
}

// keyValues reads the "key: value" lines the clients print.
func keyValues(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			m[k] = v
		}
	}
	return m
}

// sameCipher tells whether a standard (IANA) suite name and the server's
// name for a suite agree. OpenSSL's TLS 1.2 names drop TLS_ and WITH_, use
// dashes, and leave out the hash of CHACHA20-POLY1305; TLS 1.3 names agree.
func sameCipher(standard, server string) bool {
	squash := strings.NewReplacer("TLS_", "", "WITH_", "", "_", "", "-", "")
	a, b := squash.Replace(standard), squash.Replace(server)
	return b != "" && strings.HasPrefix(a, b)
}
