//go:build interop

package interop

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// sslQuery shows whether the server sees TLS, and which version.
const sslQuery = "SELECT ssl, coalesce(version, '') FROM pg_stat_ssl WHERE pid = pg_backend_pid()"

// optionCase is one connection attempt through psql. Each runs with the Go
// libpq and, as the reference, with the OpenSSL libpq: both must agree
// unless differs says why they may not.
type optionCase struct {
	name    string
	opts    string   // conninfo added to the fixture's
	host    string   // default "localhost"
	home    string   // home directory variant: "" (empty), "right-root", "wrong-root"
	env     []string // extra environment
	want    string   // success, stdout matches
	wantErr string   // failure, stderr matches
	differs string   // why the OpenSSL build is not held to the same result
}

// TestClientOptions: each case through the Go libpq, in process and through
// the helper process, and the OpenSSL libpq, against the Go and the OpenSSL
// server.
func TestClientOptions(t *testing.T) {
	for _, srv := range serverBuilds() {
		t.Run(srv.name, func(t *testing.T) { testClientOptions(t, newFixtureOn(t, srv.prefix)) })
	}
}

func testClientOptions(t *testing.T, f *fixture) {
	root := f.certs.Path("root.crt")
	homes := map[string]string{"": f.home}
	for name, ca := range map[string]string{"right-root": root, "wrong-root": f.file("other-root.crt")} {
		h := filepath.Join(filepath.Dir(f.home), name)
		data, err := os.ReadFile(ca)
		must(t, err)
		must(t, os.MkdirAll(filepath.Join(h, ".postgresql"), 0o700))
		must(t, os.WriteFile(filepath.Join(h, ".postgresql", "root.crt"), data, 0o600))
		homes[name] = h
	}
	verify := "sslmode=verify-full sslrootcert=" + root
	cert := " user=" + certUser + " sslcert=" + f.certs.Path("client.crt")

	cases := []optionCase{
		// sslmode
		{name: "disable", opts: "sslmode=disable user=postgres", want: `^f\|$`},
		{name: "allow", opts: "sslmode=allow user=postgres", want: `^f\|$`},
		{name: "prefer", opts: "sslmode=prefer user=postgres", want: `^t\|TLSv1\.3$`},
		{name: "require", opts: "sslmode=require user=postgres", want: `^t\|TLSv1\.3$`},
		{name: "require verifies with default root.crt", opts: "sslmode=require user=postgres", home: "wrong-root",
			wantErr: `SSL error: certificate verify failed`},
		{name: "require with right default root.crt", opts: "sslmode=require user=postgres", home: "right-root", want: `^t\|`},
		{name: "verify-ca", opts: "sslmode=verify-ca user=postgres sslrootcert=" + root, want: `^t\|`},
		{name: "verify-ca without root file", opts: "sslmode=verify-ca user=postgres",
			wantErr: `root certificate file ".*/\.postgresql/root\.crt" does not exist`},
		{name: "verify-ca ignores host name", host: "wrong.example", opts: "sslmode=verify-ca user=postgres sslrootcert=" + root, want: `^t\|`},
		{name: "verify-full with wrong root", opts: "sslmode=verify-full user=postgres sslrootcert=" + f.file("other-root.crt"),
			wantErr: `SSL error: certificate verify failed`},

		// verify-full host rules
		{name: "verify-full dns", opts: verify + " user=postgres", want: `^t\|`},
		{name: "verify-full ipv4 SAN", host: "127.0.0.1", opts: verify + " user=postgres", want: `^t\|`},
		{name: "verify-full wrong host", host: "wrong.example", opts: verify + " user=postgres",
			wantErr: `server certificate for "localhost" \(and 2 other names\) does not match host name "wrong\.example"`},
		{name: "verify-full host case-insensitive", host: "LOCALHOST", opts: verify + " user=postgres", want: `^t\|`},

		// sslrootcert=system
		{name: "system roots from SSL_CERT_FILE", opts: "sslrootcert=system user=postgres", env: []string{"SSL_CERT_FILE=" + root}, want: `^t\|`},
		{name: "system roots lack our CA", opts: "sslrootcert=system user=postgres", env: []string{"SSL_CERT_FILE=" + f.file("other-root.crt")},
			wantErr: `certificate verify failed`},
		{name: "system roots need verify-full", opts: "sslrootcert=system sslmode=verify-ca user=postgres",
			wantErr: `weak sslmode "verify-ca" may not be used with sslrootcert=system`},

		// protocol versions
		{name: "max TLSv1.2", opts: "sslmode=require user=postgres ssl_max_protocol_version=TLSv1.2", want: `^t\|TLSv1\.2$`},
		{name: "min TLSv1.3", opts: "sslmode=require user=postgres ssl_min_protocol_version=TLSv1.3", want: `^t\|TLSv1\.3$`},
		{name: "invalid min", opts: "sslmode=require user=postgres ssl_min_protocol_version=TLSv1.9",
			wantErr: `invalid "?ssl_min_protocol_version"? value: "TLSv1\.9"`},
		{name: "impossible range", opts: "sslmode=require user=postgres ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2",
			wantErr: `invalid SSL protocol version range`},

		// negotiation, compression, SNI
		{name: "direct negotiation", opts: "sslmode=require sslnegotiation=direct user=postgres", want: `^t\|TLSv1\.3$`},
		{name: "direct needs sslmode require", opts: "sslmode=prefer sslnegotiation=direct user=postgres",
			wantErr: `weak sslmode "prefer" may not be used with sslnegotiation=direct`},
		{name: "sslcompression accepted", opts: "sslmode=require sslcompression=1 user=postgres", want: `^t\|`},
		{name: "sslsni off", opts: verify + " sslsni=0 user=postgres", want: `^t\|`},

		// client certificates
		{name: "client cert", opts: verify + cert + " sslkey=" + f.file("client.key"), want: `^t\|`},
		{name: "client cert missing", opts: verify + " user=" + certUser,
			wantErr: `connection requires a valid client certificate`},
		{name: "client cert with sslcertmode=disable", opts: verify + cert + " sslkey=" + f.file("client.key") + " sslcertmode=disable",
			wantErr: `connection requires a valid client certificate`},
		{name: "sslcertmode=require", opts: verify + cert + " sslkey=" + f.file("client.key") + " sslcertmode=require", want: `^t\|`},
		{name: "client key DER", opts: verify + cert + " sslkey=" + f.file("client.der.key"), want: `^t\|`},
		{name: "client key PKCS#8 encrypted", opts: verify + cert + " sslkey=" + f.file("client-pkcs8-enc.key") + " sslpassword=secret", want: `^t\|`},
		{name: "client key legacy PEM encrypted", opts: verify + cert + " sslkey=" + f.file("client-legacy-enc.key") + " sslpassword=secret", want: `^t\|`},
		{name: "client key wrong password", opts: verify + cert + " sslkey=" + f.file("client-pkcs8-enc.key") + " sslpassword=wrong",
			wantErr: `could not load private key file ".*client-pkcs8-enc\.key": bad decrypt`},
		{name: "client key world-readable", opts: verify + cert + " sslkey=" + f.file("client.key.0644"),
			wantErr: `private key file ".*client\.key\.0644" has group or world access`},
		{name: "client key missing", opts: verify + cert + " sslkey=" + f.file("nonexistent.key"),
			wantErr: `certificate present, but not private key file ".*nonexistent\.key"`},

		// CRLs
		{name: "crl not revoking", opts: verify + " user=postgres sslcrl=" + f.file("crl-good.pem"), want: `^t\|`},
		{name: "crl revoking server", opts: verify + " user=postgres sslcrl=" + f.file("crl-revoked.pem"),
			wantErr: `certificate verify failed`},
		{name: "crl missing for intermediate", opts: verify + " user=postgres sslcrl=" + f.file("crl-root-only.pem"),
			wantErr: `certificate verify failed`},
		{name: "crl file absent", opts: verify + " user=postgres sslcrl=" + f.file("no-such.crl"), want: `^t\|`},
		{name: "crldir revoking server", opts: verify + " user=postgres sslcrldir=" + f.file("crldir"),
			wantErr: `certificate verify failed`},

		// channel binding
		{name: "channel binding required", opts: "sslmode=require channel_binding=require user=" + scramUser + " password=" + scramPass, want: `^t\|`},
		{name: "channel binding without TLS", opts: "sslmode=disable channel_binding=require user=" + scramUser + " password=" + scramPass,
			wantErr: `channel binding required, but SSL not in use`},
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			host := c.host
			if host == "" {
				host = "localhost"
			}
			conninfo := f.conninfo(host) + " " + c.opts
			for _, build := range []struct {
				name, prefix string
				env          []string
			}{{"go", goPrefix, nil}, {"go-helper", goPrefix, []string{helperEnv}}, {"openssl", osslPrefix, nil}} {
				if build.name == "openssl" && c.differs != "" {
					continue
				}
				env := append(append([]string{}, c.env...), build.env...)
				r := client(t, homes[c.home], env, filepath.Join(build.prefix, "bin", "psql"), "-X", "-At", "-d", conninfo, "-c", sslQuery)
				checkOutcome(t, build.name, c, r)
			}
		})
	}
}

func checkOutcome(t *testing.T, build string, c optionCase, r result) {
	t.Helper()
	if c.wantErr != "" {
		if r.err == nil {
			t.Errorf("%s libpq: connected, want error matching %q\n%s", build, c.wantErr, r)
		} else if !regexp.MustCompile(c.wantErr).MatchString(r.stderr) {
			t.Errorf("%s libpq: error does not match %q\n%s", build, c.wantErr, r)
		}
		return
	}
	if r.err != nil {
		t.Errorf("%s libpq: %s", build, r)
		return
	}
	if out := strings.TrimSpace(r.stdout); !regexp.MustCompile(c.want).MatchString(out) {
		t.Errorf("%s libpq: output %q does not match %q", build, out, c.want)
	}
}
