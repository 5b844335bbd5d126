package verify

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/testkit/dnstest"
)

func TestLookupNS(t *testing.T) {
	srv := dnstest.New(t)
	r := newResolver(t, srv.Addr())
	srv.SetRR("dcv.saasprovider.com. 60 IN NS NS1.dcv.saasprovider.com.", "dcv.saasprovider.com. 60 IN NS ns2.example.net.")
	srv.SetServfail("broken.saasprovider.com", true)
	ctx := context.Background()

	got, err := r.LookupNS(ctx, "dcv.saasprovider.com")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"ns1.dcv.saasprovider.com", "ns2.example.net"}, got); d != "" {
		t.Errorf("NS (-want +got):\n%s", d)
	}
	if got, err := r.LookupNS(ctx, "nothing.saasprovider.com"); err != nil || len(got) != 0 {
		t.Errorf("NXDOMAIN: %v, %v; want none and no error", got, err)
	}
	if _, err := r.LookupNS(ctx, "broken.saasprovider.com"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("SERVFAIL: %v, want ErrUnavailable", err)
	}
}
