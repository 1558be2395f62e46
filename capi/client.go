package main

/*
#include "../libpq_tls.h"
*/
import "C"

import (
	"unsafe"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

//export gotls_client_new
func gotls_client_new(opts *C.gotls_client_options_c, readFn C.gotls_read_fn, writeFn C.gotls_write_fn,
	ioCtx unsafe.Pointer, errbuf *C.char, errlen C.size_t) C.gotls_session {
	if opts == nil || readFn == nil || writeFn == nil {
		copyOut("invalid arguments to gotls_client_new", errbuf, errlen)
		return 0
	}
	o := pgtls.ClientOptions{
		Host:        goString(opts.host),
		SSLMode:     goString(opts.sslmode),
		SSLRootCert: goString(opts.sslrootcert),
		SSLCert:     goString(opts.sslcert),
		SSLKey:      goString(opts.sslkey),
		SSLPassword: goString(opts.sslpassword),
		SSLCRL:      goString(opts.sslcrl),
		SSLCRLDir:   goString(opts.sslcrldir),
		SSLCertMode: goString(opts.sslcertmode),
		MinProtocol: goString(opts.ssl_min_protocol_version),
		MaxProtocol: goString(opts.ssl_max_protocol_version),
		KeyLogFile:  goString(opts.sslkeylogfile),
		HomeDir:     goString(opts.homedir),
		SSLSNI:      opts.sslsni != 0,
	}
	if problem := pgtls.FIPSEnvironmentProblem(godebugNow()); problem != "" {
		copyOut(problem, errbuf, errlen)
		return 0
	}
	t := newCallbackTransport(readFn, writeFn, ioCtx)
	s, err := pgtls.NewClient(o, t)
	if err != nil {
		copyOut(err.Error(), errbuf, errlen)
		return 0
	}
	sess := &session{s: s, transport: t, buffered: newBuffered()}
	s.SetInputBuffer(sess.newInput)
	return newHandle(sess)
}
