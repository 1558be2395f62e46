// Command pg-tlsd is a prototype of process model (b) for pg-gotls: one
// long-lived process terminates TLS for every backend of a PostgreSQL
// server and hands each backend a plaintext socket.
//
// A backend that receives SSLRequest (or a direct TLS handshake) connects
// to the daemon's Unix socket and passes it the client's TCP socket
// (SCM_RIGHTS) with any bytes it already read. The daemon runs the TLS
// handshake with the pg-gotls engine (package pgtls, the same code and
// messages as the in-process server), then answers with the negotiated
// parameters and one end of a new socketpair, and from then on copies
// bytes between the TLS connection and its end of the pair. Go never runs
// in a backend, and the private key is only in this process.
//
// Prototype: the TLS configuration comes from flags, not from
// postgresql.conf, and nothing supervises the daemon. See README.md.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"golang.org/x/sys/unix"
)

var (
	socketPath       = flag.String("socket", "", "Unix socket to listen on (created with mode 0600)")
	certFile         = flag.String("cert", "", "server certificate file (ssl_cert_file)")
	keyFile          = flag.String("key", "", "server private key file (ssl_key_file)")
	caFile           = flag.String("ca", "", "CA file for client certificates (ssl_ca_file)")
	crlFile          = flag.String("crl", "", "ssl_crl_file")
	crlDir           = flag.String("crldir", "", "ssl_crl_dir")
	minProtocol      = flag.String("min-protocol", "TLSv1.2", "ssl_min_protocol_version")
	maxProtocol      = flag.String("max-protocol", "", "ssl_max_protocol_version")
	ciphers          = flag.String("ciphers", "", "ssl_ciphers")
	groups           = flag.String("groups", "", "ssl_groups")
	handshakeTimeout = flag.Duration("handshake-timeout", time.Minute, "give up a handshake after this long")
	verbose          = flag.Bool("v", false, "log every connection")
)

func main() {
	flag.Parse()
	log.SetPrefix("pg-tlsd: ")
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if *socketPath == "" || *certFile == "" || *keyFile == "" {
		fmt.Fprintln(os.Stderr, "usage: pg-tlsd -socket PATH -cert FILE -key FILE [-ca FILE] ...")
		os.Exit(2)
	}

	cfg, err := pgtls.NewServerConfig(pgtls.ServerOptions{
		CertFile:    *certFile,
		KeyFile:     *keyFile,
		CAFile:      *caFile,
		CRLFile:     *crlFile,
		CRLDir:      *crlDir,
		MinProtocol: *minProtocol,
		MaxProtocol: *maxProtocol,
		Ciphers:     *ciphers,
		Groups:      *groups,
	})
	if err != nil {
		log.Fatalf("could not load the TLS configuration: %v", err)
	}
	for _, w := range cfg.Warnings() {
		log.Print(w)
	}

	ln, err := listen(*socketPath)
	if err != nil {
		log.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		ln.Close() // removes the socket file
		os.Exit(0)
	}()
	log.Printf("listening on %s (%s)", *socketPath, pgtls.LibraryVersion())

	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			log.Fatalf("accept: %v", err)
		}
		go serve(c, cfg)
	}
}

// listen creates the socket with mode 0600 (no window in which another
// user could connect), replacing a stale one.
func listen(path string) (*net.UnixListener, error) {
	_ = os.Remove(path)
	old := unix.Umask(0o177)
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	unix.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("could not listen on %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(true)
	return ln, nil
}
