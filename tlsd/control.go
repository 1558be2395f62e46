package tlsd

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"

	pgtls "github.com/pg-gotls/pg-gotls/tls"
)

// serveControl applies each configuration the postmaster sends, until it
// closes the socket. A configuration that cannot be imported is refused
// and the previous one stays in force, as on a failed reload; the
// postmaster reports the reason.
func (d *Daemon) serveControl(control *net.UnixConn) {
	defer control.Close()
	for {
		snapshot, err := readConfig(control)
		if err != nil {
			if err != io.EOF {
				d.Log.Printf("control socket: %v", err)
			}
			return
		}
		cfg, err := pgtls.ImportServerConfig(snapshot)
		clear(snapshot) // it holds the private key
		var ack []byte
		if err != nil {
			ack = marshalAck(1, err.Error())
		} else {
			d.config.Store(cfg)
			ack = marshalAck(0, "")
		}
		if _, err := control.Write(ack); err != nil {
			d.Log.Printf("control socket: %v", err)
			return
		}
	}
}

func readConfig(r io.Reader) ([]byte, error) {
	var header [16]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("truncated configuration header")
		}
		return nil, err
	}
	if binary.NativeEndian.Uint32(header[:]) != configMagic {
		return nil, fmt.Errorf("malformed configuration message")
	}
	n := binary.NativeEndian.Uint64(header[8:])
	if n > maxSnapshot {
		return nil, fmt.Errorf("configuration of %d bytes is too large", n)
	}
	snapshot := make([]byte, n)
	if _, err := io.ReadFull(r, snapshot); err != nil {
		return nil, fmt.Errorf("truncated configuration: %w", err)
	}
	return snapshot, nil
}

func marshalAck(status int32, reason string) []byte {
	b := appendInts(nil, ackMagic, uint32(status))
	// The postmaster reads the reason into a 512-byte buffer and refuses a
	// longer one, leaving its bytes in the stream to be misread as the
	// next acknowledgement; it is logged, and its start says enough.
	reason = truncate(reason, maxReason)
	return appendStrings(b, &reason)
}
