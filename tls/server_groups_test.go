package pgtls

import (
	"crypto/tls"
	"slices"
	"testing"
)

// TestParseGroups: ssl_groups in OpenSSL's syntax, and the default that
// adds X25519MLKEM768.
func TestParseGroups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		list string
		want []tls.CurveID // nil: refused
	}{
		{"", defaultGroups},
		{DefaultGroups, defaultGroups},
		{"X25519:P-256", []tls.CurveID{tls.X25519, tls.CurveP256}},
		{"X25519MLKEM768:X25519:prime256v1", []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}},
		{"x25519:SECP384R1:secp521r1", []tls.CurveID{tls.X25519, tls.CurveP384, tls.CurveP521}},
		{"SecP256r1MLKEM768:SecP384r1MLKEM1024", []tls.CurveID{tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024}},
		{"prime256v1:secp256r1:P-256", []tls.CurveID{tls.CurveP256}},
		{"*X25519MLKEM768/*X25519:secp256r1", []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}}, // OpenSSL 3.5 tuples
		{"?X448:X25519", []tls.CurveID{tls.X25519}},
		{"X448:X25519", nil},
		{"ffdhe2048", nil},
		{"?X448", nil},
		{":", nil},
	}
	for _, tt := range tests {
		got, err := parseGroups(tt.list)
		if tt.want == nil {
			if err == nil {
				t.Errorf("%q: %v, want refused", tt.list, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%q: %v, %v; want %v", tt.list, got, err, tt.want)
		}
	}
}

// TestServerGroups: the group a crypto/tls client and the server agree
// on. A Go client offers X25519MLKEM768 by default, and gets it from the
// default settings.
func TestServerGroups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		groups  string
		offered []tls.CurveID // nil: crypto/tls's default
		maxVer  uint16
		want    string // "" for a refusal
	}{
		{"default", "", nil, 0, "X25519MLKEM768"},
		{"PostgreSQL's default", DefaultGroups, nil, 0, "X25519MLKEM768"},
		{"default, TLS 1.2", "", nil, tls.VersionTLS12, "X25519"},
		{"client without ML-KEM", "", []tls.CurveID{tls.X25519, tls.CurveP256}, 0, "X25519"},
		{"X25519 and P-256 only", "X25519:P-256", nil, 0, "X25519"},
		{"P-256 only", "prime256v1", nil, 0, "prime256v1"}, // after a HelloRetryRequest
		{"P-384, TLS 1.2", "secp384r1", nil, tls.VersionTLS12, "secp384r1"},
		{"ML-KEM only", "X25519MLKEM768", nil, 0, "X25519MLKEM768"},
		{"ML-KEM only, client without", "X25519MLKEM768", []tls.CurveID{tls.X25519}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := serverOptions(t)
			o.Groups = tt.groups
			cfg := loadServerConfig(t, o)
			ccfg := goClientConfig(t)
			ccfg.CurvePreferences, ccfg.MaxVersion = tt.offered, tt.maxVer
			s, err, cerr := serverHandshake(t, cfg, ccfg)
			if tt.want == "" {
				checkError(t, err, KindTLS, "no suitable key share: no key exchanges supported by both client and server")
				if cerr == nil {
					t.Error("the client got through")
				}
				return
			}
			if err != nil || cerr != nil {
				t.Fatalf("server %v, client %v", err, cerr)
			}
			if info, _ := s.s.ConnectionInfo(); info.Group != tt.want {
				t.Errorf("group %q, want %q", info.Group, tt.want)
			}
		})
	}
}
