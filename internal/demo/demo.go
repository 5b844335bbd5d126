// Package demo is `portico demo`: a complete Portico on loopback that shows
// a new user, in a few seconds and offline, the whole path of a custom
// hostname, from its creation through the Cloudflare-compatible API to a
// visitor's HTTPS request answered by the SaaS origin.
//
// It starts the same daemon `portico serve` runs (SQLite in a temporary
// directory, the internal CA, the edge and the DCV DNS server on free
// loopback ports, its log in a file), a stand-in for the customer's DNS
// (customerDNS, Portico's --resolver) and a sample origin. Then it plays
// both the SaaS provider and its customer: the provider creates the zone
// and a token (operator commands: the Cloudflare API has none) and the
// custom hostname (over real HTTP, as any Cloudflare client would); the
// customer publishes the records the API asks for; the provider refreshes
// the hostname and follows it to active. Last, a visitor fetches the page
// through the edge, verifying the certificate against the internal CA's
// root. Everything is narrated on Options.Out; nothing is logged there.
package demo

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/daemon"
	"github.com/porticohq/portico/internal/service"
)

// Options configures Run. The zero value of every field but Out is usable.
type Options struct {
	// Out receives the narration. Required.
	Out io.Writer
	// TTY redraws the waiting line in place; set it when Out is a terminal.
	TTY bool
	// Keep leaves everything running until ctx ends, prints commands to
	// explore it, and keeps the demo's directory.
	Keep bool
	// Dir is where the demo's temporary directory is created (default
	// os.TempDir()).
	Dir string
	// WaitTimeout bounds the wait for the hostname to go live and for the
	// edge to serve it (default 30s; the whole demo takes about a second).
	WaitTimeout time.Duration
}

// caRootFile is the internal CA's root inside the demo's directory, for
// curl --cacert.
const caRootFile = "ca-root.pem"

// pollEvery is how often the demo GETs the hostname while it waits.
const pollEvery = 50 * time.Millisecond

// demoSSL is the ssl object the demo creates and refreshes the hostname with.
var demoSSL = sslRequest{Method: "http", Type: "dv"}

// run is one demo's state.
type run struct {
	o   Options
	out io.Writer
	tl  *timeline

	dir    string
	dns    *customerDNS
	origin *sampleOrigin
	node   *daemon.Daemon
	logf   *os.File
	api    *cfClient
	hostID string
}

// Run runs the demo. It returns when the visitor's request was answered
// (or, with Keep, when ctx ends), after shutting everything down; an error
// says what failed and where Portico's log is.
func Run(ctx context.Context, o Options) (err error) {
	if o.Out == nil {
		return errors.New("demo: no output")
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 30 * time.Second
	}
	r := &run{o: o, out: o.Out, tl: &timeline{start: time.Now()}}
	defer func() { err = r.close(err) }()
	if err := r.start(ctx); err != nil {
		return err
	}
	if err := r.tenant(ctx); err != nil {
		return err
	}
	h, err := r.createHostname(ctx)
	if err != nil {
		return err
	}
	r.publish(h)
	if err := r.follow(ctx); err != nil {
		return err
	}
	if err := r.visit(ctx); err != nil {
		return err
	}
	r.section("Timeline")
	r.tl.print(r.out)
	if o.Keep {
		return r.keep(ctx)
	}
	return nil
}

func (r *run) printf(format string, args ...any) { fmt.Fprintf(r.out, format, args...) }

func (r *run) section(title string) { r.printf("\n%s\n", title) }

// start brings up the stand-in DNS, the origin and Portico.
func (r *run) start(ctx context.Context) error {
	r.printf("Portico demo: a custom hostname from creation to HTTPS, on this machine, offline.\n")
	var err error
	if r.dir, err = os.MkdirTemp(r.o.Dir, "portico-demo-"); err != nil {
		return fmt.Errorf("creating the demo's directory: %w", err)
	}
	if r.dns, err = startDNS(); err != nil {
		return err
	}
	if r.origin, err = startOrigin(); err != nil {
		return err
	}
	if r.node, r.logf, err = startNode(ctx, r.dir, r.dns.Addr()); err != nil {
		return err
	}
	root := r.node.InternalCARoot()
	if err := os.WriteFile(filepath.Join(r.dir, caRootFile), root, 0o644); err != nil {
		return fmt.Errorf("writing the CA root: %w", err)
	}
	r.tl.add(time.Now(), "Portico started")

	r.section("1. Portico is running on loopback (the same daemon as `portico serve`)")
	rows := [][2]string{
		{"API", "http://" + r.node.APIAddr() + "/client/v4   (Cloudflare-compatible)"},
		{"edge", "https://" + r.node.Edge().HTTPSAddr() + "   http://" + r.node.Edge().HTTPAddr()},
		{"certificates", "internal CA " + quote(rootName(root))},
		{"DCV DNS", r.node.DNSAddr() + "   (authoritative for " + dcvZone + ")"},
		{"customer DNS", r.dns.Addr() + "   (a stand-in for the customer's DNS; Portico's --resolver)"},
		{"origin", "http://" + r.origin.Addr() + "   (the SaaS application)"},
		{"data, log", r.dir + "   (" + logFileName + ")"},
	}
	for _, row := range rows {
		r.printf("   %-13s %s\n", row[0], row[1])
	}
	return nil
}

// tenant creates the zone and its token as an operator does.
func (r *run) tenant(ctx context.Context) error {
	svc := r.node.Service()
	z, err := svc.CreateZone(ctx, service.ZoneInput{Name: zoneName, CNAMETarget: cnameTarget, FallbackOrigin: "http://" + r.origin.Addr()})
	if err != nil {
		return fmt.Errorf("creating the zone: %w", err)
	}
	token, _, err := svc.CreateToken(ctx, z.ID)
	if err != nil {
		return fmt.Errorf("creating the API token: %w", err)
	}
	r.api = newCFClient(r.node.APIAddr(), token, z.ID)
	r.tl.add(time.Now(), "zone "+z.Name+" and its API token created")

	r.section("2. The SaaS provider's zone and API token")
	r.printf("   The Cloudflare API has no call that creates zones: an operator runs `portico zone create`\n")
	r.printf("   and `portico token create`. The demo calls the same service layer directly.\n")
	r.printf("   zone             %s (id %s)\n", z.Name, z.ID)
	r.printf("   CNAME target     %s   (what customers point their hostnames at)\n", z.CNAMETarget)
	r.printf("   fallback origin  %s   (where their traffic goes)\n", z.Fallback.Origin)
	r.printf("   API token        %s\n", token)
	return nil
}

// createHostname creates the custom hostname through the API.
func (r *run) createHostname(ctx context.Context) (customHostname, error) {
	r.section("3. The provider adds its customer's hostname through the Cloudflare API")
	r.printf("   POST /client/v4/zones/%s/custom_hostnames\n", r.api.zoneID)
	r.printf("        {\"hostname\":%q,\"ssl\":{\"method\":%q,\"type\":%q}}\n", hostname, demoSSL.Method, demoSSL.Type)
	h, code, err := r.api.create(ctx, hostname, demoSSL)
	if err != nil {
		return h, fmt.Errorf("creating the custom hostname: %w", err)
	}
	now := time.Now()
	r.hostID = h.ID
	r.printf("   %d: id %s, status %s, ssl.status %s\n", code, h.ID, h.Status, h.SSL.Status)
	r.tl.add(now, fmt.Sprintf("custom hostname created (%d): status %s, ssl.status %s", code, h.Status, h.SSL.Status))

	// Portico checks a new hostname at once: show what that check tells
	// the customer, before the records exist.
	if checked, ok := r.firstCheck(ctx); ok {
		r.printf("   Portico checked it at once, and the API now says: status %s\n", checked.Status)
		for _, e := range checked.VerificationErrors {
			r.printf("     %s\n", e)
		}
		r.tl.add(time.Now(), "first ownership check: status "+checked.Status)
		h = checked
	}
	return h, nil
}

// firstCheck GETs the hostname until its first ownership check has
// reported (verification errors appear, or the status moves), for at most
// a second: the demo does not depend on it.
func (r *run) firstCheck(ctx context.Context) (customHostname, bool) {
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		h, err := r.api.get(ctx, r.hostID)
		if err != nil {
			return h, false
		}
		if len(h.VerificationErrors) > 0 || h.Status != "pending" {
			return h, true
		}
		select {
		case <-ctx.Done():
			return h, false
		case <-time.After(pollEvery / 2):
		}
	}
	return customHostname{}, false
}

// publish shows the records the API asks the customer for and publishes
// them in the stand-in DNS, with the provider's A record of its target.
func (r *run) publish(h customHostname) {
	r.section("4. The customer publishes what the provider asks for, in the customer's DNS")
	type rec struct{ name, typ, value string }
	recs := []rec{
		{hostname + ".", "CNAME", cnameTarget + "."},
		{h.OwnershipVerification.Name + ".", strings.ToUpper(h.OwnershipVerification.Type), quote(h.OwnershipVerification.Value)},
	}
	provider := rec{cnameTarget + ".", "A", "127.0.0.1"}
	width := len(provider.name)
	for _, x := range recs {
		width = max(width, len(x.name))
	}
	for _, x := range recs {
		r.printf("   %-*s  %-5s  %s\n", width, x.name, x.typ, x.value)
	}
	r.printf("   (the CNAME target is the zone's, which the provider tells its customers; the TXT record\n")
	r.printf("   is the API's ownership_verification: either proves ownership.) The provider's own record:\n")
	r.printf("   %-*s  %-5s  %s\n", width, provider.name, provider.typ, provider.value)

	r.dns.SetCNAME(hostname, cnameTarget)
	r.dns.SetTXT(h.OwnershipVerification.Name, h.OwnershipVerification.Value)
	r.dns.SetA(cnameTarget, netip.MustParseAddr("127.0.0.1"))
	r.printf("   Published in the stand-in DNS.\n")
	r.tl.add(time.Now(), "DNS records published")
}

// follow refreshes the hostname, then GETs it until it is live, showing
// every change of state.
func (r *run) follow(ctx context.Context) error {
	r.section("5. The provider refreshes the hostname (a PATCH with the same ssl object: check now)")
	r.printf("   PATCH /client/v4/zones/%s/custom_hostnames/%s  {\"ssl\":{...}}\n", r.api.zoneID, r.hostID)
	h, code, err := r.api.refresh(ctx, r.hostID, demoSSL)
	if err != nil {
		return fmt.Errorf("refreshing the custom hostname: %w", err)
	}
	r.printf("   %d: status %s, ssl.status %s\n", code, h.Status, h.SSL.Status)

	r.section("6. Following the hostname (GET every 50ms) until it is live")
	p := &progress{w: r.out, tty: r.o.TTY, tl: r.tl}
	p.observe(time.Now(), h.state(), "PATCH")
	deadline := time.Now().Add(r.o.WaitTimeout)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for !p.last.live() {
		select {
		case <-ctx.Done():
			p.clear()
			return ctx.Err()
		case now := <-t.C:
			if now.After(deadline) {
				p.clear()
				msg := fmt.Sprintf("status %s, ssl.status %s", p.last.Status, p.last.SSL)
				if p.last.Detail != "" {
					msg += ": " + p.last.Detail
				}
				return fmt.Errorf("the hostname did not go live within %v: it is still at %s", r.o.WaitTimeout, msg)
			}
			h, err := r.api.get(ctx, r.hostID)
			if err != nil {
				p.clear()
				return fmt.Errorf("following the custom hostname: %w", err)
			}
			p.observe(time.Now(), h.state(), "GET")
			if !p.last.live() {
				p.tick(time.Now())
			}
		}
	}
	return nil
}

// close shuts everything down in reverse order and removes the directory,
// unless the user asked to keep it or something failed (the log tells
// why). It returns err, or the first shutdown error when err is nil.
func (r *run) close(err error) error {
	interrupted := err != nil && errors.Is(err, context.Canceled)
	if interrupted {
		err = errors.New("interrupted") // by the user: nothing to explain
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if r.node != nil {
		if e := r.node.Shutdown(ctx); e != nil {
			errs = append(errs, fmt.Errorf("stopping Portico: %w", e))
		}
	}
	if r.origin != nil {
		if e := r.origin.Shutdown(ctx); e != nil {
			errs = append(errs, fmt.Errorf("stopping the origin: %w", e))
		}
	}
	if r.dns != nil {
		if e := r.dns.Close(); e != nil {
			errs = append(errs, fmt.Errorf("stopping the customer DNS: %w", e))
		}
	}
	if r.logf != nil {
		r.logf.Close()
	}
	if err == nil {
		err = errors.Join(errs...)
	}
	took := time.Since(r.tl.start)
	switch {
	case r.dir == "":
	case err != nil && r.logf != nil && !interrupted:
		return fmt.Errorf("%w\nPortico's log: %s (the directory is kept)", err, filepath.Join(r.dir, logFileName))
	case err != nil:
		_ = os.RemoveAll(r.dir) // nothing in it explains the failure, or the user stopped the demo
	case r.o.Keep:
		r.printf("Stopped after %.2fs; %s is kept.\n", took.Seconds(), r.dir)
	default:
		if e := os.RemoveAll(r.dir); e != nil {
			return fmt.Errorf("removing %s: %w", r.dir, e)
		}
		r.printf("\nDone in %.2fs: everything stopped, %s removed.\n", took.Seconds(), r.dir)
		r.printf("Run `portico demo --keep` to keep it running and explore it with curl and cloudflare-go.\n")
	}
	return err
}

// rootName is the common name of a PEM certificate.
func rootName(pemBytes []byte) string {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return "?"
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "?"
	}
	return c.Subject.CommonName
}

func quote(s string) string { return `"` + s + `"` }
