package storetest

import (
	"context"
	"testing"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// testContext checks that a cancelled context stops every kind of call and
// that the store still works afterwards.
func testContext(t *testing.T, open opener) {
	s := open(t)
	z := newZone(t, s)
	h := createHostname(t, s, minimalHostname(z.ID, "ctx.customer.example"))
	cancelled, cancel := context.WithCancel(ctx(t))
	cancel()
	calls := []struct {
		name string
		do   func(context.Context) error
	}{
		{"Ping", s.Ping},
		{"GetZone", func(c context.Context) error { _, err := s.GetZone(c, z.ID); return err }},
		{"CreateHostname", func(c context.Context) error {
			return s.CreateHostname(c, minimalHostname(z.ID, "never.customer.example"))
		}},
		{"GetHostname", func(c context.Context) error { _, err := s.GetHostname(c, z.ID, h.ID); return err }},
		{"SetHostnameStatus", func(c context.Context) error {
			return s.SetHostnameStatus(c, z.ID, h.ID, core.HostnamePending, core.HostnameActive, base)
		}},
		{"ListHostnames", func(c context.Context) error {
			_, err := s.ListHostnames(c, z.ID, store.HostnameQuery{})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.do(cancelled); err == nil {
				t.Errorf("%s with a cancelled context succeeded", c.name)
			}
		})
	}
	t.Run("store still works", func(t *testing.T) {
		diff(t, "hostname", h, getHostname(t, s, z.ID, h.ID))
		mustCount(t, s, z.ID, 1)
	})
}
