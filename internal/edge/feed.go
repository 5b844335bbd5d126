package edge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/porticohq/portico/internal/store"
)

const (
	// feedPage is how many changes one read of the feed takes.
	feedPage = 1000
	// maxFeedPages bounds catching up change by change: past it (a bulk
	// import, a long disconnection) reloading the index is cheaper.
	maxFeedPages = 20
	// namesPage is the page size of the index load.
	namesPage = 10_000
)

// feed is the change feed reader's state; only the feed goroutine
// touches it.
type feed struct {
	cursor   store.ChangeCursor
	seen     map[store.ChangeCursor]struct{} // unsettled changes already applied
	lastRead time.Time
	backoff  time.Duration
	retryAt  time.Time
}

// run loads the index, then follows the change feed until ctx ends: on
// each poll tick, on a database notification (PostgreSQL), and on an
// in-process HostnameChanged. While the database fails it logs, backs off
// (up to 10 s) and keeps serving what it has.
func (e *Edge) run(ctx context.Context) {
	defer e.wg.Done()
	backoff := 250 * time.Millisecond
	for {
		err := e.loadIndex(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		e.m.feedErrs.Inc()
		e.log.Error("loading the hostname index; retrying", "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
	close(e.ready)

	var notify <-chan struct{}
	if n, ok := e.src.(store.ChangeNotifier); ok {
		notify = n.WatchChanges(ctx)
	}
	tick := time.NewTicker(e.cfg.PollInterval)
	defer tick.Stop()
	lastEpoch := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case _, ok := <-notify:
			if !ok {
				notify = nil
			}
		case <-e.wake:
		}
		if now := time.Now(); now.Sub(lastEpoch) >= epochInterval {
			e.cache.epoch.Add(1)
			lastEpoch = now
		}
		e.sync(ctx)
	}
}

// loadIndex builds the index of served names from the database and swaps
// it in. The feed position is taken first, so that a change committed
// during the scan is applied (again) afterwards rather than lost. Cached
// routes are refreshed, since the edge may have missed their changes.
func (e *Edge) loadIndex(ctx context.Context) error {
	start := time.Now()
	cur, err := e.src.LatestChange(ctx)
	if err != nil {
		return err
	}
	hint := 1024
	if old := e.index.Load(); old != nil {
		hint = int(old.len())
	}
	ix := newIndex(hint)
	after := ""
	for {
		names, err := e.src.ActiveNames(ctx, after, namesPage)
		if err != nil {
			return err
		}
		for _, n := range names {
			ix.add(n)
		}
		if len(names) < namesPage {
			break
		}
		after = names[len(names)-1]
	}
	e.index.Store(ix)
	e.feed = feed{cursor: cur, seen: map[store.ChangeCursor]struct{}{}, lastRead: time.Now()}
	e.m.rebuilds.Inc()
	for _, k := range e.cache.keys(func(*route) bool { return true }) {
		if err := e.refresh(ctx, k); err != nil {
			e.log.Warn("refreshing a cached route", "name", k.stored(), "err", err)
		}
	}
	e.log.Info("hostname index loaded", "names", ix.len(), "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// sync applies what the feed has after the cursor.
func (e *Edge) sync(ctx context.Context) {
	f := &e.feed
	now := time.Now()
	if now.Before(f.retryAt) {
		return
	}
	var err error
	if now.Sub(f.lastRead) > store.EdgeChangeRetention/2 {
		// The feed may have pruned what this edge has not read.
		err = e.loadIndex(ctx)
	} else {
		err = e.catchUp(ctx)
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		e.m.feedErrs.Inc()
		f.backoff = min(max(2*f.backoff, 250*time.Millisecond), 10*time.Second)
		f.retryAt = now.Add(f.backoff)
		e.log.Warn("reading the change feed; serving from memory", "err", err, "retry_in", f.backoff.String())
		return
	}
	f.backoff, f.retryAt = 0, time.Time{}
}

// catchUp reads and applies pages of changes until the feed is drained.
func (e *Edge) catchUp(ctx context.Context) error {
	f := &e.feed
	for range maxFeedPages {
		changes, err := e.src.ChangesSince(ctx, f.cursor, feedPage)
		if err != nil {
			return err
		}
		f.lastRead = time.Now()
		progressed, err := e.apply(ctx, changes)
		if err != nil {
			return err
		}
		if len(changes) < feedPage || !progressed {
			return nil
		}
	}
	e.log.Info("change feed far behind; reloading the index")
	return e.loadIndex(ctx)
}

// apply refreshes each name and zone the changes touch, once per page,
// then moves the cursor past the settled ones. A failed refresh leaves the
// cursor where it was, so the page is read and applied again (refreshing is
// idempotent). progressed says whether anything new happened.
func (e *Edge) apply(ctx context.Context, changes []store.Change) (progressed bool, err error) {
	f := &e.feed
	keys := map[routeKey]struct{}{}
	zones := map[string]struct{}{}
	cursor := f.cursor
	var applied []store.ChangeCursor
	for _, c := range changes {
		_, seen := f.seen[c.Cursor]
		if c.Settled {
			cursor = c.Cursor
			progressed = true
		}
		if seen {
			continue
		}
		if !c.Settled {
			applied = append(applied, c.Cursor)
			progressed = true
		}
		switch c.Kind {
		case store.ChangeZone:
			zones[c.ZoneID] = struct{}{}
		default:
			if c.Name == "" {
				continue
			}
			k := keyOf(c.Name)
			if store.EdgeServes(c.Status) && e.cache.peek(k) == nil {
				// Activated (or changed while active) and not hot: the
				// index entry is all that is needed; the route loads on
				// its first handshake.
				if ix := e.index.Load(); ix != nil {
					ix.add(c.Name)
				}
				e.markStale(k)
				delete(keys, k)
				continue
			}
			if ix := e.index.Load(); !store.EdgeServes(c.Status) && ix != nil && !ix.has(k) && e.cache.peek(k) == nil {
				// Not served before, not served now (a pending hostname
				// created or edited): nothing to look up.
				e.markStale(k)
				continue
			}
			keys[k] = struct{}{}
		}
	}
	var errs []error
	for z := range zones {
		for _, k := range e.cache.keys(func(r *route) bool { return r.zoneID == z }) {
			keys[k] = struct{}{}
		}
	}
	for k := range keys {
		if err := e.refresh(ctx, k); err != nil {
			errs = append(errs, fmt.Errorf("refreshing %s: %w", k.stored(), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	f.cursor = cursor
	for _, a := range applied {
		f.seen[a] = struct{}{}
	}
	for s := range f.seen {
		if !cursor.Less(s) {
			delete(f.seen, s)
		}
	}
	e.m.changes.Add(float64(len(changes)))
	return progressed, nil
}

// refresh makes memory agree with the database about one name: it is in
// the index iff some hostname of that name serves, and a cached route is
// replaced by a fresh one (or dropped). A name not cached stays unloaded.
func (e *Edge) refresh(ctx context.Context, k routeKey) error {
	e.markStale(k)
	row, ok, err := e.servingRow(ctx, k)
	if err != nil {
		return err
	}
	ix := e.index.Load()
	if !ok {
		if ix != nil {
			ix.remove(k.stored())
		}
		e.cache.remove(k)
		return nil
	}
	if ix != nil {
		ix.add(row.Name)
	}
	if e.cache.peek(k) == nil {
		return nil
	}
	certs, err := e.src.EdgeCertificates(ctx, row.HostnameID)
	if err != nil {
		return err
	}
	e.cache.replace(e.buildRoute(k, row, certs))
	return nil
}
