package main

import (
	"fmt"
	"slices"
	"strings"
)

// report renders the results as Markdown: every figure is the median over
// the rounds; ratios are taken within a round (peer / nginx of the same
// round) before the median, so that drift between rounds cancels.
func (b *bench) report(m machine) string {
	var sb strings.Builder
	cols := b.columns()
	fmt.Fprintf(&sb, "## Edge benchmark: Portico's edge, nginx and HAProxy (%s)\n\n", m.Started)
	fmt.Fprintf(&sb, "%d cores (%s), Go %s, %s, %s, %s, Portico %s. Proxies pinned to core %s, load generator, "+
		"upstream and h2load to core %s; %d interleaved round(s) of %s (+%s warm-up) per test. Load average at start %s, at end %s.\n\n",
		m.Cores, m.CPU, strings.TrimPrefix(m.Go, "go"), m.Nginx, m.HAProxy, m.H2load, m.Commit, b.proxyCPU, b.loadCPU,
		b.rounds, b.dur, b.warmup, m.LoadStart, m.LoadEnd)
	for _, n := range m.Notes {
		fmt.Fprintf(&sb, "**%s**\n\n", n)
	}

	fmt.Fprintf(&sb, "### Throughput, ratio to nginx (higher is better; nginx's own rate in brackets)\n\n")
	header(&sb, "test", cols)
	for _, row := range b.rateRows() {
		cells := []string{}
		for _, c := range cols {
			cells = append(cells, b.ratioCell(row.size, row.test, c))
		}
		fmt.Fprintf(&sb, "| %s | %s |\n", row.label, strings.Join(cells, " | "))
	}

	fmt.Fprintf(&sb, "\n### Added latency over the bare upstream (one keep-alive connection, sequential 100 B requests)\n\n")
	header(&sb, "", cols)
	for _, q := range []struct {
		label string
		get   func(sample) float64
	}{{"p50", func(s sample) float64 { return s.P50us }}, {"p99", func(s sample) float64 { return s.P99us }}} {
		cells := []string{}
		for _, c := range cols {
			cells = append(cells, b.addedCell(c, q.get))
		}
		fmt.Fprintf(&sb, "| added %s | %s |\n", q.label, strings.Join(cells, " | "))
	}
	if d := b.values(1, testLatency, peerDirect, func(s sample) float64 { return s.P50us }); len(d) > 0 {
		p99 := b.values(1, testLatency, peerDirect, func(s sample) float64 { return s.P99us })
		fmt.Fprintf(&sb, "\nThe bare upstream (plain HTTP, same client): p50 %.0f µs, p99 %.0f µs.\n", median(d), median(p99))
	}

	fmt.Fprintf(&sb, "\n### Peak RSS after the tests (startup: launch to the last hostname's first verified response)\n\n")
	header(&sb, "hostnames", cols)
	for _, n := range b.sizes {
		cells := []string{}
		for _, c := range cols {
			peak := b.values(n, testMemory, c, func(s sample) float64 { return float64(s.PeakRSS) })
			st := b.values(n, testMemory, c, func(s sample) float64 { return s.StartupS })
			if len(peak) == 0 {
				cells = append(cells, "—")
				continue
			}
			cells = append(cells, fmt.Sprintf("%s (%.1f s)", mib(median(peak)), median(st)))
		}
		label := fmt.Sprintf("N=%d", n)
		if n > b.nginxBlocksMax && slices.Contains(cols, "nginx") {
			label += " ¹"
		}
		fmt.Fprintf(&sb, "| %s | %s |\n", label, strings.Join(cells, " | "))
	}
	if slices.ContainsFunc(b.sizes, func(n int) bool { return n > b.nginxBlocksMax }) {
		fmt.Fprintf(&sb, "\n¹ nginx with the cert-by-variable configuration (one server block, "+
			"`ssl_certificate certs/$ssl_server_name.pem`, read on every handshake) above %d hostname(s); "+
			"a server block per hostname takes minutes and GBs at 100,000.\n", b.nginxBlocksMax)
	}

	fmt.Fprintf(&sb, "\n### Proxy CPU per operation (µs of user+system time; lower is better; the figure least moved by noise)\n\n")
	header(&sb, "test", cols)
	for _, row := range b.rateRows() {
		cells := []string{}
		for _, c := range cols {
			v := b.values(row.size, row.test, c, func(s sample) float64 { return s.CPUus })
			if len(v) == 0 {
				cells = append(cells, "—")
				continue
			}
			cells = append(cells, fmt.Sprintf("%.0f", median(v)))
		}
		fmt.Fprintf(&sb, "| %s | %s |\n", row.label, strings.Join(cells, " | "))
	}
	var errs []string
	for _, s := range b.results {
		if s.Errors > 0 {
			errs = append(errs, fmt.Sprintf("%s %s N=%d round %d: %d", s.Peer, s.Test, s.Size, s.Round, s.Errors))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(&sb, "\nFailed requests: %s.\n", strings.Join(errs, "; "))
	}
	return sb.String()
}

type rateRow struct {
	size  int
	test  string
	label string
}

func (b *bench) rateRows() []rateRow {
	var rows []rateRow
	for _, n := range b.sizes {
		if n == 1 {
			rows = append(rows,
				rateRow{1, testKA100, fmt.Sprintf("keep-alive HTTPS/1.1, 100 B, %d conns, N=1", b.kaConns)},
				rateRow{1, testKA16k, "keep-alive HTTPS/1.1, 16 KiB"},
				rateRow{1, testH2, fmt.Sprintf("HTTP/2, h2load -c %d -m %d, 100 B", b.h2Conns, b.h2Streams)},
				rateRow{1, testHandshake, fmt.Sprintf("new TLS 1.3 handshakes/s (ECDSA P-256, + 1 request), %d at once, N=1", b.hsConns)},
			)
			continue
		}
		rows = append(rows,
			rateRow{n, testKAMany, fmt.Sprintf("keep-alive, %d conns each to a random one of N=%d hostnames", b.kaConns, n)},
			rateRow{n, testHandshake, fmt.Sprintf("new TLS 1.3 handshakes/s over N=%d hostnames (random SNI)", n)},
		)
	}
	return rows
}

// columns puts nginx first: everything is a ratio to it.
func (b *bench) columns() []string {
	cols := []string{}
	if slices.Contains(b.peerNames, "nginx") {
		cols = append(cols, "nginx")
	}
	for _, p := range b.peerNames {
		if p != "nginx" {
			cols = append(cols, p)
		}
	}
	return cols
}

func header(sb *strings.Builder, first string, cols []string) {
	fmt.Fprintf(sb, "| %s | %s |\n|---|%s\n", first, strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
}

func (b *bench) ratioCell(size int, test, peer string) string {
	var ratios []float64
	for round := 1; round <= b.rounds; round++ {
		p, ok1 := b.find(round, size, test, peer)
		n, ok2 := b.find(round, size, test, "nginx")
		if ok1 && ok2 && n.Rate > 0 {
			ratios = append(ratios, p.Rate/n.Rate)
		}
	}
	own := b.values(size, test, peer, func(s sample) float64 { return s.Rate })
	switch {
	case len(own) == 0:
		return "—"
	case peer == "nginx":
		return fmt.Sprintf("1.00 (%s/s)", kilo(median(own)))
	case len(ratios) == 0:
		return fmt.Sprintf("%s/s", kilo(median(own)))
	}
	return fmt.Sprintf("**%.2f** (%s/s)", median(ratios), kilo(median(own)))
}

func (b *bench) addedCell(peer string, get func(sample) float64) string {
	var added []float64
	for round := 1; round <= b.rounds; round++ {
		p, ok1 := b.find(round, 1, testLatency, peer)
		d, ok2 := b.find(round, 1, testLatency, peerDirect)
		if ok1 && ok2 {
			added = append(added, get(p)-get(d))
		}
	}
	if len(added) == 0 {
		return "—"
	}
	return fmt.Sprintf("%+.0f µs", median(added))
}

func (b *bench) find(round, size int, test, peer string) (sample, bool) {
	for _, s := range b.results {
		if s.Round == round && s.Size == size && s.Test == test && s.Peer == peer {
			return s, true
		}
	}
	return sample{}, false
}

func (b *bench) values(size int, test, peer string, get func(sample) float64) []float64 {
	var v []float64
	for _, s := range b.results {
		if s.Size == size && s.Test == test && s.Peer == peer {
			v = append(v, get(s))
		}
	}
	return v
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func kilo(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}

func mib(bytes float64) string {
	if bytes >= 1<<30 {
		return fmt.Sprintf("%.2f GiB", bytes/(1<<30))
	}
	return fmt.Sprintf("%.0f MiB", bytes/(1<<20))
}
