package pgtls

import "strings"

// serverReasons are OpenSSL's reasons for the handshake failures a server
// meets, keyed by the start of crypto/tls's message: DBAs and log
// watchers know "no shared cipher", not Go's sentence.
var serverReasons = []struct {
	goPrefix, reason string
	versions         bool // a protocol version problem: the backend adds its hint
}{
	{"client offered only unsupported versions", "unsupported protocol", true},
	{"client used the legacy version field to negotiate TLS 1.3", "unsupported protocol", true},
	{"client using inappropriate protocol fallback", "inappropriate fallback", false},
	{"no cipher suite supported by both client and server", "no shared cipher", false},
	{"no key exchanges supported by both client and server", "no suitable key share", false},
	{"client requested unsupported application protocols", "no application protocol", false},
	{"invalid signature by the client certificate", "bad signature", false},
	{"client certificate used with invalid signature algorithm", "wrong signature type", false},
	{"client's Finished message is incorrect", "digest check failed", false},
	{"invalid client finished hash", "digest check failed", false},
}

// rewordServerError puts OpenSSL's reason in front of crypto/tls's
// message, which stays as the detail after ": ".
func rewordServerError(e *Error) {
	for _, r := range serverReasons {
		if strings.HasPrefix(e.Message, r.goPrefix) {
			e.Message = r.reason + ": " + e.Message
			e.VersionMismatch = e.VersionMismatch || r.versions
			return
		}
	}
}
