package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"time"
)

// Sender sends messages through one SMTP server, one connection per
// message (instruction emails are few; a pool would only hold idle
// connections open). It is safe for concurrent use.
type Sender struct {
	cfg Config
	now func() time.Time
}

// NewSender returns a Sender for cfg. now dates the messages (nil:
// time.Now).
func NewSender(cfg Config, now func() time.Time) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if now == nil {
		now = time.Now
	}
	return &Sender{cfg: cfg, now: now}
}

// Send delivers m to the server, bounded by ctx and the configured
// timeout. STARTTLS is used whenever the server offers it (smtp://); with
// credentials, a server that offers neither TLS nor AUTH, or that is not
// on loopback when the connection is plain, is refused before the
// password leaves. Errors that the server answered with a 5xx code are
// permanent (see IsPermanent).
func (s *Sender) Send(ctx context.Context, m Message) (err error) {
	msg, err := m.Bytes(s.now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr())
	if err != nil {
		return fmt.Errorf("connecting to the SMTP server %s: %w", s.cfg.Addr(), err)
	}
	// net/smtp takes no context: the deadline bounds every read and write,
	// and a cancelled ctx closes the connection under it.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	tlsCfg := s.tlsConfig()
	if s.cfg.ImplicitTLS {
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("TLS with the SMTP server %s: %w", s.cfg.Addr(), err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greeting from the SMTP server %s: %w", s.cfg.Addr(), err)
	}
	defer c.Close()
	step := func(what string, err error) error {
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return fmt.Errorf("SMTP %s at %s: %w", what, s.cfg.Addr(), err)
	}
	if err := step("EHLO", c.Hello(s.cfg.HelloName)); err != nil {
		return err
	}
	if !s.cfg.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := step("STARTTLS", c.StartTLS(tlsCfg)); err != nil {
				return err
			}
		}
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("SMTP server %s offers no AUTH, but a user is configured", s.cfg.Addr())
		}
		// PlainAuth itself refuses to send the password over a plain
		// connection to anything but loopback.
		if err := step("AUTH", c.Auth(smtp.PlainAuth("", s.cfg.Username, string(s.cfg.Password), s.cfg.Host))); err != nil {
			return err
		}
	}
	if err := step("MAIL FROM", c.Mail(m.From.Address)); err != nil {
		return err
	}
	if err := step("RCPT TO", c.Rcpt(m.To.Address)); err != nil {
		return err
	}
	w, err := c.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return step("DATA", err)
	}
	if err := step("end of DATA", w.Close()); err != nil {
		return err
	}
	_ = c.Quit() // the message is accepted; a failed goodbye changes nothing
	return nil
}

func (s *Sender) tlsConfig() *tls.Config {
	var c *tls.Config
	if s.cfg.TLS != nil {
		c = s.cfg.TLS.Clone()
	} else {
		c = &tls.Config{}
	}
	if c.ServerName == "" {
		c.ServerName = s.cfg.Host
	}
	if c.MinVersion == 0 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// IsPermanent reports whether err is the server's permanent refusal (a
// 5xx reply: no such user, message refused, bad credentials), which
// sending again will not change.
func IsPermanent(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500 && te.Code < 600
}
