package webhook

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// The outcomes of delivery attempts counted in
// portico_webhook_deliveries_total.
const (
	OutcomeSucceeded = "succeeded" // 2xx: the delivery is done
	OutcomeRetried   = "retried"   // failed; another attempt is scheduled
	OutcomeFailed    = "failed"    // failed, and the retry window is over
)

// Metrics are the webhooks' Prometheus metrics. A nil *Metrics counts
// nothing.
type Metrics struct {
	deliveries *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered): portico_webhook_deliveries_total{outcome}, delivery
// attempts by outcome (succeeded, retried, failed).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_webhook_deliveries_total",
		Help: "Webhook delivery attempts, by outcome (succeeded, retried, failed).",
	}, []string{"outcome"})}
	if reg != nil {
		if err := reg.Register(m.deliveries); err != nil {
			return nil, fmt.Errorf("registering webhook metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) count(outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(outcome).Inc()
	}
}
