package verify

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/porticohq/portico/internal/core"
)

// Metrics are verification's Prometheus metrics. A nil *Metrics counts
// nothing, so tests that do not look need none.
type Metrics struct {
	transitions *prometheus.CounterVec
	checks      *prometheus.CounterVec
}

// The check outcomes counted in portico_verify_checks_total: the Outcome
// strings, and "blocked" for a hostname the blocklist covers (no DNS
// lookup is made for it).
const outcomeBlocked = "blocked"

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered):
//
//   - portico_hostname_transitions_total{from,to}: committed status changes
//     of existing hostnames, whoever made them (wire Transition into
//     service.Config.OnTransition);
//   - portico_verify_checks_total{outcome}: ownership checks run, by
//     outcome (proven, not_proven, unknown, blocked).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_hostname_transitions_total",
			Help: "Status changes of custom hostnames, by old and new status.",
		}, []string{"from", "to"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_verify_checks_total",
			Help: "Ownership checks run, by outcome (proven, not_proven, unknown, blocked).",
		}, []string{"outcome"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.transitions, m.checks} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("registering verification metrics: %w", err)
			}
		}
	}
	return m, nil
}

// Transition counts one status change; it has the signature of
// service.Config.OnTransition.
func (m *Metrics) Transition(from, to core.HostnameStatus) {
	if m != nil {
		m.transitions.WithLabelValues(string(from), string(to)).Inc()
	}
}

func (m *Metrics) check(outcome string) {
	if m != nil {
		m.checks.WithLabelValues(outcome).Inc()
	}
}
