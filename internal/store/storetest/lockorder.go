package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/store"
)

// testLockOrder deletes hostnames while a verification result and a
// certificate removal write the rows hanging off them. On PostgreSQL the
// delete's cascade locks the hostname and then its check and certificates;
// a writer that locks them in the other order deadlocks against it, and
// PostgreSQL aborts one side with 40P01: a DELETE answered 500 (seen in
// CI). Every side must end in success, ErrNotFound or ErrStale.
func testLockOrder(t *testing.T, open opener) {
	s := open(t)
	c := implements[store.Checks](t, s)
	z := newZone(t, s)
	const rounds = 40
	for i := range rounds {
		h := createHostname(t, s, minimalHostname(z.ID, hostnameName(i)))
		cert := certificate(h.ID, base)
		wantErr(t, "PutCertificate", s.PutCertificate(ctx(t), z.ID, cert), nil)
		lease, err := c.ClaimCheck(ctx(t), z.ID, h.ID, base, "node-a", time.Minute, false)
		wantErr(t, "ClaimCheck", err, nil)

		var wg sync.WaitGroup
		errs := make([]error, 3)
		start := make(chan struct{})
		wg.Go(func() {
			<-start
			errs[0] = s.DeleteHostname(ctx(t), z.ID, h.ID)
		})
		wg.Go(func() {
			<-start
			errs[1] = c.RecordCheck(ctx(t), store.CheckRecord{
				ZoneID: z.ID, HostnameID: h.ID, LeaseToken: lease.LeaseToken,
				CheckedAt: base, NextCheckAt: base.Add(time.Minute), Attempts: 1,
				DNSStatus: "invalid", VerificationErrors: []string{fmt.Sprint("TXT record not found ", i)},
			})
		})
		wg.Go(func() {
			<-start
			errs[2] = s.DeleteCertificate(ctx(t), z.ID, h.ID, cert.ID)
		})
		close(start)
		wg.Wait()
		for k, err := range errs {
			if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrStale) {
				t.Fatalf("round %d, writer %d: %v", i, k, err)
			}
		}
		if errs[0] != nil {
			t.Fatalf("round %d: DeleteHostname: %v", i, errs[0])
		}
	}
	mustCount(t, s, z.ID, 0)
}
