package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// State is all that continues a TLS 1.3 connection in another record
// layer, in this process or another: the cipher suite and the side; for
// each direction the current traffic secret and the sequence number of
// the next record; and what was received and not yet delivered: plaintext
// already decrypted, a post-handshake message still incomplete, and
// ciphertext not yet decrypted.
type State struct {
	Suite       uint16
	Client      bool
	ReadSecret  []byte
	WriteSecret []byte
	ReadSeq     uint64
	WriteSeq    uint64
	Plaintext   []byte // decrypted, not yet read
	Handshake   []byte // the start of a post-handshake message
	Input       []byte // ciphertext, from a record boundary
	Useless     int    // records in a row that delivered no data
}

// State returns the layer's state, for a layer made from it (New) to
// carry the connection on while this one is dropped. Take the replies
// first (TakeReplies): they are output, not state. A failed session has
// no state to carry on.
func (l *Layer) State() (State, error) {
	st, err := l.StateInPlace()
	if err != nil {
		return State{}, err
	}
	for _, b := range []*[]byte{&st.ReadSecret, &st.WriteSecret, &st.Plaintext, &st.Handshake, &st.Input} {
		*b = slices.Clone(*b)
	}
	return st, nil
}

// StateInPlace is State without the copies, for a caller that mirrors the
// state after every call, where copying would cost: its slices are the
// layer's own (Plaintext and Input are in the input buffer), valid until
// the layer's next call, and not to be written.
func (l *Layer) StateInPlace() (State, error) {
	if l.err != nil {
		return State{}, fmt.Errorf("record: the session has ended: %w", l.err)
	}
	if len(l.replies) > 0 {
		return State{}, errors.New("record: replies to the peer are waiting to be taken")
	}
	return State{
		Suite:       l.suite.id,
		Client:      l.isClient,
		ReadSecret:  l.in.secret,
		WriteSecret: l.out.secret,
		ReadSeq:     l.in.seq,
		WriteSeq:    l.out.seq,
		Plaintext:   l.buf[l.pStart:l.pEnd],
		Handshake:   l.hs,
		Input:       l.buf[l.cStart:l.cEnd],
		Useless:     l.useless,
	}, nil
}

// The encoding of a State, for another process (and for C, which can read
// it without Go). Integers are big-endian, as in TLS:
//
//	magic      "PGTLS13", then the version byte 1
//	flags      1 byte: bit 0 set for the client side
//	suite      2 bytes
//	useless    2 bytes
//	read_seq   8 bytes
//	write_seq  8 bytes
//	read_secret, write_secret   1 byte of length, then the secret
//	plaintext, handshake, input 4 bytes of length, then the bytes
const stateMagic = "PGTLS13\x01"

// MarshalBinary encodes the state.
func (st State) MarshalBinary() ([]byte, error) {
	if len(st.ReadSecret) > 255 || len(st.WriteSecret) > 255 || st.Useless < 0 || st.Useless > 0xffff {
		return nil, errors.New("record: state out of range")
	}
	b := make([]byte, 0, 64+len(st.ReadSecret)+len(st.WriteSecret)+len(st.Plaintext)+len(st.Handshake)+len(st.Input))
	b = append(b, stateMagic...)
	flags := byte(0)
	if st.Client {
		flags = 1
	}
	b = append(b, flags)
	b = binary.BigEndian.AppendUint16(b, st.Suite)
	b = binary.BigEndian.AppendUint16(b, uint16(st.Useless))
	b = binary.BigEndian.AppendUint64(b, st.ReadSeq)
	b = binary.BigEndian.AppendUint64(b, st.WriteSeq)
	for _, s := range [][]byte{st.ReadSecret, st.WriteSecret} {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	for _, s := range [][]byte{st.Plaintext, st.Handshake, st.Input} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

// UnmarshalBinary decodes a state MarshalBinary encoded. New checks what
// the fields mean.
func (st *State) UnmarshalBinary(b []byte) error {
	bad := errors.New("record: malformed state")
	if len(b) < len(stateMagic)+21 || string(b[:len(stateMagic)]) != stateMagic {
		return bad
	}
	b = b[len(stateMagic):]
	if b[0] > 1 {
		return bad
	}
	*st = State{
		Client:   b[0] == 1,
		Suite:    binary.BigEndian.Uint16(b[1:]),
		Useless:  int(binary.BigEndian.Uint16(b[3:])),
		ReadSeq:  binary.BigEndian.Uint64(b[5:]),
		WriteSeq: binary.BigEndian.Uint64(b[13:]),
	}
	b = b[21:]
	for _, dst := range []*[]byte{&st.ReadSecret, &st.WriteSecret} {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return bad
		}
		*dst, b = slices.Clone(b[1:1+int(b[0])]), b[1+int(b[0]):]
	}
	for _, dst := range []*[]byte{&st.Plaintext, &st.Handshake, &st.Input} {
		if len(b) < 4 || uint64(len(b)-4) < uint64(binary.BigEndian.Uint32(b)) {
			return bad
		}
		n := int(binary.BigEndian.Uint32(b))
		*dst, b = slices.Clone(b[4:4+n]), b[4+n:]
	}
	if len(b) != 0 {
		return bad
	}
	return nil
}
