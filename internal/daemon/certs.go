package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/porticohq/portico/internal/acme"
	"github.com/porticohq/portico/internal/acme/internalca"
	"github.com/porticohq/portico/internal/acme/lifecycle"
	"github.com/porticohq/portico/internal/authdns"
	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/secrets"
	"github.com/porticohq/portico/internal/service"
	"github.com/porticohq/portico/internal/store"
)

// InternalCADir is the internal CA's directory inside the data directory.
const InternalCADir = "internal-ca"

// InternalCAPath is the internal CA's directory: dir when set, else
// internal-ca beside the master key file when one is named (it belongs with
// the key that seals it), else in the data directory.
func InternalCAPath(st config.Store, sec config.Secrets, dir string) string {
	switch {
	case dir != "":
		return dir
	case sec.MasterKeyFile != "":
		return filepath.Join(filepath.Dir(sec.MasterKeyFile), InternalCADir)
	}
	return filepath.Join(st.DataDir(), InternalCADir)
}

// certNode is the node's certificate lifecycle and DCV DNS server.
type certNode struct {
	issuer  *acme.Issuer
	manager *lifecycle.Manager
	local   *internalca.CA // the internal CA, when it issues
	dns     *authdns.Server
	issued  *prometheus.CounterVec
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// acmeConfig builds the issuance engine's configuration from the flags:
// the internal CA, or the ACME directories with their trust and EAB.
func (d *Daemon) acmeConfig(box *secrets.Box) (acme.Config, error) {
	c := d.cfg.Certs
	cfg := acme.Config{DCVZone: d.cfg.DCVZone, UserAgent: "portico"}
	if c.EffectiveIssuer() == config.IssuerInternal {
		ca, err := internalca.LoadOrCreate(InternalCAPath(d.cfg.Store, d.cfg.Secrets, c.InternalCADir), box, d.clock)
		if err != nil {
			return cfg, err
		}
		d.certs.local = ca
		cfg.CAs = map[string]acme.CAConfig{"internal": {Local: ca, LocalLifetime: c.InternalCertLifetime}}
		return cfg, nil
	}
	var roots []byte
	if c.ACMERootCA != "" {
		b, err := os.ReadFile(c.ACMERootCA)
		if err != nil {
			return cfg, fmt.Errorf("--acme-root-ca: %w", err)
		}
		roots = b
	}
	def := acme.CAConfig{DirectoryURL: c.ACMEDirectory, Email: c.ACMEEmail, RootsPEM: roots, Profile: c.ACMEProfile}
	if b := c.DefaultEAB(); b != nil {
		def.EAB = &acme.EAB{KeyID: b.KeyID, MACKey: b.MACKey()}
	}
	cfg.CAs = map[string]acme.CAConfig{c.DefaultCAName(): def}
	cfg.DefaultCA = c.DefaultCAName()
	extra, err := c.ExtraCAs()
	if err != nil {
		return cfg, err
	}
	eabs, err := c.ExtraEABs()
	if err != nil {
		return cfg, err
	}
	for name, dir := range extra {
		if name == cfg.DefaultCA {
			continue
		}
		ca := acme.CAConfig{DirectoryURL: dir, Email: c.ACMEEmail, RootsPEM: roots, Profile: c.ACMEProfile}
		if b, ok := eabs[name]; ok {
			ca.EAB = &acme.EAB{KeyID: b.KeyID, MACKey: b.MACKey()}
		}
		cfg.CAs[name] = ca
	}
	servers, err := d.dnsServers()
	if err != nil {
		return cfg, err
	}
	if cfg.CAA, err = acme.NewDNSCAAResolver(servers, 0); err != nil {
		return cfg, fmt.Errorf("CAA lookups: %w", err)
	}
	return cfg, nil
}

// serviceCAs is what the service accepts as ssl.certificate_authority: nil
// (every name) for the internal CA, else the configured CAs' names.
func (d *Daemon) serviceCAs() []string {
	if d.cfg.Certs.EffectiveIssuer() == config.IssuerInternal {
		return nil
	}
	return d.cfg.Certs.CANames()
}

// resolveCA maps ssl.certificate_authority to the engine's CA name.
func (d *Daemon) resolveCA(requested string) string {
	if d.cfg.Certs.EffectiveIssuer() == config.IssuerInternal || requested == d.cfg.Certs.DefaultCAName() {
		return ""
	}
	return requested
}

// startCerts starts the certificate lifecycle (and, with --dns-listen, the
// DCV zone's DNS server): after verification, whose check states tell when
// HTTP-01 can work, and after the edge, which answers HTTP-01.
func (d *Daemon) startCerts(ctx context.Context, box *secrets.Box) error {
	st, ok := d.store.(store.Issuances)
	if !ok {
		return fmt.Errorf("the %T store keeps no certificate orders", d.store)
	}
	if d.cfg.Certs.DNSEnabled() {
		if err := d.startDCVDNS(ctx, st); err != nil {
			return err
		}
	}
	cfg, err := d.acmeConfig(box)
	if err != nil {
		return err
	}
	pub := &lifecycle.Publisher{Store: st, Clock: d.clock}
	if d.edge.challenges != nil {
		pub.Local = d.edge.challenges
	}
	log := d.log.With("component", "certs")
	is, err := acme.New(cfg, st, st, pub, box, d.clock, d.log)
	if err != nil {
		return err
	}
	d.certs.issued = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_certificates_total",
		Help: "Managed certificate outcomes: issued, renewed, failed.",
	}, []string{"outcome"})
	if err := d.reg.Register(d.certs.issued); err != nil {
		return err
	}
	checks, _ := d.store.(store.Checks)
	host, _ := os.Hostname()
	m, err := lifecycle.New(lifecycle.Config{
		Owner:     fmt.Sprintf("%s:%d", host, os.Getpid()),
		Workers:   d.cfg.Certs.CertWorkers,
		ResolveCA: d.resolveCA,
	}, lifecycle.Deps{
		Store: st, Hostnames: d.svc, Engine: is, Checks: checks, Events: d, Clock: d.clock, Log: log,
	})
	if err != nil {
		return err
	}
	d.certs.issuer, d.certs.manager = is, m
	d.svc.AddHooks(m)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.certs.cancel = cancel
	d.certs.wg.Go(func() { m.Run(runCtx) })
	log.Info("certificates running", "issuer", d.cfg.Certs.EffectiveIssuer(), "directory", d.cfg.Certs.ACMEDirectory)
	return nil
}

// CertificateEvent implements lifecycle.Events: outcomes are counted and
// emitted as service events (webhooks).
func (d *Daemon) CertificateEvent(ctx context.Context, h core.Hostname, kind string, iss acme.Issuance) {
	if d.certs.issued != nil {
		d.certs.issued.WithLabelValues(kind).Inc()
	}
	ev := service.Event{ZoneID: h.ZoneID, HostnameID: h.ID, Hostname: h.Name}
	switch kind {
	case lifecycle.EventIssued:
		ev.Type = service.EventTypeCertificateIssued
	case lifecycle.EventRenewed:
		ev.Type = service.EventTypeCertificateRenewed
	default:
		ev.Type = service.EventTypeCertificateFailed
		ev.Error = "The certificate could not be issued."
		if len(iss.ValidationErrors) > 0 {
			ev.Error = strings.Join(iss.ValidationErrors, " ")
		}
	}
	if r := iss.Result; r != nil && kind != lifecycle.EventFailed {
		ev.Certificate = &service.EventCertificate{ID: r.CertificateID, SerialNumber: r.SerialNumber, Issuer: r.Issuer,
			Authority: h.SSL.CertificateAuthority, NotBefore: r.NotBefore, ExpiresOn: r.NotAfter}
	}
	d.svc.Emit(ctx, ev)
}

// startDCVDNS serves the DCV delegation zone from the store: a label
// answers while its hostname exists, with the DNS-01 values published
// under it.
func (d *Daemon) startDCVDNS(ctx context.Context, st store.Issuances) error {
	queries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_authdns_queries_total",
		Help: "DNS queries answered by the DCV zone's server, by response code.",
	}, []string{"rcode"})
	if err := d.reg.Register(queries); err != nil {
		return err
	}
	v4, v6, err := d.cfg.EdgeAddrs()
	if err != nil {
		return err
	}
	cfg := authdns.Config{
		Zone:       d.cfg.DCVZone,
		Listen:     d.cfg.Certs.DNSListen,
		NS:         d.cfg.Certs.Nameservers(),
		CountQuery: func(rcode string) { queries.WithLabelValues(rcode).Inc() },
	}
	// A nameserver named inside the zone answers with the edge's addresses
	// (the usual setup: the DNS server runs on the edge nodes).
	ns := cfg.NS
	if len(ns) == 0 {
		ns = []string{"ns1." + d.cfg.DCVZone}
	}
	for _, n := range ns {
		if strings.HasSuffix(n, "."+d.cfg.DCVZone) && len(v4)+len(v6) > 0 {
			if cfg.NSAddrs == nil {
				cfg.NSAddrs = map[string][]netip.Addr{}
			}
			cfg.NSAddrs[n] = append(append([]netip.Addr{}, v4...), v6...)
		}
	}
	recs := authdns.RecordsFunc(func(ctx context.Context, label string) ([]string, bool, error) {
		return st.DCVValues(ctx, label, d.clock.Now())
	})
	srv, err := authdns.New(cfg, recs, d.log.With("component", "authdns"))
	if err != nil {
		return fmt.Errorf("DCV DNS server: %w", err)
	}
	if err := srv.Start(ctx); err != nil {
		return fmt.Errorf("DCV DNS server on %s: %w", cfg.Listen, err)
	}
	d.certs.dns = srv
	d.log.Info("DCV DNS server listening", "zone", d.cfg.DCVZone, "addr", srv.Addr())
	return nil
}

// stopCerts stops the lifecycle (its running steps end with their
// context) and the DNS server; it runs before the store closes.
func (d *Daemon) stopCerts(ctx context.Context) error {
	var errs []error
	if d.certs.cancel != nil {
		d.certs.cancel()
		d.certs.wg.Wait()
		d.certs.cancel = nil
	}
	if d.certs.dns != nil {
		if err := d.certs.dns.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("stopping the DCV DNS server: %w", err))
		}
		d.certs.dns = nil
	}
	return errors.Join(errs...)
}

// Certificates returns the certificate lifecycle (for tests and the demo);
// nil before Start.
func (d *Daemon) Certificates() *lifecycle.Manager { return d.certs.manager }

// DNSAddr is the DCV DNS server's bound address, "" when it does not run.
func (d *Daemon) DNSAddr() string {
	if d.certs.dns == nil {
		return ""
	}
	return d.certs.dns.Addr()
}

// InternalCARoot is the internal CA's root certificate (PEM), nil when ACME
// issues.
func (d *Daemon) InternalCARoot() []byte {
	if d.certs.local == nil {
		return nil
	}
	return d.certs.local.RootPEM()
}
