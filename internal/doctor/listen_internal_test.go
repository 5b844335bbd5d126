package doctor

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestExplainBind covers the bind errors a test cannot provoke on every
// machine: binding a port below 1024 fails with EACCES only when the test
// runs without root and CAP_NET_BIND_SERVICE.
func TestExplainBind(t *testing.T) {
	l := listener{flag: "--https-listen", addr: ":443"}
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", errno)}
	}
	for _, tc := range []struct {
		err      error
		inUse    bool
		msg, fix string
	}{
		{opErr(syscall.EACCES), false, fmt.Sprintf("as uid %d: ports below 1024 need root or the capability CAP_NET_BIND_SERVICE", os.Getuid()),
			"AmbientCapabilities=CAP_NET_BIND_SERVICE"},
		{opErr(syscall.EADDRINUSE), true, "in use by another program", "ss -ltnup 'sport = :443'"},
		{opErr(syscall.EADDRNOTAVAIL), false, "not an address of this machine", ":443 for all of them"},
		{opErr(syscall.EINVAL), false, "cannot be bound", "give --https-listen"},
	} {
		msg, fix, inUse := explainBind(l, tc.err)
		if inUse != tc.inUse || !strings.Contains(msg, tc.msg) || !strings.Contains(fix, tc.fix) {
			t.Errorf("explainBind(%v) = %q, %q, %v; want %q, %q, %v", tc.err, msg, fix, inUse, tc.msg, tc.fix, tc.inUse)
		}
	}
}

func TestConnectAddr(t *testing.T) {
	for in, want := range map[string]string{
		":443": "127.0.0.1:443", "0.0.0.0:80": "127.0.0.1:80", "[::]:53": "[::1]:53",
		"192.0.2.1:8080": "192.0.2.1:8080", "127.0.0.1:0": "", "nonsense": "",
	} {
		if got, _ := connectAddr(in); got != want {
			t.Errorf("connectAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
