package pgtls

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// FuzzImportServerConfig: pg_tlsd imports each configuration snapshot
// the postmaster sends (ImportServerConfig).
//
//   - an import fails with a *Error of KindConfig, whose message quotes
//     no part of the private key (it goes to the server log);
//   - an imported configuration exports again, and that export imports
//     and exports to the same bytes: a snapshot is a fixed point after
//     one round;
//   - the export carries no passphrase, even when the input had one,
//     and the input's certificate chain unchanged.
func FuzzImportServerConfig(f *testing.F) {
	pki := testPKI(f)
	dir := f.TempDir()
	crls := append(crl(f, pki.ClientCA, []*certs.Cert{pki.Client}, nextWeek()), crl(f, pki.Root, nil, nextWeek())...)
	for _, o := range []ServerOptions{
		serverOptions(f),
		withClientCAs(f, ServerOptions{CertFile: pki.Path("server.crt"), KeyFile: pki.Path("server.key"),
			CRLFile: writeFile(f, dir, "root.crl", crls, 0o600), MinProtocol: "TLSv1.3", Groups: "X25519:prime256v1"}),
		{CertFile: pki.Path("server.crt"), KeyFile: pki.Path("server.key"), MaxProtocol: "TLSv1.2",
			Ciphers: "HIGH:!aNULL", TLS13Ciphers: "TLS_AES_128_GCM_SHA256", RequireALPN: true},
	} {
		data, err := loadServerConfig(f, o).Export()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		// The same with a passphrase, as a snapshot never has one.
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			f.Fatal(err)
		}
		m["Options"].(map[string]any)["Passphrase"] = "fuzz passphrase"
		data, _ = json.Marshal(m)
		f.Add(data)
	}
	f.Add([]byte(`{"Library":"go0.0"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ImportServerConfig(data)
		var in serverSnapshot
		jerr := json.Unmarshal(data, &in)
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Kind != KindConfig || e.Message == "" {
				t.Fatalf("error %#v, want a *Error of KindConfig", err)
			}
			if jerr == nil {
				for _, window := range keyWindows(in.Key) {
					if strings.Contains(e.Message, window) {
						t.Fatalf("the error quotes the private key: %s", e.Message)
					}
				}
			}
			return
		}
		out, err := cfg.Export()
		if err != nil {
			t.Fatalf("an imported configuration does not export: %v", err)
		}
		cfg2, err := ImportServerConfig(out)
		if err != nil {
			t.Fatalf("an export of an import does not import: %v", err)
		}
		if out2, err := cfg2.Export(); err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not a fixed point:\n%s\n%s", out, out2)
		}
		var s serverSnapshot
		if err := json.Unmarshal(out, &s); err != nil {
			t.Fatal(err)
		}
		if s.Options.Passphrase != "" {
			t.Error("the export has a passphrase")
		}
		if len(s.Chain) != len(in.Chain) {
			t.Fatalf("chain of %d certificates, the input had %d", len(s.Chain), len(in.Chain))
		}
		for i := range s.Chain {
			if !bytes.Equal(s.Chain[i], in.Chain[i]) {
				t.Errorf("certificate %d of the chain changed", i)
			}
		}
	})
}

// keyWindows are the 12-byte pieces of a key, raw and as JSON has it
// (base64), that an error message must not contain.
func keyWindows(key []byte) []string {
	b64, _ := json.Marshal(key)
	var out []string
	for _, s := range []string{string(key), strings.Trim(string(b64), `"`)} {
		for i := 0; i+12 <= len(s); i += 6 {
			out = append(out, s[i:i+12])
		}
	}
	return out
}
