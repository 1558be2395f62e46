package tlsd

import (
	"errors"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The TCP settings a backend may change on its client's socket:
// tcp_keepalives_idle, tcp_keepalives_interval, tcp_keepalives_count and
// tcp_user_timeout. The backend names them by their Linux option numbers
// (IPPROTO_TCP level); nothing else may be set through the daemon.
var tcpOptions = map[uint32]bool{
	unix.TCP_KEEPIDLE:     true,
	unix.TCP_KEEPINTVL:    true,
	unix.TCP_KEEPCNT:      true,
	unix.TCP_USER_TIMEOUT: true,
}

func (s *session) getOption(opt uint32) *answer {
	var v int
	err := s.tcpOption(opt, func(fd int) (err error) {
		v, err = unix.GetsockoptInt(fd, unix.IPPROTO_TCP, int(opt))
		return err
	})
	if err != nil {
		return optionError(err)
	}
	return &answer{status: answerFound, number: uint32(v)}
}

func (s *session) setOption(opt uint32, text string) *answer {
	v, err := strconv.ParseInt(text, 10, 32)
	if err != nil || v < 0 {
		return optionError(unix.EINVAL)
	}
	err = s.tcpOption(opt, func(fd int) error {
		return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, int(opt), int(v))
	})
	if err != nil {
		return optionError(err)
	}
	return &answer{status: answerFound, number: uint32(v)}
}

// tcpOption runs f on the client's socket if opt is one backends may use.
func (s *session) tcpOption(opt uint32, f func(fd int) error) error {
	if !tcpOptions[opt] {
		return unix.ENOPROTOOPT
	}
	var ferr error
	if err := s.rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return unix.ENOTCONN // closed: the client's side of the relay ended
	}
	return ferr
}

func optionError(err error) *answer {
	a := &answer{status: answerError, value: err.Error()}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		a.number = uint32(errno)
	}
	return a
}
