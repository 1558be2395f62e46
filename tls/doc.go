// Package pgtls is the TLS engine of pg-gotls: every TLS decision that
// libpq's OpenSSL backend makes, made with Go's crypto/tls.
//
// It turns libpq-style options (sslmode, sslrootcert, sslcert, ...) into a
// crypto/tls configuration, verifies peers the way libpq does, and runs a
// TLS session over a non-blocking Transport that the caller provides. It
// has no cgo and knows nothing of PostgreSQL's structures: capi/ wraps it
// for C, and the C glue in the PostgreSQL tree passes plain values across.
//
// The server side (server*.go) does the same for the backend's
// be-secure-openssl.c: NewServerConfig loads the ssl_* settings once, and
// NewServer runs a session on the same pumped Session as the client.
package pgtls
