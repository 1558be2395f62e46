package pgtls

import (
	"crypto/tls"
	"strings"
)

// ClientOptions are libpq's TLS connection parameters, as libpq holds
// them after applying its defaults. Empty strings mean "not set".
type ClientOptions struct {
	// Host is the host name or address being connected to, as the user
	// gave it (libpq's connhost[].host). It decides SNI.
	Host string

	SSLMode     string // disable, allow, prefer, require, verify-ca, verify-full
	SSLRootCert string // a file, or "system"
	SSLCert     string
	SSLKey      string
	SSLPassword string
	SSLCRL      string
	SSLCRLDir   string
	SSLCertMode string // disable, allow, require
	SSLSNI      bool
	MinProtocol string // "TLSv1.2" etc.
	MaxProtocol string
	KeyLogFile  string

	// HomeDir is where the default files (~/.postgresql/...) live, or ""
	// if libpq could not determine it.
	HomeDir string
}

// Files that libpq looks for in HomeDir when the options leave them unset.
const (
	userCertFile = ".postgresql/postgresql.crt"
	userKeyFile  = ".postgresql/postgresql.key"
	rootCertFile = ".postgresql/root.crt"
	rootCRLFile  = ".postgresql/root.crl"
)

// inHome returns the default file name in the home directory, or "" if
// the home directory is unknown.
func (o *ClientOptions) inHome(name string) string {
	if o.HomeDir == "" {
		return ""
	}
	return o.HomeDir + "/" + name
}

func (o *ClientOptions) verifiesChain() bool { return strings.HasPrefix(o.SSLMode, "verify") }

// protocolVersion maps libpq's protocol version names to crypto/tls's.
// Like libpq, it is case-insensitive.
func protocolVersion(name string) (uint16, bool) {
	switch strings.ToLower(name) {
	case "tlsv1":
		return tls.VersionTLS10, true
	case "tlsv1.1":
		return tls.VersionTLS11, true
	case "tlsv1.2":
		return tls.VersionTLS12, true
	case "tlsv1.3":
		return tls.VersionTLS13, true
	}
	return 0, false
}

// isIPLiteral applies libpq's own test (fe-secure-openssl.c) for "this
// host is an address, so no SNI".
func isIPLiteral(host string) bool {
	if strings.Contains(host, ":") {
		return true
	}
	return strings.Trim(host, "0123456789.") == ""
}
