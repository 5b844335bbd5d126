package edge

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/store"
)

// Ownership is a hostname's ownership token and whose it is.
type Ownership struct {
	ZoneID     string
	HostnameID string
	Name       string // canonical; "*.base" for a wildcard
	Token      string
}

// OwnershipSource finds a hostname's ownership token by its id, in any
// zone. It returns an error wrapping store.ErrNotFound when there is no
// such hostname. Implementations MUST be safe for concurrent use and honour
// ctx. The default reads the edge's store.
type OwnershipSource interface {
	Ownership(ctx context.Context, hostnameID string) (Ownership, error)
}

// CheckRequester asks the verification engine to check a hostname soon
// (verify.Scheduler is one). A visitor reaching a pending hostname suggests
// its DNS now points here. CheckSoon MUST return at once (queue the work,
// or drop it) and be safe for concurrent use; it reports whether the
// request was taken. The edge calls it at most once a minute per hostname.
type CheckRequester interface {
	CheckSoon(zoneID, hostnameID string) bool
}

// storeOwnership is the default OwnershipSource.
type storeOwnership struct{ src store.EdgeSource }

func (s storeOwnership) Ownership(ctx context.Context, id string) (Ownership, error) {
	r, err := s.src.EdgeRoute(ctx, id)
	if err != nil {
		return Ownership{}, err
	}
	return Ownership{ZoneID: r.ZoneID, HostnameID: r.HostnameID, Name: r.Name, Token: r.OwnershipToken}, nil
}

const ownershipPrefix = "/.well-known/cf-custom-hostname-challenge/"

// serveOwnership serves a hostname's ownership token at
// http://<host>/.well-known/cf-custom-hostname-challenge/<id>, and only
// when all of these hold (threat model A10):
//
//   - GET, the raw target is exactly the prefix + a lowercase UUID;
//   - the Host is an active hostname routed by this edge, to zone Z;
//   - hostname <id> belongs to zone Z too;
//   - the Host is <id>'s name (its base for a wildcard "*.base").
//
// So the edge vouches only for a tenant that already holds the name here:
// the re-checks of an active hostname pass, as does a sibling hostname of
// the same tenant, but a second tenant's claim on a name that routes to the
// first tenant, or on a name that routes nowhere, gets 404. Such a claim
// must prove itself through DNS. Everything else on the path is 404 too.
func (e *Edge) serveOwnership(w *responseLog, r *http.Request) {
	id, ok := strings.CutPrefix(r.RequestURI, ownershipPrefix)
	host := dnsname.NormalizeHost(r.Host)
	if r.Method != http.MethodGet || !ok || !validUUID(id) || !e.serves(host) {
		writePage(w, http.StatusNotFound)
		return
	}
	if !e.ownershipLookups.allow(e.clk.Now()) {
		w.Header().Set("Retry-After", "1")
		writePage(w, http.StatusTooManyRequests)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), e.cfg.LoadWait)
	defer cancel()
	rt := e.resolve(ctx, host)
	if rt == nil {
		writePage(w, http.StatusNotFound)
		return
	}
	w.route = rt
	own, err := e.ownership.Ownership(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writePage(w, http.StatusNotFound)
		return
	case err != nil:
		e.log.Warn("looking up an ownership token", "hostname_id", id, "err", err)
		writePage(w, http.StatusServiceUnavailable)
		return
	}
	if own.ZoneID != rt.zoneID || strings.TrimPrefix(own.Name, "*.") != host || own.Token == "" {
		writePage(w, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", itoa(len(own.Token)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(own.Token))
}

// validUUID reports whether s is a lowercase 8-4-4-4-12 hex UUID.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

// checkInterval is how often a visitor may trigger a check of one hostname.
const checkInterval = time.Minute
