package pgtls

// CodeTLSVersion is the C interface's number for a TLS failure that
// suggests the peers have no protocol version in common
// (GOTLS_ERR_TLS_VERSION); the other kinds keep their ErrorKind values.
const CodeTLSVersion = 6

// Code is e's kind as the C interface numbers it (GOTLS_ERR_* in
// libpq_tls.h), which the library's exports and the helper process both
// report: capi checks at compile time that the numbers agree.
func (e *Error) Code() int {
	if e.Kind == KindTLS && e.VersionMismatch {
		return CodeTLSVersion
	}
	return int(e.Kind)
}
