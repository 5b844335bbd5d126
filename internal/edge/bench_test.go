package edge

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkProxy measures one keep-alive request through the edge to a
// loopback origin (client, edge and origin share the machine, so compare
// runs, not absolute numbers). The bench/ suite compares with nginx.
func BenchmarkProxy(b *testing.B) {
	for _, bc := range []struct {
		name  string
		http2 bool
	}{{"HTTP1", false}, {"HTTP2", true}} {
		b.Run(bc.name, func(b *testing.B) {
			h := newHarness(b, harnessOpts{quiet: true, config: func(c *Config) { c.AccessLog = nil }})
			h.hostname(b, h.zone(b, "saas-a.com"), "bench.customer-a.com", nil)
			h.origin.setHandler(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(make([]byte, 100)) })
			c := h.client("", bc.http2)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := c.Get("https://bench.customer-a.com/")
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
}
