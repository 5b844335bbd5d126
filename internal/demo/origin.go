package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// originGreeting starts the sample origin's page; tests look for it.
const originGreeting = "Hello from your SaaS origin!"

// sampleOrigin is the SaaS provider's application in the demo: the zone's
// fallback origin, a plain HTTP server on loopback that answers every
// request with a short page saying which host was asked for and how the
// request came through Portico's edge.
type sampleOrigin struct {
	addr string
	srv  *http.Server
	done chan struct{}
}

func startOrigin() (*sampleOrigin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sample origin: %w", err)
	}
	o := &sampleOrigin{
		addr: ln.Addr().String(),
		srv:  &http.Server{Handler: http.HandlerFunc(originPage), ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(o.done)
		_ = o.srv.Serve(ln) // ErrServerClosed after Shutdown
	}()
	return o, nil
}

func originPage(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", originGreeting)
	fmt.Fprintf(&b, "You asked for %s%s; Portico's edge terminated TLS with the hostname's certificate\n", r.Host, r.URL.Path)
	fmt.Fprintf(&b, "and passed the request on to this origin.\n")
	for _, h := range []string{"X-Forwarded-Proto", "X-Forwarded-For"} {
		if v := r.Header.Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// Addr is the origin's "127.0.0.1:port".
func (o *sampleOrigin) Addr() string { return o.addr }

// Shutdown stops the origin, waiting for running requests (bounded by ctx).
func (o *sampleOrigin) Shutdown(ctx context.Context) error {
	err := o.srv.Shutdown(ctx)
	<-o.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
