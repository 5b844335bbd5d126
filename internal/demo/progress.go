package demo

import (
	"fmt"
	"io"
	"time"
)

// hostState is what the demo follows of a custom hostname.
type hostState struct {
	Status string // status
	SSL    string // ssl.status
	Detail string // the first verification or validation error, if any
}

func (s hostState) String() string {
	return fmt.Sprintf("status %-8s ssl.status %-18s", s.Status, s.SSL)
}

// live reports whether the hostname is served with its certificate.
func (s hostState) live() bool { return s.Status == "active" && s.SSL == "active" }

// timeline records what happened, for the summary at the end.
type timeline struct {
	start  time.Time
	events []event
}

type event struct {
	at   time.Time
	what string
}

func (t *timeline) add(at time.Time, what string) { t.events = append(t.events, event{at, what}) }

// print writes one line per event: the wall-clock time and the time since
// the demo started.
func (t *timeline) print(w io.Writer) {
	for _, e := range t.events {
		fmt.Fprintf(w, "  %s  %7s  %s\n", e.at.Format("15:04:05.000"), elapsed(e.at.Sub(t.start)), e.what)
	}
}

// elapsed renders d as "+1.23s".
func elapsed(d time.Duration) string { return fmt.Sprintf("+%.2fs", d.Seconds()) }

// progress is the live display of the hostname's states: one line per
// change, with the time since the demo started. On a terminal a last line
// shows that it is still waiting, redrawn in place; elsewhere (a pipe, a
// file, a test) only the change lines are written.
type progress struct {
	w     io.Writer
	tty   bool
	tl    *timeline
	last  hostState
	seen  bool
	shown bool // the waiting line is on screen (tty only)
	ticks int
}

// spinner frames for the waiting line.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// observe records s as seen at now and prints it when it changed.
func (p *progress) observe(now time.Time, s hostState, via string) {
	if p.seen && s == p.last {
		return
	}
	p.seen, p.last = true, s
	p.clear()
	fmt.Fprintf(p.w, "  %7s  %s   (%s)\n", elapsed(now.Sub(p.tl.start)), s, via)
	if s.Detail != "" {
		fmt.Fprintf(p.w, "           %s\n", s.Detail)
	}
	what := fmt.Sprintf("status %s, ssl.status %s", s.Status, s.SSL)
	if s.Detail != "" {
		what += ": " + s.Detail
	}
	p.tl.add(now, what)
}

// tick redraws the waiting line on a terminal.
func (p *progress) tick(now time.Time) {
	if !p.tty {
		return
	}
	p.ticks++
	fmt.Fprintf(p.w, "\r\033[K  %7s  %s waiting for status active and ssl.status active",
		elapsed(now.Sub(p.tl.start)), spinner[p.ticks%len(spinner)])
	p.shown = true
}

// clear removes the waiting line.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
