package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestProgress(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pending := hostState{Status: "pending", SSL: "initializing", Detail: "TXT record not found"}
	active := hostState{Status: "active", SSL: "active"}
	play := func(tty bool) (string, *timeline) {
		var b strings.Builder
		tl := &timeline{start: start}
		p := &progress{w: &b, tty: tty, tl: tl}
		p.observe(start.Add(100*time.Millisecond), pending, "POST")
		p.tick(start.Add(150 * time.Millisecond))
		p.observe(start.Add(200*time.Millisecond), pending, "GET") // unchanged: nothing
		p.tick(start.Add(250 * time.Millisecond))
		p.observe(start.Add(1500*time.Millisecond), active, "GET")
		return b.String(), tl
	}
	lines := "   +0.10s  status pending  ssl.status initializing         (POST)\n" +
		"           TXT record not found\n" +
		"   +1.50s  status active   ssl.status active               (GET)\n"

	plain, tl := play(false)
	if diff := cmp.Diff(lines, plain); diff != "" {
		t.Errorf("plain output (-want +got):\n%s", diff)
	}
	var b strings.Builder
	tl.print(&b)
	wantTL := "  03:04:05.100   +0.10s  status pending, ssl.status initializing: TXT record not found\n" +
		"  03:04:06.500   +1.50s  status active, ssl.status active\n"
	if diff := cmp.Diff(wantTL, b.String()); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}

	// On a terminal the waiting line is redrawn in place and erased before
	// the next change; what remains on screen is the plain output.
	tty, _ := play(true)
	if !strings.Contains(tty, "\r\033[K   +0.25s  ⠹ waiting for status active") {
		t.Errorf("no waiting line redrawn in %q", tty)
	}
	if got := screen(tty); got != lines {
		t.Errorf("terminal shows (-want +got):\n%s", cmp.Diff(lines, got))
	}
}

// screen applies "\r\033[K" (erase the current line) as a terminal does.
func screen(s string) string {
	var out strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			out.WriteString("\n")
		}
		if j := strings.LastIndex(line, "\r\033[K"); j >= 0 {
			line = line[j+len("\r\033[K"):]
		}
		out.WriteString(line)
	}
	return out.String()
}
