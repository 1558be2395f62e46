// Command pg_tlsd terminates TLS for a PostgreSQL server built
// --with-ssl=go. The postmaster starts it (be-gotls-tlsd.c) with the
// control socket as descriptor 3 and the request socket as descriptor 4;
// it is not meant to be run by hand. See package tlsd and
// docs/process-model.md.
package main

import (
	"crypto/fips140"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
	"github.com/pg-gotls/pg-gotls/tlsd"
	"golang.org/x/sys/unix"
)

const (
	controlFD = 3
	requestFD = 4
)

func main() {
	if len(os.Args) == 2 && (os.Args[1] == "-V" || os.Args[1] == "--version") {
		fmt.Printf("pg_tlsd (pg-gotls) %s\n", pgtls.LibraryVersion())
		return
	}
	// Before any key arrives: no core file with the key in it, and
	// /proc/<pid>/mem (and ptrace) closed to the server's other
	// processes, which run as the same user. docs/process-model.md says
	// what this does and does not protect.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "pg_tlsd: could not make the process non-dumpable: %v\n", err)
		os.Exit(1)
	}
	logger := log.New(os.Stderr, fmt.Sprintf("pg_tlsd[%d]: ", os.Getpid()),
		log.LstdFlags|log.Lmicroseconds|log.Lmsgprefix)
	if mode := pgtls.FIPSMode(); mode != "" {
		logger.Printf("running in %s (Go Cryptographic Module %s)", mode, fips140.Version())
	}

	control, err := inherited(controlFD, "control")
	if err != nil {
		logger.Fatal(err)
	}
	requests, err := inherited(requestFD, "requests")
	if err != nil {
		logger.Fatal(err)
	}
	d := &tlsd.Daemon{Log: logger, HandshakeTimeout: 10 * time.Minute}
	reportStatusOnSignal(d, logger)
	d.Run(control, requests)
}

// inherited wraps a socket the postmaster passed at a fixed descriptor.
func inherited(fd uintptr, name string) (*net.UnixConn, error) {
	f := os.NewFile(fd, name)
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("descriptor %d (%s) is not a socket from the postmaster: %v", fd, name, err)
	}
	u, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("descriptor %d (%s) is not a Unix socket", fd, name)
	}
	return u, nil
}

// reportStatusOnSignal logs the daemon's sessions, goroutines and memory
// whenever it gets SIGUSR1 (`kill -USR1 <pid of pg_tlsd>`; the line goes
// to the server log).
func reportStatusOnSignal(d *tlsd.Daemon, logger *log.Logger) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		for range sig {
			logger.Print(d.Stats())
		}
	}()
}
