package tlsd

import (
	"bytes"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzReadRequest sends a message with nfds descriptors on a real
// SOCK_SEQPACKET pair, as a backend does, and reads it with readRequest:
// the request is taken exactly when it parses, is not truncated and
// carries three descriptors, and then holds them (working duplicates of
// what was sent); otherwise every descriptor it received is closed. The
// descriptors sent are the write end of a pipe, so that the read end
// sees end-of-file once all their copies are closed.
func FuzzReadRequest(f *testing.F) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		f.Fatal(err)
	}
	backend := pair[0]
	file := os.NewFile(uintptr(pair[1]), "requests")
	c, err := net.FileConn(file)
	file.Close()
	if err != nil {
		f.Fatal(err)
	}
	requests := c.(*net.UnixConn)
	f.Cleanup(func() {
		unix.Close(backend)
		requests.Close()
	})

	hello := []byte{0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00}
	f.Add(appendInts(nil, requestMagic, 0), uint8(3), uint32(0))
	f.Add(append(appendInts(nil, requestMagic, flagDirectSSL), hello...), uint8(3), uint32(0))
	f.Add(appendInts(nil, requestMagic, 0), uint8(2), uint32(0))
	f.Add(appendInts(nil, requestMagic, 0), uint8(4), uint32(0))
	f.Add(appendInts(nil, requestMagic, 0), uint8(6), uint32(0)) // more than the control buffer holds
	f.Add(appendInts(nil, requestMagic, 0), uint8(3), uint32(maxRequest))
	f.Add(appendInts(nil, queryMagic, 0), uint8(3), uint32(0))
	f.Add([]byte("x"), uint8(0), uint32(0))
	f.Fuzz(func(t *testing.T, data []byte, nfds uint8, pad uint32) {
		if len(data) > 2*maxRequest {
			data = data[:2*maxRequest] // within the socket's send buffer
		}
		msg := append(bytes.Clone(data), make([]byte, pad%(maxRequest+100))...)
		n := int(nfds % 8)
		if len(msg) == 0 && n == 0 {
			// Reads as the peer's end-of-file (errNoSenders); a backend
			// always sends the header.
			t.Skip()
		}
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
			t.Fatal(err)
		}
		defer unix.Close(p[0])
		fds := make([]int, n)
		for i := range fds {
			fds[i] = p[1]
		}
		var oob []byte
		if n > 0 {
			oob = unix.UnixRights(fds...)
		}
		err := unix.Sendmsg(backend, msg, oob, nil, 0)
		unix.Close(p[1])
		if err != nil {
			t.Fatalf("sendmsg of %d bytes: %v", len(msg), err)
		}

		req, got, err := readRequest(requests)
		parsed, perr := parseRequest(msg)
		want := perr == nil && len(msg) <= maxRequest && n == 3
		if (err == nil) != want {
			t.Fatalf("%d bytes, %d descriptors: error %v", len(msg), n, err)
		}
		if err == nil {
			if req.flags != parsed.flags || !bytes.Equal(req.raw, parsed.raw) {
				t.Errorf("request %+v, want %+v", req, parsed)
			}
			for _, fd := range got {
				if _, err := unix.Write(fd, []byte{1}); err != nil {
					t.Errorf("descriptor %d of the request: %v", fd, err)
				}
				unix.Close(fd)
			}
			buf := make([]byte, 8)
			if m, err := unix.Read(p[0], buf); m != 3 || err != nil {
				t.Errorf("read %d bytes, %v from the pipe; want one from each descriptor", m, err)
			}
		}
		if m, err := unix.Read(p[0], make([]byte, 1)); m != 0 || err != nil {
			t.Fatalf("the pipe is still open (read %d, %v): a received descriptor leaked", m, err)
		}
	})
}
