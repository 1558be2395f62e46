package pgtls

import (
	"strings"
	"testing"
)

// TestServerALPN: the backend's ALPN rules. With SSLRequest, ALPN is
// checked only if the client offers it: "postgresql" is chosen, a list
// without it is refused with no_application_protocol, except when its
// first protocol is longer than 11 bytes, which alpn_cb lets through
// without ALPN. With direct SSL, ALPN "postgresql" is required.
func TestServerALPN(t *testing.T) {
	t.Parallel()
	normal := loadServerConfig(t, serverOptions(t))
	direct := normal.WithRequireALPN(true)
	const (
		noALPN  = "received direct SSL connection request without ALPN protocol negotiation extension"
		refused = "no application protocol: client requested unsupported application protocols..."
	)
	tests := []struct {
		name           string
		protos         []string
		normal, direct string // the ALPN agreed on, or "!" and the server's error
	}{
		{"none", nil, "", "!" + noALPN},
		{"postgresql", []string{"postgresql"}, "postgresql", "postgresql"},
		{"postgresql second", []string{"http/1.1", "postgresql"}, "postgresql", "postgresql"},
		{"another protocol", []string{"http/1.1"}, "!" + refused, "!" + refused},
		{"11 bytes", []string{"postgresqlx"}, "!" + refused, "!" + refused},
		{"12 bytes", []string{"postgresql-x"}, "", "!" + noALPN},
		{"12 bytes, then another", []string{"postgresql/2", "h2"}, "", "!" + noALPN},
	}
	for _, tt := range tests {
		for _, mode := range []string{"normal", "direct"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				cfg, want := normal, tt.normal
				if mode == "direct" {
					cfg, want = direct, tt.direct
				}
				ccfg := goClientConfig(t)
				ccfg.NextProtos = tt.protos
				s, err, cerr := serverHandshake(t, cfg, ccfg)
				if msg, ok := strings.CutPrefix(want, "!"); ok {
					checkError(t, err, KindTLS, msg)
					if msg == refused && (cerr == nil || !strings.Contains(cerr.Error(), "no application protocol")) {
						t.Errorf("client: %v, want the no_application_protocol alert", cerr)
					}
					// After the direct SSL refusal the backend just
					// closes, which a client may take for a clean end.
					return
				}
				if err != nil || cerr != nil {
					t.Fatalf("server %v, client %v", err, cerr)
				}
				if info, _ := s.s.ConnectionInfo(); info.ALPN != want {
					t.Errorf("ALPN %q, want %q", info.ALPN, want)
				}
			})
		}
	}
}

// TestServerRequireALPNOption: RequireALPN in the options, and
// WithRequireALPN both ways.
func TestServerRequireALPNOption(t *testing.T) {
	t.Parallel()
	o := serverOptions(t)
	o.RequireALPN = true
	direct := loadServerConfig(t, o)
	ccfg := goClientConfig(t)
	ccfg.NextProtos = nil
	for _, tc := range []struct {
		cfg  *ServerConfig
		fail bool
	}{{direct, true}, {direct.WithRequireALPN(false), false}, {direct.WithRequireALPN(false).WithRequireALPN(true), true}} {
		_, err, _ := serverHandshake(t, tc.cfg, ccfg)
		if (err != nil) != tc.fail {
			t.Errorf("RequireALPN %v: %v", tc.cfg.requireALPN, err)
		}
	}
}
