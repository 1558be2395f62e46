package main

/*
#include <stdlib.h>
#include "../libpq_tls.h"
*/
import "C"

import (
	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

//export gotls_attribute
func gotls_attribute(h C.gotls_session, name *C.gotls_cchar, buf *C.char, n C.size_t) C.ssize_t {
	s := lookup(h)
	if s == nil || name == nil {
		return -1
	}
	v, ok := s.s.Attribute(goString(name))
	if !ok {
		return -1
	}
	return C.ssize_t(copyOut(v, buf, n))
}

//export gotls_peer_name
func gotls_peer_name(h C.gotls_session, index C.int, kind *C.int, buf *C.char, n C.size_t) C.ssize_t {
	s := lookup(h)
	if s == nil || index < 0 {
		return -1
	}
	cert := s.s.PeerCertificate()
	if cert == nil {
		return -1
	}
	names := pgtls.PeerNames(cert)
	if int(index) >= len(names) {
		return -1
	}
	name := names[index]
	if kind != nil {
		*kind = C.int(name.Kind)
	}
	return C.ssize_t(copyBytes(name.Value, buf, n))
}

//export gotls_peer_certificate_hash
func gotls_peer_certificate_hash(h C.gotls_session, buf *C.char, n C.size_t, errbuf *C.char, errlen C.size_t) C.ssize_t {
	s := lookup(h)
	if s == nil {
		copyOut("invalid TLS session handle", errbuf, errlen)
		return -1
	}
	cert := s.s.PeerCertificate()
	if cert == nil {
		copyOut("no peer certificate", errbuf, errlen)
		return -1
	}
	sum, err := pgtls.CertificateHash(cert)
	return copyHash(sum, err, buf, n, errbuf, errlen)
}

// copyHash returns a channel-binding hash as the *_certificate_hash
// exports do: its length, or -1 with the reason in errbuf.
func copyHash(sum []byte, err error, buf *C.char, n C.size_t, errbuf *C.char, errlen C.size_t) C.ssize_t {
	if err != nil {
		copyOut(err.Error(), errbuf, errlen)
		return -1
	}
	if int(n) < len(sum) {
		copyOut("buffer too small for certificate hash", errbuf, errlen)
		return -1
	}
	return C.ssize_t(copyBytes(sum, buf, n))
}

//export gotls_cert_requested
func gotls_cert_requested(h C.gotls_session) C.int {
	if s := lookup(h); s != nil && s.s.CertRequested() {
		return 1
	}
	return 0
}

//export gotls_cert_sent
func gotls_cert_sent(h C.gotls_session) C.int {
	if s := lookup(h); s != nil && s.s.CertSent() {
		return 1
	}
	return 0
}

//export gotls_library_version
func gotls_library_version(buf *C.char, n C.size_t) C.size_t {
	return C.size_t(copyOut(pgtls.LibraryVersion(), buf, n))
}

// pgtls numbers the name kinds as libpq_tls.h does: an index other than 0
// here is a mismatch, and does not compile.
var (
	_ = [1]int{}[pgtls.NameDNS-C.GOTLS_NAME_DNS]
	_ = [1]int{}[pgtls.NameIP-C.GOTLS_NAME_IP]
	_ = [1]int{}[pgtls.NameCN-C.GOTLS_NAME_CN]
)
