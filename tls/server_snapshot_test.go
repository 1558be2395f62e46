package pgtls

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// TestServerConfigSnapshot: an imported configuration serves exactly as
// the loaded one, without the files: certificate, key, client CAs, CRLs
// and settings all travel in the snapshot.
func TestServerConfigSnapshot(t *testing.T) {
	t.Parallel()
	pki := testPKI(t)
	revoked := mint(t, certs.Template{CommonName: "revoked", Client: true}, pki.ClientCA)
	for _, keyType := range []certs.KeyType{certs.ECDSA, certs.RSA, certs.Ed25519} {
		t.Run(keyName(keyType), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			srv := mint(t, certs.Template{CommonName: "localhost", DNSNames: []string{"localhost"}, Key: keyType}, pki.ServerCA)
			crls := append(crl(t, pki.ClientCA, []*certs.Cert{revoked}, nextWeek()), crl(t, pki.Root, nil, nextWeek())...)
			o := ServerOptions{
				CertFile:    writeFile(t, dir, "server.crt", srv.ChainPEM(), 0o600),
				KeyFile:     writeFile(t, dir, "server.key", srv.KeyPEM(), 0o600),
				CAFile:      writeFile(t, dir, "root.crt", pki.Root.CertPEM(), 0o600),
				CRLFile:     writeFile(t, dir, "root.crl", crls, 0o600),
				MaxProtocol: "TLSv1.2",
			}
			loaded := loadServerConfig(t, o)
			data, err := loaded.Export()
			if err != nil {
				t.Fatalf("Export: %v", err)
			}
			// The files are gone: the import must not need them.
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			cfg, err := ImportServerConfig(data)
			if err != nil {
				t.Fatalf("ImportServerConfig: %v", err)
			}
			if !cfg.VerifiesClientCertificates() {
				t.Error("imported configuration does not ask for client certificates")
			}

			ro := clientFiles(t, pki.Client)
			ro.SSLMode, ro.SSLRootCert, ro.Host = "verify-full", pki.Path("root.crt"), "localhost"
			srvSession, cli, run := pgtlsPair(t, cfg, ro, nil)
			if err := cli.handshake(); err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			if err := run.wait(t); err != nil {
				t.Fatalf("server handshake: %v", err)
			}
			if info, _ := srvSession.s.ConnectionInfo(); info.Protocol != "TLSv1.2" {
				t.Errorf("protocol %q: ssl_max_protocol_version was not imported", info.Protocol)
			}
			if cc := srvSession.s.ClientCertificate(); cc == nil || cc.CN != "alice" {
				t.Errorf("client certificate %+v, want CN alice", cc)
			}
			wantHash, _ := CertificateHash(srv.Cert)
			if got, err := srvSession.s.ServerCertificateHash(); err != nil || !bytes.Equal(got, wantHash) {
				t.Errorf("certificate hash %x, %v; want %x", got, err, wantHash)
			}

			_, cli, run = pgtlsPair(t, cfg, clientFiles(t, revoked), nil)
			handshakeAfterAlert(cli)
			if err := run.wait(t); err == nil || !strings.Contains(errorDetail(err), "certificate revoked") {
				t.Errorf("revoked client certificate: server error %v, want the CRL's verdict", err)
			}
		})
	}
}

// TestServerConfigSnapshotKeepsNoPassphrase: an encrypted key is stored
// decrypted, and the passphrase is not stored at all.
func TestServerConfigSnapshotKeepsNoPassphrase(t *testing.T) {
	t.Parallel()
	k := testdataKeys[0]
	dir := t.TempDir()
	o := ServerOptions{CertFile: privateCopy(t, dir, k.cert), KeyFile: privateCopy(t, dir, k.file), Passphrase: testdataPassword}
	data, err := loadServerConfig(t, o).Export()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(testdataPassword)) {
		t.Error("the snapshot contains the passphrase")
	}
	if _, err := ImportServerConfig(data); err != nil {
		t.Fatalf("ImportServerConfig: %v", err)
	}
}

// TestImportServerConfigRejects: damaged bytes and another build's
// snapshot are refused with a clear message.
func TestImportServerConfigRejects(t *testing.T) {
	t.Parallel()
	data, err := loadServerConfig(t, serverOptions(t)).Export()
	if err != nil {
		t.Fatal(err)
	}
	var other map[string]any
	if err := json.Unmarshal(data, &other); err != nil {
		t.Fatal(err)
	}
	other["Library"] = "go0.0"
	otherBuild, _ := json.Marshal(other)
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"truncated":   {data[:len(data)/2], "could not import the SSL configuration: "},
		"other build": {otherBuild, `exported by "go0.0"`},
		"empty":       {nil, "could not import the SSL configuration: "},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ImportServerConfig(tc.data)
			e, ok := err.(*Error)
			if !ok || e.Kind != KindConfig || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("error %v, want a config error containing %q", err, tc.want)
			}
		})
	}
}

func keyName(k certs.KeyType) string {
	return map[certs.KeyType]string{certs.ECDSA: "ECDSA", certs.RSA: "RSA", certs.Ed25519: "Ed25519"}[k]
}

func errorDetail(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Message + " / " + e.Detail
	}
	return err.Error()
}
