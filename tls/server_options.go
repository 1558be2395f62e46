package pgtls

// ServerOptions are the backend's ssl_* settings, as the postmaster holds
// them. Empty strings mean "not set"; file names are used as given, so the
// caller resolves them against the data directory first.
type ServerOptions struct {
	CertFile string // ssl_cert_file
	KeyFile  string // ssl_key_file
	CAFile   string // ssl_ca_file: when set, clients are asked for a certificate
	CRLFile  string // ssl_crl_file
	CRLDir   string // ssl_crl_dir: an OpenSSL hashed directory, read per verification

	// Passphrase decrypts an encrypted KeyFile. The caller obtains it
	// (ssl_passphrase_command); it is not used for an unencrypted key.
	Passphrase string

	MinProtocol string // ssl_min_protocol_version: "TLSv1.2", "TLSv1.3"...; "" is Go's minimum, TLSv1.2
	MaxProtocol string // ssl_max_protocol_version; "" is the newest, TLSv1.3

	// Ciphers is ssl_ciphers, an OpenSSL cipher string for TLS 1.2 and
	// below; "" means DefaultCiphers. See server_ciphers.go for what is
	// understood.
	Ciphers string
	// TLS13Ciphers is ssl_tls13_ciphers, a colon-separated list of TLS 1.3
	// suite names, "" for the default. crypto/tls cannot restrict TLS 1.3
	// suites: a list is checked, and then all three Go implements stay on.
	TLS13Ciphers string
	// Groups is ssl_groups, a colon-separated list of key exchange groups.
	// "" and PostgreSQL's default (DefaultGroups) both mean
	// X25519MLKEM768:X25519:prime256v1, so that the hybrid post-quantum
	// exchange is offered unless the DBA chose a list of their own.
	Groups string

	// PreferServerCiphers is ssl_prefer_server_ciphers. crypto/tls always
	// picks the suite by its own order, so it has no effect.
	PreferServerCiphers bool

	// RequireALPN is set for direct SSL negotiation (sslnegotiation=direct):
	// a client that did not negotiate ALPN "postgresql" is refused after
	// the handshake, as the backend's ProcessSSLStartup refuses it.
	RequireALPN bool
}

// PostgreSQL's defaults for ssl_ciphers and ssl_groups.
const (
	DefaultCiphers = "HIGH:MEDIUM:+3DES:!aNULL"
	DefaultGroups  = "X25519:prime256v1"
)
