package doctor

import (
	"fmt"
	"io"
	"strings"
)

// Status is a check's outcome.
type Status string

// The outcomes. Only Fail makes `portico doctor` exit non-zero: a Warn is
// something that works now but is likely wrong, or that could not be
// checked.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Result is the outcome of one check.
type Result struct {
	// Check names what was checked: config, environment, master_key,
	// database, sealed_keys, acme_directory, resolver, listen,
	// cname_target, dcv_delegation, dcv_dns_server, caa.
	Check string `json:"check"`
	// Subject is what the check looked at, when there can be several: a
	// listen address, a DNS name, a CA.
	Subject string `json:"subject,omitempty"`
	Status  Status `json:"status"`
	// Message says what was found, in plain words.
	Message string `json:"message"`
	// Fix says what to do; empty for OK.
	Fix string `json:"fix,omitempty"`
}

// Summary counts results by status.
type Summary struct {
	OK   int `json:"ok"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
}

// Report is every check's result, in the order the checks ran.
type Report struct {
	// OK is true when no check failed.
	OK      bool     `json:"ok"`
	Summary Summary  `json:"summary"`
	Results []Result `json:"checks"`
}

func newReport(results []Result) Report {
	r := Report{Results: results}
	for _, res := range results {
		switch res.Status {
		case OK:
			r.Summary.OK++
		case Warn:
			r.Summary.Warn++
		case Fail:
			r.Summary.Fail++
		}
	}
	r.OK = r.Summary.Fail == 0
	return r
}

// WriteText writes the report for a person: one line per check, its fix
// indented below it, and the counts at the end.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, res := range r.Results {
		what := res.Check
		if res.Subject != "" {
			what += " " + res.Subject
		}
		fmt.Fprintf(&b, "%-4s  %s: %s\n", strings.ToUpper(string(res.Status)), what, res.Message)
		if res.Fix != "" {
			fmt.Fprintf(&b, "      fix: %s\n", res.Fix)
		}
	}
	fmt.Fprintf(&b, "\n%d ok, %d %s, %d %s\n", r.Summary.OK,
		r.Summary.Warn, plural(r.Summary.Warn, "warning", "warnings"),
		r.Summary.Fail, plural(r.Summary.Fail, "failure", "failures"))
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
