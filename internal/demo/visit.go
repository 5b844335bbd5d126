package demo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// visit fetches the page through the edge as a browser would: TLS with
// the hostname as SNI, the certificate verified against the internal CA's
// root (and nothing else), then HTTP with the hostname as Host.
func (r *run) visit(ctx context.Context) error {
	edgeAddr := r.node.Edge().HTTPSAddr()
	url := "https://" + hostname + "/"
	r.section("7. A visitor opens " + url)
	r.printf("   (connecting to the edge at %s, SNI and Host %s, trusting only the internal CA's root)\n", edgeAddr, hostname)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(r.node.InternalCARoot()) {
		return errors.New("the internal CA's root does not parse")
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, edgeAddr) // what DNS would answer: the CNAME's A record
		},
		TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	// The edge learns of the new certificate from a hook at once, or from
	// its change feed within a poll: a handshake may race it, so retry
	// briefly.
	var resp *http.Response
	var body []byte
	deadline := time.Now().Add(r.o.WaitTimeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err = client.Do(req)
		if err == nil {
			body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("fetching %s through the edge: %w", url, err)
		}
		tr.CloseIdleConnections()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	now := time.Now()
	r.printf("   %s over %s, %s\n", resp.Status, resp.Proto, tls.VersionName(resp.TLS.Version))
	if len(resp.TLS.PeerCertificates) > 0 {
		leaf := resp.TLS.PeerCertificates[0]
		r.printf("   certificate  for %s, issued by %s (verified)\n", strings.Join(leaf.DNSNames, ", "), quote(leaf.Issuer.CommonName))
		r.printf("                serial %s, valid until %s\n", serialHex(leaf), leaf.NotAfter.UTC().Format("2006-01-02 15:04 MST"))
	}
	r.printf("   body:\n")
	for _, line := range strings.Split(strings.TrimRight(string(body), "\n"), "\n") {
		r.printf("   | %s\n", line)
	}
	r.tl.add(now, fmt.Sprintf("visitor got %s over HTTPS", resp.Status))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the edge answered %s for %s", resp.Status, url)
	}
	return nil
}

func serialHex(c *x509.Certificate) string {
	b := c.SerialNumber.Bytes()
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02X", x)
	}
	return strings.Join(parts, ":")
}
