package config

import (
	"errors"
	"flag"
	"fmt"

	"github.com/porticohq/portico/internal/mail"
)

// Mail configures the instruction emails of the SaaS Custom Domains API.
type Mail struct {
	// SMTPURL is smtp://user:pass@host:port (STARTTLS when the server
	// offers it; port 587 by default) or smtps://... (implicit TLS; 465).
	// Empty: no emails, and a create that asks for one is refused. Prefer
	// PORTICO_SMTP_URL: it holds a password.
	SMTPURL string
	// SMTPFrom is the sender, "Name <addr>" or "addr". Required with
	// SMTPURL.
	SMTPFrom string
}

// Register adds the mail flags to fs.
func (m *Mail) Register(fs *flag.FlagSet) {
	fs.StringVar(&m.SMTPURL, "smtp-url", "", "SMTP server for instruction emails: smtp://user:pass@host:port (STARTTLS when offered) or smtps://...; prefer PORTICO_SMTP_URL")
	fs.StringVar(&m.SMTPFrom, "smtp-from", "", `sender of instruction emails, e.g. "SaaS Provider <domains@saasprovider.com>"`)
}

// Validate checks the mail settings. Errors never repeat the URL, which
// holds the password.
func (m Mail) Validate() error {
	if m.SMTPURL == "" {
		if m.SMTPFrom != "" {
			return errors.New("--smtp-from needs --smtp-url")
		}
		return nil
	}
	var errs []error
	if _, err := mail.ParseURL(m.SMTPURL); err != nil {
		errs = append(errs, fmt.Errorf("--smtp-url: %w", err))
	}
	if m.SMTPFrom == "" {
		errs = append(errs, errors.New("--smtp-url needs --smtp-from, the sender address"))
	} else if _, err := mail.ParseFrom(m.SMTPFrom); err != nil {
		errs = append(errs, fmt.Errorf("--smtp-from: %w", err))
	}
	return errors.Join(errs...)
}
