package pgtls

// FIPS 140-3 mode is Go's: GODEBUG=fips140=on in the environment of the
// program that loads the library (or of the postmaster, for pg_tlsd)
// turns it on; fips140=only also makes every non-approved algorithm fail.
// In either, crypto/tls limits itself to what the mode approves (TLS 1.2
// and 1.3; AES-GCM; P-256, P-384, P-521 and the ML-KEM hybrids; RSA of
// 2048 bits or more, ECDSA on those curves, Ed25519). What this file adds:
// the mode shows in the library's name, and a setting or key that the mode
// would make fail at the first handshake is refused when it is loaded,
// with a message that names it. See docs/fips.md.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/fips140"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// FIPSMode names the FIPS 140-3 mode the library runs in, "" when off.
func FIPSMode() string {
	switch {
	case fips140.Enforced():
		return "FIPS 140-3 mode, approved algorithms only"
	case fips140.Enabled():
		return "FIPS 140-3 mode"
	}
	return ""
}

// Library is what PQsslAttribute(conn, "library") reports: LibraryName,
// with the FIPS 140-3 mode when it is on.
func Library() string {
	if m := FIPSMode(); m != "" {
		return LibraryName + " (" + m + ")"
	}
	return LibraryName
}

// fipsKeyProblem says why FIPS 140-3 mode would refuse a certificate with
// this public key, or "" (crypto/tls's isCertificateAllowedFIPS).
func fipsKeyProblem(pub crypto.PublicKey) string {
	if !fips140.Enabled() {
		return ""
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Sprintf("an RSA key of %d bits is not allowed in FIPS 140-3 mode (2048 bits or more are)", n)
		}
		return ""
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return ""
		}
		return fmt.Sprintf("an ECDSA key on %s is not allowed in FIPS 140-3 mode (P-256, P-384 and P-521 are)", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return ""
	}
	return fmt.Sprintf("a %T key is not allowed in FIPS 140-3 mode", pub)
}

// What crypto/tls allows in FIPS 140-3 mode (its defaults_fips140.go).
var (
	fipsSuites = []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	}
	fipsTLS13Suites = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"}
	fipsGroups      = []tls.CurveID{
		tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024,
		tls.CurveP256, tls.CurveP384, tls.CurveP521,
	}
)

// checkFIPSServerSettings refuses, in FIPS 140-3 mode, server settings
// that would leave the mode nothing to negotiate.
func checkFIPSServerSettings(st *serverSettings, tls13Ciphers string) error {
	if !fips140.Enabled() {
		return nil
	}
	if st.maxVersion != 0 && st.maxVersion < tls.VersionTLS12 {
		return &Error{
			Kind:    KindConfig,
			Message: "could not set SSL protocol version range",
			Detail:  fmt.Sprintf("\"ssl_max_protocol_version\" is %s, and FIPS 140-3 mode allows only TLSv1.2 and TLSv1.3.", protocolNames[st.maxVersion]),
		}
	}
	if !slices.ContainsFunc(st.suites, func(id uint16) bool { return slices.Contains(fipsSuites, id) }) {
		return &Error{
			Kind:    KindConfig,
			Message: "could not set the cipher list (no valid ciphers available)",
			Detail:  "FIPS 140-3 mode allows only ECDHE with AES-GCM (or AES-128-CBC-SHA256) in TLS 1.2, and \"ssl_ciphers\" names none of them.",
		}
	}
	if tls13Ciphers != "" && !slices.ContainsFunc(strings.Split(tls13Ciphers, ":"), func(n string) bool {
		return slices.Contains(fipsTLS13Suites, strings.TrimSpace(n))
	}) {
		return &Error{
			Kind:    KindConfig,
			Message: "could not set the TLSv1.3 cipher suites (no valid ciphers available)",
			Detail:  "FIPS 140-3 mode allows only TLS_AES_128_GCM_SHA256 and TLS_AES_256_GCM_SHA384, and \"ssl_tls13_ciphers\" names neither.",
		}
	}
	if !slices.ContainsFunc(st.groups, func(g tls.CurveID) bool { return slices.Contains(fipsGroups, g) }) {
		return &Error{
			Kind:    KindConfig,
			Message: "could not set group names specified in ssl_groups",
			Detail:  "FIPS 140-3 mode allows only P-256, P-384, P-521 and the ML-KEM hybrids, and \"ssl_groups\" names none of them.",
		}
	}
	return nil
}

// checkFIPSClientVersions refuses, in FIPS 140-3 mode, a client's
// ssl_max_protocol_version below TLSv1.2.
func checkFIPSClientVersions(maxVersion uint16, name string) error {
	if !fips140.Enabled() || maxVersion == 0 || maxVersion >= tls.VersionTLS12 {
		return nil
	}
	return &Error{Kind: KindConfig, Message: fmt.Sprintf("invalid value \"%s\" for maximum SSL protocol version: FIPS 140-3 mode allows only TLSv1.2 and TLSv1.3", name)}
}

// FIPSEnvironmentProblem says why this process cannot honour the FIPS
// 140-3 mode that godebug, the process's GODEBUG as C's getenv sees it
// now, asks for; "" if it can. Go reads GODEBUG once, from the memory
// that held the environment when the process started: a PostgreSQL server
// process has written its process title over it by then, and a program
// that sets GODEBUG after it started (os.environ in Python) changes only
// C's copy. Running in a weaker mode than asked would be a silent
// downgrade, so callers refuse to run instead.
func FIPSEnvironmentProblem(godebug string) string {
	want := ""
	for _, setting := range strings.Split(godebug, ",") {
		if v, ok := strings.CutPrefix(setting, "fips140="); ok {
			want = v // the last one counts, as in Go
		}
	}
	have := "off"
	if fips140.Enforced() {
		have = "only"
	} else if fips140.Enabled() {
		have = "on"
	}
	if fipsLevel(want) <= fipsLevel(have) {
		return ""
	}
	return fmt.Sprintf("GODEBUG=fips140=%s is set, but Go in this process started without it "+
		"(Go reads GODEBUG from the environment the process started with, which a PostgreSQL "+
		"server process overwrites with its title): use pg-gotls built with FIPS140=%s", want, want)
}

// fipsLevel orders GODEBUG's fips140 values: off (or unset), on, only.
func fipsLevel(v string) int {
	switch v {
	case "on", "debug":
		return 1
	case "only":
		return 2
	}
	return 0
}
