package instructions

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts the worker's sends.
type Metrics struct {
	sends *prometheus.CounterVec
}

// The outcomes counted in portico_mail_instruction_emails_total.
const (
	outcomeSent    = "sent"
	outcomeRetry   = "retry"
	outcomeGivenUp = "given_up"
)

// NewMetrics creates portico_mail_instruction_emails_total{outcome} and
// registers it on reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{sends: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "portico_mail_instruction_emails_total",
		Help: "Instruction email send attempts, by outcome: sent, retry (failed, will be retried), given_up.",
	}, []string{"outcome"})}
	for _, o := range []string{outcomeSent, outcomeRetry, outcomeGivenUp} {
		m.sends.WithLabelValues(o)
	}
	if reg != nil {
		if err := reg.Register(m.sends); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
			m.sends = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	return m, nil
}

func (m *Metrics) count(outcome string) {
	if m != nil {
		m.sends.WithLabelValues(outcome).Inc()
	}
}
