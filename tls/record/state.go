package record

import "slices"

// State is what continues a TLS 1.3 connection from one record layer to
// another: the cipher suite, and for each direction the current traffic
// secret and the sequence number of the next record.
type State struct {
	Suite       uint16
	ReadSecret  []byte
	WriteSecret []byte
	ReadSeq     uint64
	WriteSeq    uint64
}

// State returns the layer's state. A layer made from it continues the
// connection once it is given the input this layer still holds.
func (l *Layer) State() State {
	return State{
		Suite:       l.suite.id,
		ReadSecret:  slices.Clone(l.in.secret),
		WriteSecret: slices.Clone(l.out.secret),
		ReadSeq:     l.in.seq,
		WriteSeq:    l.out.seq,
	}
}
