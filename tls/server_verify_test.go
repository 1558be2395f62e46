package pgtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// TestServerClientCertificates: client certificates are asked for when
// ssl_ca_file is set, optional, and verified against it and the CRLs; a
// bad one fails the handshake with the backend's log detail, and the
// client sees the alert OpenSSL would send where crypto/tls can send it.
func TestServerClientCertificates(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	dir := t.TempDir()
	otherRoot := mint(t, certs.Template{CommonName: "other root", IsCA: true}, nil)
	otherInter := mint(t, certs.Template{CommonName: "other intermediate", IsCA: true}, otherRoot)
	untrusted := mint(t, certs.Template{CommonName: "mallory", Client: true}, otherInter)
	selfSigned := mint(t, certs.Template{CommonName: "selfie", IsCA: true}, nil)
	selfIssued := mint(t, certs.Template{CommonName: "self-issued", Client: true}, nil)
	expired := mint(t, certs.Template{CommonName: "old", Client: true,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, pki.ClientCA)
	revoked := mint(t, certs.Template{CommonName: "revoked", Client: true}, pki.ClientCA)
	serverAsClient := pki.Server

	rootCRL := crl(t, pki.Root, nil, nextWeek())
	clientCACRL := crl(t, pki.ClientCA, []*certs.Cert{revoked}, nextWeek())
	crlFile := writeFile(t, dir, "all.crl", append(append([]byte{}, clientCACRL...), rootCRL...), 0o600)
	leafCRLOnly := writeFile(t, dir, "leaf.crl", clientCACRL, 0o600)
	expiredCRL := writeFile(t, dir, "expired.crl", append(crl(t, pki.ClientCA, nil, time.Now().Add(-time.Minute)), rootCRL...), 0o600)
	crlDir := filepath.Join(dir, "crl.d")
	writeFile(t, crlDir, "0a1b2c3d.r0", clientCACRL, 0o600)
	writeFile(t, crlDir, "4e5f6a7b.r0", rootCRL, 0o600)
	rootAndInter := writeFile(t, dir, "root+client-ca.crt", append(pki.Root.CertPEM(), pki.ClientCA.CertPEM()...), 0o600)
	interOnly := writeFile(t, dir, "client-ca.crt", pki.ClientCA.CertPEM(), 0o600)

	leafOnly := func(c *certs.Cert) ClientOptions {
		o := clientFiles(t, c)
		writeFile(t, filepath.Dir(o.SSLCert), "client.crt", c.CertPEM(), 0o600)
		return o
	}
	opts := func(f func(*ServerOptions)) ServerOptions {
		o := withClientCAs(t, serverOptions(t))
		if f != nil {
			f(&o)
		}
		return o
	}
	type failure struct {
		depth       int
		reason      string
		cert        *certs.Cert
		clientAlert string
	}
	tests := []struct {
		name   string
		server ServerOptions
		client ClientOptions
		fail   *failure
	}{
		{"no certificate", opts(nil), ClientOptions{SSLMode: "require"}, nil},
		{"good", opts(nil), clientFiles(t, pki.Client), nil},
		{"intermediate missing", opts(nil), leafOnly(pki.Client),
			&failure{0, "unable to get local issuer certificate", pki.Client, "tlsv1 alert unknown ca"}},
		{"intermediate in the CA file", opts(func(o *ServerOptions) { o.CAFile = rootAndInter }), leafOnly(pki.Client), nil},
		{"another CA", opts(nil), clientFiles(t, untrusted),
			&failure{1, "unable to get local issuer certificate", otherInter, "tlsv1 alert unknown ca"}},
		{"self-signed", opts(nil), clientFiles(t, selfSigned),
			&failure{0, "self-signed certificate", selfSigned, "tlsv1 alert unknown ca"}},
		{"self-signed, not a CA", opts(nil), clientFiles(t, selfIssued),
			&failure{0, "self-signed certificate", selfIssued, "tlsv1 alert unknown ca"}},
		{"expired", opts(nil), clientFiles(t, expired),
			&failure{0, "certificate has expired", expired, "sslv3 alert certificate expired"}},
		{"server certificate", opts(nil), clientFiles(t, serverAsClient),
			&failure{0, "unsuitable certificate purpose", serverAsClient, "sslv3 alert bad certificate"}},
		// OpenSSL needs a self-signed anchor; crypto/tls would stop at
		// the intermediate.
		{"only the intermediate in the CA file", opts(func(o *ServerOptions) { o.CAFile = interOnly }), clientFiles(t, pki.Client),
			&failure{1, "unable to get issuer certificate", pki.ClientCA, "sslv3 alert bad certificate"}},

		{"CRL, good", opts(func(o *ServerOptions) { o.CRLFile = crlFile }), clientFiles(t, pki.Client), nil},
		{"CRL, no certificate", opts(func(o *ServerOptions) { o.CRLFile = crlFile }), ClientOptions{SSLMode: "require"}, nil},
		// OpenSSL would send certificate_revoked; crypto/tls sends
		// bad_certificate for every failure of its callback.
		{"CRL, revoked", opts(func(o *ServerOptions) { o.CRLFile = crlFile }), clientFiles(t, revoked),
			&failure{0, "certificate revoked", revoked, "sslv3 alert bad certificate"}},
		{"CRL, intermediate not covered", opts(func(o *ServerOptions) { o.CRLFile = leafCRLOnly }), clientFiles(t, pki.Client),
			&failure{1, "unable to get certificate CRL", pki.ClientCA, "sslv3 alert bad certificate"}},
		{"CRL, expired", opts(func(o *ServerOptions) { o.CRLFile = expiredCRL }), clientFiles(t, pki.Client),
			&failure{0, "CRL has expired", pki.Client, "sslv3 alert bad certificate"}},
		{"CRL directory, good", opts(func(o *ServerOptions) { o.CRLDir = crlDir }), clientFiles(t, pki.Client), nil},
		{"CRL directory, revoked", opts(func(o *ServerOptions) { o.CRLDir = crlDir }), clientFiles(t, revoked),
			&failure{0, "certificate revoked", revoked, "sslv3 alert bad certificate"}},
		{"CRL directory missing", opts(func(o *ServerOptions) { o.CRLDir = filepath.Join(dir, "none") }), clientFiles(t, pki.Client),
			&failure{0, "unable to get certificate CRL", pki.Client, "sslv3 alert bad certificate"}},
	}
	for _, tt := range tests {
		for _, version := range []string{"TLSv1.2", "TLSv1.3"} {
			t.Run(version+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				cfg := loadServerConfig(t, tt.server)
				o := tt.client
				o.MinProtocol, o.MaxProtocol = version, version
				srv, cli, run := pgtlsPair(t, cfg, o, func(s *testClient) error { return s.echoBack() })
				if tt.fail == nil {
					if err := cli.handshake(); err != nil {
						t.Fatalf("client: %v", err)
					}
					if got, err := cli.echo([]byte("ping")); err != nil || string(got) != "ping" {
						t.Fatalf("echo: %q, %v", got, err)
					}
					cli.s.Close()
					if err := run.wait(t); err != nil {
						t.Fatalf("server: %v", err)
					}
					if !cli.s.CertRequested() {
						t.Error("no certificate was asked for")
					}
					peer := srv.s.ClientCertificate()
					if sent := o.SSLCert != ""; sent != (peer != nil) {
						t.Fatalf("client sent a certificate: %v; server has %+v", sent, peer)
					}
					return
				}
				cerr := handshakeAfterAlert(cli)
				checkError(t, cerr, KindTLS, tt.fail.clientAlert)
				err := run.wait(t)
				e := checkError(t, err, KindTLS, "certificate verify failed: "+tt.fail.reason)
				c := tt.fail.cert.Cert
				want := fmt.Sprintf("Client certificate verification failed at depth %d: %s.\n"+
					"Failed certificate data (unverified): subject \"/CN=%s\", serial number %s, issuer \"/CN=%s\".",
					tt.fail.depth, tt.fail.reason, c.Subject.CommonName, c.SerialNumber, c.Issuer.CommonName)
				if e.Detail != want {
					t.Errorf("detail:\n%s\nwant:\n%s", e.Detail, want)
				}
				if srv.s.ClientCertificate() != nil {
					t.Error("ClientCertificate after a failed handshake")
				}
			})
		}
	}
}

// TestServerClientCertificateNotAsked: without ssl_ca_file no certificate
// is asked for, whatever the client has.
func TestServerClientCertificateNotAsked(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	cfg := loadServerConfig(t, serverOptions(t))
	for _, version := range []string{"TLSv1.2", "TLSv1.3"} {
		o := clientFiles(t, pki.Client)
		o.MinProtocol, o.MaxProtocol = version, version
		srv, cli, run := pgtlsPair(t, cfg, o, nil)
		if err := cli.handshake(); err != nil {
			t.Fatalf("%s: %v", version, err)
		}
		if err := run.wait(t); err != nil {
			t.Fatalf("%s: server: %v", version, err)
		}
		if cli.s.CertRequested() || srv.s.ClientCertificate() != nil {
			t.Errorf("%s: CertRequested %v, ClientCertificate %v", version, cli.s.CertRequested(), srv.s.ClientCertificate())
		}
	}
}

// TestServerClientCAList: the CertificateRequest names the CA file's
// subjects, so that a client with several certificates can choose.
func TestServerClientCAList(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	cfg := loadServerConfig(t, withClientCAs(t, serverOptions(t)))
	var names [][]byte
	ccfg := goClientConfig(t)
	ccfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		names = cri.AcceptableCAs
		c := tlsCert(pki.Client)
		return &c, nil
	}
	s, err, cerr := serverHandshake(t, cfg, ccfg)
	if err != nil || cerr != nil {
		t.Fatalf("server %v, client %v", err, cerr)
	}
	if len(names) != 1 || string(names[0]) != string(pki.Root.Cert.RawSubject) {
		t.Errorf("acceptable CAs %q, want the root's subject", names)
	}
	if peer := s.s.ClientCertificate(); peer == nil || peer.CN != "alice" {
		t.Errorf("ClientCertificate %+v", peer)
	}
}

// TestLogCertName: the backend's prepare_cert_name.
func TestLogCertName(t *testing.T) {
	t.Parallel()
	long := "/O=" + strings.Repeat("x", 40) + "/CN=ssl-123456789012345678901234567890123456789012345678901234567890"
	tests := []struct{ in, want string }{
		{"/CN=alice", "/CN=alice"},
		{"/CN=\u039f\u03b4", `/CN=\xce\x9f\xce\xb4`},
		{"/CN=tab\there\x7f", `/CN=tab\x09here\x7f`},
		{long, ".../CN=ssl-123456789012345678901234567890123456789012345678901234567890"},
	}
	for _, tt := range tests {
		if got := logCertName(tt.in); got != tt.want {
			t.Errorf("logCertName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestClientVerifyLikeOpenSSL compares the verdicts and log details with
// "openssl verify -purpose sslclient", when there is an openssl command.
func TestClientVerifyLikeOpenSSL(t *testing.T) {
	// Not parallel: between fork and exec the child holds copies of every
	// open socket, which would hide a peer's close from concurrent tests.
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl command")
	}
	pki := testPKI(t)
	dir := t.TempDir()
	otherRoot := mint(t, certs.Template{CommonName: "other root", IsCA: true}, nil)
	otherInter := mint(t, certs.Template{CommonName: "other intermediate", IsCA: true}, otherRoot)
	revoked := mint(t, certs.Template{CommonName: "revoked", Client: true}, pki.ClientCA)
	expired := mint(t, certs.Template{CommonName: "old", Client: true,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, pki.ClientCA)
	expiredInter := mint(t, certs.Template{CommonName: "old CA", IsCA: true,
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)}, pki.Root)
	underExpiredInter := mint(t, certs.Template{CommonName: "bob", Client: true}, expiredInter)
	rootCRL := crl(t, pki.Root, nil, nextWeek())
	clientCACRL := crl(t, pki.ClientCA, []*certs.Cert{revoked}, nextWeek())

	cases := []struct {
		name  string
		chain []*certs.Cert // leaf first, as the client sends it
		ca    []*certs.Cert
		crls  [][]byte
	}{
		{"good", []*certs.Cert{pki.Client, pki.ClientCA}, []*certs.Cert{pki.Root}, nil},
		{"intermediate missing", []*certs.Cert{pki.Client}, []*certs.Cert{pki.Root}, nil},
		{"intermediate in the CA file", []*certs.Cert{pki.Client}, []*certs.Cert{pki.Root, pki.ClientCA}, nil},
		{"intermediate alone in the CA file", []*certs.Cert{pki.Client}, []*certs.Cert{pki.ClientCA}, nil},
		{"another CA", []*certs.Cert{mint(t, certs.Template{CommonName: "m", Client: true}, otherInter), otherInter}, []*certs.Cert{pki.Root}, nil},
		{"another CA, root sent", []*certs.Cert{mint(t, certs.Template{CommonName: "m", Client: true}, otherInter), otherInter, otherRoot}, []*certs.Cert{pki.Root}, nil},
		{"self-signed", []*certs.Cert{mint(t, certs.Template{CommonName: "s", IsCA: true}, nil)}, []*certs.Cert{pki.Root}, nil},
		{"self-issued", []*certs.Cert{mint(t, certs.Template{CommonName: "s", Client: true}, nil)}, []*certs.Cert{pki.Root}, nil},
		{"expired", []*certs.Cert{expired, pki.ClientCA}, []*certs.Cert{pki.Root}, nil},
		{"expired intermediate", []*certs.Cert{underExpiredInter, expiredInter}, []*certs.Cert{pki.Root}, nil},
		{"server certificate", []*certs.Cert{pki.Server, pki.ServerCA}, []*certs.Cert{pki.Root}, nil},
		{"revoked", []*certs.Cert{revoked, pki.ClientCA}, []*certs.Cert{pki.Root}, [][]byte{clientCACRL, rootCRL}},
		{"CRL for the leaf only", []*certs.Cert{pki.Client, pki.ClientCA}, []*certs.Cert{pki.Root}, [][]byte{clientCACRL}},
		{"CRLs, good", []*certs.Cert{pki.Client, pki.ClientCA}, []*certs.Cert{pki.Root}, [][]byte{clientCACRL, rootCRL}},
		{"expired CRL", []*certs.Cert{pki.Client, pki.ClientCA}, []*certs.Cert{pki.Root},
			[][]byte{crl(t, pki.ClientCA, nil, time.Now().Add(-time.Minute)), rootCRL}},
	}
	for i, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pem := func(name string, cs []*certs.Cert) string {
				var data []byte
				for _, c := range cs {
					data = append(data, c.CertPEM()...)
				}
				return writeFile(t, dir, fmt.Sprintf("%d-%s", i, name), data, 0o600)
			}
			args := []string{"verify", "-purpose", "sslclient", "-CAfile", pem("ca.pem", tt.ca)}
			if len(tt.chain) > 1 {
				args = append(args, "-untrusted", pem("untrusted.pem", tt.chain[1:]))
			}
			v := &clientVerifier{roots: x509.NewCertPool()}
			for _, c := range tt.ca {
				v.roots.AddCert(c.Cert)
				v.trusted = append(v.trusted, c.Cert)
			}
			if tt.crls != nil {
				data := bytes.Join(tt.crls, nil)
				args = append(args, "-crl_check_all", "-CRLfile", writeFile(t, dir, fmt.Sprintf("%d-crl.pem", i), data, 0o600))
				lists, err := parseCRLs(data)
				if err != nil {
					t.Fatal(err)
				}
				v.crls = &crlSet{lists: lists}
			}
			args = append(args, pem("leaf.pem", tt.chain[:1]))
			out, _ := exec.Command(openssl, args...).CombinedOutput()
			// "error 20 at 0 depth lookup: unable to get local issuer certificate"
			m := regexp.MustCompile(`error \d+ at (\d+) depth lookup: (.*)`).FindStringSubmatch(string(out))

			var chain []*x509.Certificate
			for _, c := range tt.chain {
				chain = append(chain, c.Cert)
			}
			f := v.verify(chain, time.Now())
			switch {
			case m == nil && !strings.Contains(string(out), ": OK"):
				t.Fatalf("cannot read openssl's verdict: %s", out)
			case m == nil && f != nil:
				t.Errorf("openssl accepts, we say depth %d: %s", f.depth, f.reason)
			case m != nil && f == nil:
				t.Errorf("we accept, openssl says depth %s: %s", m[1], m[2])
			case m != nil && (m[1] != fmt.Sprint(f.depth) || m[2] != f.reason):
				t.Errorf("depth %d: %s; openssl says depth %s: %s", f.depth, f.reason, m[1], m[2])
			}
		})
	}
}
