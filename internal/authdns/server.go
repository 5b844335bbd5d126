package authdns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/miekg/dns"
)

// maxUDPSize is the largest UDP answer the server sends, whatever buffer the
// client advertises: 1232 bytes avoids IP fragmentation on any path (DNS
// Flag Day 2020), and fragments are what spoofing and amplification ride on.
const maxUDPSize = 1232

// Server is the authoritative DNS server for one DCV zone. Create it with
// New, then Start it; it implements dns.Handler, so it can also answer on
// listeners the caller runs.
type Server struct {
	cfg  settings
	recs Records
	log  *slog.Logger

	// base is the parent of every lookup's context; Shutdown cancels it, so
	// lookups still running end when the server does.
	base   context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	state   int // stateNew, stateRunning, stateStopped
	udp     *dns.Server
	tcp     *dns.Server
	addr    string
	serving sync.WaitGroup
}

const (
	stateNew = iota
	stateRunning
	stateStopped
)

var _ dns.Handler = (*Server)(nil)

// New checks cfg and returns a server that answers from recs. It does not
// listen yet (see Start). log may be nil to discard logs.
func New(cfg Config, recs Records, log *slog.Logger) (*Server, error) {
	st, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("authdns config: %w", err)
	}
	if recs == nil {
		return nil, errors.New("authdns: no Records")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "authdns")
	for label, addrs := range st.nsHosts {
		if len(addrs) == 0 {
			log.Warn("in-zone nameserver has no address; A/AAAA queries for it answer NODATA",
				"nameserver", label+"."+st.zone)
		}
	}
	base, cancel := context.WithCancel(context.Background())
	return &Server{cfg: st, recs: recs, log: log, base: base, cancel: cancel}, nil
}

// Start binds UDP and TCP on cfg.Listen (the same port for both) and serves
// in the background until Shutdown. ctx bounds the binding only. Start may be
// called once.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateNew {
		return errors.New("authdns: server already started or shut down")
	}
	pc, ln, err := ListenPair(ctx, s.cfg.listen)
	if err != nil {
		return fmt.Errorf("authdns: %w", err)
	}
	s.udp = s.newDNSServer()
	s.udp.PacketConn = pc
	s.tcp = s.newDNSServer()
	s.tcp.Listener = ln
	s.addr = pc.LocalAddr().String()

	for i, srv := range []*dns.Server{s.udp, s.tcp} {
		if err := s.activate(srv); err != nil {
			// The UDP server runs when TCP fails: stop it; close what
			// never started.
			if i == 1 {
				_ = s.udp.Shutdown()
			}
			_ = pc.Close()
			_ = ln.Close()
			s.state = stateStopped
			return fmt.Errorf("authdns: serving on %s: %w", s.addr, err)
		}
	}
	s.state = stateRunning
	s.log.Info("serving authoritative DNS", "zone", s.cfg.zone, "addr", s.addr)
	return nil
}

func (s *Server) newDNSServer() *dns.Server {
	return &dns.Server{
		Handler: s,
		// Queries are small; this is the read buffer, with room for EDNS
		// options, so a legitimate query is never cut short.
		UDPSize:        maxUDPSize,
		MsgAcceptFunc:  s.accept,
		MsgInvalidFunc: s.invalid,
	}
}

// activate runs srv in the background and returns once it listens, or with
// the error that stopped it first.
func (s *Server) activate(srv *dns.Server) error {
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	errc := make(chan error, 1)
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		err := srv.ActivateAndServe()
		if err != nil {
			s.log.Error("DNS listener stopped", "err", err)
		}
		errc <- err
	}()
	select {
	case <-started:
		return nil
	case err := <-errc:
		if err == nil {
			err = errors.New("listener stopped before it started")
		}
		return err
	}
}

// ListenPair opens UDP and TCP sockets on one address, as a DNS server
// needs (the demo's and the tests' stand-in servers use it too). With port
// 0, the kernel picks the UDP port and the same TCP port may be taken by
// someone else, so it tries again a few times.
func ListenPair(ctx context.Context, addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	attempts := 1
	if port == "0" {
		attempts = 10
	}
	var lc net.ListenConfig
	var lastErr error
	for range attempts {
		pc, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listening on udp %s: %w", addr, err)
		}
		_, boundPort, _ := net.SplitHostPort(pc.LocalAddr().String())
		ln, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, boundPort))
		if err == nil {
			return pc, ln, nil
		}
		_ = pc.Close()
		lastErr = err
	}
	return nil, nil, fmt.Errorf("listening on tcp next to udp: %w", lastErr)
}

// Addr returns the address the server listens on, UDP and TCP alike, such as
// "127.0.0.1:5353". It is empty before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown stops listening and waits for queries in progress, until ctx is
// done; then it abandons the lookups still running. A server never started
// shuts down at once. Shutdown is final: the server cannot start again.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.cancel()
	if s.state != stateRunning {
		s.state = stateStopped
		return nil
	}
	s.state = stateStopped
	// Lookups get the rest of ctx to finish, not their own deadline.
	stop := context.AfterFunc(ctx, s.cancel)
	defer stop()
	var errs []error
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		if err := srv.ShutdownContext(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("authdns: shutting down: %w", err)
	}
	s.serving.Wait()
	return nil
}

// accept screens a message by its header before it is decoded, so that
// updates, notifies and stuffed messages cost nothing (miekg/dns answers
// FORMERR or NOTIMP itself). Unlike dns.DefaultMsgAcceptFunc it refuses
// NOTIFY: nothing here is a secondary.
func (s *Server) accept(dh dns.Header) dns.MsgAcceptAction {
	const qrBit = 1 << 15
	switch {
	case dh.Bits&qrBit != 0:
		// A response: answering it could start a loop between two servers.
		return dns.MsgIgnore
	case int(dh.Bits>>11)&0xF != dns.OpcodeQuery:
		s.count(dns.RcodeNotImplemented)
		return dns.MsgRejectNotImplemented
	case dh.Qdcount != 1 || dh.Ancount != 0 || dh.Nscount != 0 || dh.Arcount > 2:
		// Arcount allows an OPT and a TSIG or SIG(0).
		s.count(dns.RcodeFormatError)
		return dns.MsgReject
	}
	return dns.MsgAccept
}

// invalid logs a message that could not be decoded. The miekg/dns server
// answers FORMERR when the header was readable and nothing otherwise.
func (s *Server) invalid(m []byte, err error) {
	s.log.Debug("undecodable DNS message", "bytes", len(m), "err", err)
}

func (s *Server) count(rcode int) {
	if s.cfg.countRcode != nil {
		s.cfg.countRcode(dns.RcodeToString[rcode])
	}
}
