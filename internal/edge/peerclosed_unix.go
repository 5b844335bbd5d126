//go:build unix

package edge

import (
	"crypto/tls"
	"net"
	"syscall"
)

// peerClosed reports whether the peer of an idle connection has closed it
// or sent bytes unasked, without waiting: one recv with MSG_PEEK and
// MSG_DONTWAIT on the socket. (A read deadline in the past would not do:
// Go fails such a read before it reaches the socket.)
func peerClosed(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK || err == syscall.EINTR:
		default: // EOF (n == 0), bytes (n > 0), or a reset
			closed = err != nil || n >= 0
		}
		return true
	})
	return closed || err != nil
}
