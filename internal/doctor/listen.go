package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
)

// listener is one address serve binds.
type listener struct {
	flag    string // "--https-listen"
	addr    string
	packet  bool // UDP as well as TCP (the DNS server)
	primary bool // the API itself
}

func (r *run) listeners() []listener {
	ls := []listener{{flag: "--api-listen", addr: r.cfg.APIListen, primary: true}}
	if a := r.cfg.Edge.HTTPSAddr(); a != "" {
		ls = append(ls, listener{flag: "--https-listen", addr: a})
	}
	if a := r.cfg.Edge.HTTPAddr(); a != "" {
		ls = append(ls, listener{flag: "--http-listen", addr: a})
	}
	if r.cfg.Certs.DNSEnabled() {
		ls = append(ls, listener{flag: "--dns-listen", addr: r.cfg.Certs.DNSListen, packet: true})
	}
	return ls
}

// checkListeners binds each listen address and closes it again. An
// address in use is fine when the running Portico holds it, which the
// doctor knows when its API answers /healthz: run on a live node, doctor
// must not fail on the node's own ports.
func (r *run) checkListeners(ctx context.Context) {
	r.bindable, r.inUse = map[string]bool{}, map[string]bool{}
	r.portico = r.healthz(ctx)
	for _, l := range r.listeners() {
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			continue // the config check reports it
		}
		subject := l.flag + " " + l.addr
		err := bind(ctx, l.addr, l.packet)
		if err == nil {
			r.bindable[l.addr] = true
			r.ok("listen", subject, "free: serve can bind it")
			continue
		}
		msg, fix, inUse := explainBind(l, err)
		if !inUse && r.portico && errors.Is(err, syscall.EACCES) && r.answers(ctx, l.addr) {
			// The kernel refuses a privileged port before it looks whether
			// the port is taken: on a live node, a doctor without the
			// capability sees EACCES for the node's own ports.
			inUse = true
		}
		r.inUse[l.addr] = inUse
		if inUse && r.portico {
			if l.primary {
				r.ok("listen", subject, "in use by the running Portico (its /healthz answers)")
			} else {
				r.ok("listen", subject, "in use, by the running Portico as far as can be told (its API answers /healthz on "+r.cfg.APIListen+")")
			}
			continue
		}
		r.fail("listen", subject, msg, fix)
	}
}

// bind listens on addr (TCP, and UDP too when packet) and closes at once.
func bind(ctx context.Context, addr string, packet bool) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if packet {
		pc, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			return err
		}
		pc.Close()
	}
	return nil
}

// explainBind turns a bind error into a message and a fix; inUse reports
// an address another socket holds.
func explainBind(l listener, err error) (msg, fix string, inUse bool) {
	_, port, _ := net.SplitHostPort(l.addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "in use by another program (no Portico answers /healthz on --api-listen)",
			fmt.Sprintf("find it with `ss -ltnup 'sport = :%s'` and stop it, or give %s another address", port, l.flag), true
	case errors.Is(err, syscall.EACCES):
		return fmt.Sprintf("cannot be bound as uid %d: ports below 1024 need root or the capability CAP_NET_BIND_SERVICE", os.Getuid()),
			"run serve under the unit in deploy/portico.service, which grants it (AmbientCapabilities=CAP_NET_BIND_SERVICE), and run doctor the same way " +
				"(docs/production.md); or `setcap cap_net_bind_service=+ep` the binary", false
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "is not an address of this machine", fmt.Sprintf("give %s an address this machine has, or :%s for all of them", l.flag, port), false
	}
	return "cannot be bound: " + err.Error(), "give " + l.flag + " an address serve can listen on", false
}

// answers reports whether something accepts TCP connections on the
// listen address addr.
func (r *run) answers(ctx context.Context, addr string) bool {
	target, ok := connectAddr(addr)
	if !ok {
		return false
	}
	ctx, cancel := r.probe(ctx)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// healthz reports whether a Portico answers GET /healthz on --api-listen.
func (r *run) healthz(ctx context.Context) bool {
	target, ok := connectAddr(r.cfg.APIListen)
	if !ok {
		return false
	}
	ctx, cancel := r.probe(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+target+"/healthz", nil)
	if err != nil {
		return false
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	return resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "ok"
}

// connectAddr turns a listen address into one to connect to: the
// unspecified addresses become loopback.
func connectAddr(listen string) (string, bool) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "0" {
		return "", false
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port), true
}
