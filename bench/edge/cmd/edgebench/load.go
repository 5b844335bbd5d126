package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The load generator: a minimal HTTP/1.1 client over crypto/tls. It is
// hand-written for the same reason as the upstream: it runs on the core the
// proxies do not have, and net/http's client costs several times more per
// request, which would cap the rates it can drive below what the proxies
// reach. No Debian tool fits: wrk and h2load send one SNI and Host for a
// whole run, and these tests spread connections over many hostnames.

// loadSpec is one phase of load.
type loadSpec struct {
	addr  string   // host:port to dial
	tls   bool     // false: plain HTTP (the upstream, for the latency baseline)
	names []string // hostnames to pick from (SNI and Host)
	path  string
	conns int
	// newConn: every request on a new connection (a full TLS 1.3
	// handshake, then one request with Connection: close).
	newConn  bool
	warmup   time.Duration
	duration time.Duration
	// maxSamples bounds the latencies kept (per phase).
	maxSamples int
}

// loadResult is what a phase measured, over its measuring window only.
type loadResult struct {
	Ops     int64   `json:"ops"` // requests (handshake + request when newConn)
	Errors  int64   `json:"errors"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"rate"` // ops per second
	P50us   float64 `json:"p50_us"`
	P99us   float64 `json:"p99_us"`
}

// clientTLS is the client side of every handshake: TLS 1.3 only, X25519
// (what browsers and the peers' OpenSSL clients offer first), no session
// resumption (each new connection is a full handshake), no certificate
// verification (it would cost the load generator, not the proxy; the
// chain is checked once per run by probe instead).
func clientTLS(name string) *tls.Config {
	return &tls.Config{
		ServerName:         name,
		InsecureSkipVerify: true, //nolint:gosec // benchmark client; probe verifies
		MinVersion:         tls.VersionTLS13,
		CurvePreferences:   []tls.CurveID{tls.X25519},
		NextProtos:         []string{"http/1.1"},
	}
}

// runLoad runs s and returns its figures. Errors (a refused connection, a
// status other than 200) are counted; a phase with more errors than
// successes is reported as failed.
func runLoad(ctx context.Context, s loadSpec) (loadResult, error) {
	var (
		ops, errs atomic.Int64
		mu        sync.Mutex
		samples   []uint32 // nanoseconds, capped
		wg        sync.WaitGroup
	)
	start := time.Now()
	measureFrom, measureTo := start.Add(s.warmup), start.Add(s.warmup+s.duration)
	ctx, cancel := context.WithDeadline(ctx, measureTo)
	defer cancel()
	perConn := s.maxSamples / max(1, s.conns)
	for i := range s.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))
			local := make([]uint32, 0, min(perConn, 1<<16))
			record := func(t0, t1 time.Time, ok bool) {
				if t1.Before(measureFrom) || !t1.Before(measureTo) {
					return
				}
				if !ok {
					errs.Add(1)
					return
				}
				ops.Add(1)
				if len(local) < perConn {
					local = append(local, uint32(min(t1.Sub(t0), time.Duration(^uint32(0)))))
				}
			}
			if s.newConn {
				for ctx.Err() == nil {
					name := s.names[rng.IntN(len(s.names))]
					t0 := time.Now()
					err := oneShot(ctx, s, name)
					record(t0, time.Now(), err == nil)
				}
			} else {
				name := s.names[rng.IntN(len(s.names))]
				keepAlive(ctx, s, name, record)
			}
			mu.Lock()
			samples = append(samples, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := loadResult{Ops: ops.Load(), Errors: errs.Load(), Seconds: s.duration.Seconds()}
	r.Rate = float64(r.Ops) / r.Seconds
	if len(samples) > 0 {
		slices.Sort(samples)
		r.P50us = float64(samples[len(samples)/2]) / 1e3
		r.P99us = float64(samples[min(len(samples)-1, len(samples)*99/100)]) / 1e3
	}
	if r.Errors > r.Ops {
		return r, fmt.Errorf("%d errors, %d successes", r.Errors, r.Ops)
	}
	return r, nil
}

// keepAlive sends requests back to back on one connection to name until
// ctx ends, reconnecting after an error.
func keepAlive(ctx context.Context, s loadSpec, name string, record func(t0, t1 time.Time, ok bool)) {
	req := request(name, s.path, false)
	for ctx.Err() == nil {
		conn, err := dial(ctx, s, name)
		if err != nil {
			record(time.Now(), time.Now(), false)
			sleepCtx(ctx, 10*time.Millisecond)
			continue
		}
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		br := bufio.NewReaderSize(conn, 32<<10)
		for {
			t0 := time.Now()
			if _, err = conn.Write(req); err == nil {
				err = readResponse(br)
			}
			if ctx.Err() != nil {
				break
			}
			record(t0, time.Now(), err == nil)
			if err != nil {
				break
			}
		}
		stop()
		conn.Close()
	}
}

// oneShot makes a new connection (a full handshake), sends one request with
// Connection: close, and reads the answer.
func oneShot(ctx context.Context, s loadSpec, name string) error {
	conn, err := dial(ctx, s, name)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := conn.Write(request(name, s.path, true)); err != nil {
		return err
	}
	return readResponse(bufio.NewReaderSize(conn, 4<<10))
}

func dial(ctx context.Context, s loadSpec, name string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil || !s.tls {
		return c, err
	}
	tc := tls.Client(c, clientTLS(name))
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

func request(host, path string, closeConn bool) []byte {
	var b bytes.Buffer
	b.WriteString("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: edgebench\r\nAccept: */*\r\n")
	if closeConn {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

var errStatus = errors.New("status is not 200")

// readResponse reads one response and its body (Content-Length or
// chunked); a status other than 200 is an error, after the body is read.
func readResponse(r *bufio.Reader) error {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	ok := len(line) >= 12 && string(line[9:12]) == "200"
	length, chunked := int64(-1), false
	for range 200 {
		line, err = r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		switch {
		case prefixFold(line, "content-length:"):
			length, err = strconv.ParseInt(string(bytes.TrimSpace(line[15:])), 10, 64)
			if err != nil {
				return err
			}
		case prefixFold(line, "transfer-encoding:"):
			chunked = bytes.Contains(bytes.ToLower(line), []byte("chunked"))
		}
	}
	switch {
	case chunked:
		err = discardChunked(r)
	case length > 0:
		_, err = r.Discard(int(length))
	case length < 0:
		_, err = io.Copy(io.Discard, r) // until close
	}
	if err != nil {
		return err
	}
	if !ok {
		return errStatus
	}
	return nil
}

func discardChunked(r *bufio.Reader) error {
	for range 1 << 20 {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size := bytes.TrimSpace(line)
		if i := bytes.IndexByte(size, ';'); i >= 0 {
			size = size[:i]
		}
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err != nil {
			return err
		}
		if n == 0 {
			for { // trailers, then the blank line
				line, err := r.ReadSlice('\n')
				if err != nil || len(line) <= 2 {
					return err
				}
			}
		}
		if _, err := r.Discard(int(n) + 2); err != nil {
			return err
		}
	}
	return errors.New("too many chunks")
}

func prefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
