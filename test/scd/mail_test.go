package scd

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/daemon"
	pmail "github.com/porticohq/portico/internal/mail"
	"github.com/porticohq/portico/internal/mail/instructions"
	"github.com/porticohq/portico/internal/testkit/node"
	"github.com/porticohq/portico/internal/testkit/smtptest"
)

const smtpPassword = "smtp-pa55word-never-logged"

// withSMTP points a node at the SMTP server addr with a fast retry.
func withSMTP(addr string) (func(*config.Serve), daemon.Option) {
	return func(c *config.Serve) {
			c.Mail = config.Mail{SMTPURL: "smtp://portico:" + smtpPassword + "@" + addr, SMTPFrom: "SaaS Provider <domains@saasprovider.com>"}
			c.Verify.EdgeIPv4 = "203.0.113.10"
		}, daemon.WithMailTuning(func(w *instructions.Config, _ *pmail.Config) {
			w.Poll, w.MinBackoff, w.MaxBackoff = 50*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond
		})
}

// parts decodes a received message into its subject, text and HTML.
func parts(t *testing.T, data []byte) (subject, text, html string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			html = string(b)
		} else {
			text = string(b)
		}
	}
	return subject, text, html
}

// TestInstructionEmails: a domain created with an instructions_recipient
// gets an email (text and HTML) listing the exact DNS records, through a
// real SMTP server with STARTTLS-less loopback AUTH; a failing server is
// retried until it recovers, and the API call never waits for it.
func TestInstructionEmails(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			srv := smtptest.New(t, smtptest.Options{Users: map[string]string{"portico": smtpPassword}})
			mutate, opt := withSMTP(srv.Addr())
			e := newEnv(t, backend, mutate, opt)
			up, _ := e.upstream(t, e.a, form{"host": {"app.mysaas.com"}})

			path, d := e.domain(t, e.a, up, form{"host": {"shop.example-customer.com"}, "challenge_type": {"dns01"},
				"instructions_recipient": {"Owner <owner@example-customer.com>"}})
			if d["instructions_recipient"] != "owner@example-customer.com" || d["instructions_email_sent_at"] != nil {
				t.Errorf("created: %v", d)
			}
			got := srv.Wait(t, 1, 10*time.Second)[0]
			if got.To != "owner@example-customer.com" || got.From != "domains@saasprovider.com" || got.User != "portico" {
				t.Errorf("envelope %q -> %q as %q", got.From, got.To, got.User)
			}
			h := e.cf(t, e.a, "GET", "/"+hostnameID(d["uuid"].(string)), nil).JSON(t)["result"].(map[string]any)
			token := h["ownership_verification"].(map[string]any)["value"].(string)
			deleg := h["ssl"].(map[string]any)["dcv_delegation_records"].([]any)[0].(map[string]any)
			subject, text, html := parts(t, got.Data)
			if !strings.Contains(subject, "shop.example-customer.com") {
				t.Errorf("subject %q", subject)
			}
			for _, want := range []string{"shop.example-customer.com", "customers.saasprovider.com", "CNAME",
				"_cf-custom-hostname.shop.example-customer.com", token, deleg["cname"].(string), deleg["cname_target"].(string)} {
				if !strings.Contains(text, want) || !strings.Contains(html, want) {
					t.Errorf("the email lacks %q:\n%s", want, text)
				}
			}
			sent := e.waitDomain(t, e.a, path, "instructions_email_sent_at", func(d map[string]any) bool { return d["instructions_email_sent_at"] != nil })
			if !stampRE.MatchString(sent["instructions_email_sent_at"].(string)) {
				t.Errorf("instructions_email_sent_at %v", sent["instructions_email_sent_at"])
			}

			// An apex with a www redirect: A records on the edge address,
			// and the companion's CNAME.
			e.domain(t, e.a, up, form{"host": {"example-customer.com"}, "redirect_to_www": {"1"},
				"instructions_recipient": {"owner@example-customer.com"}})
			got = srv.Wait(t, 2, 10*time.Second)[1]
			_, text, _ = parts(t, got.Data)
			for _, want := range []string{"A record", "203.0.113.10", "www.example-customer.com", "_cf-custom-hostname.example-customer.com",
				"_cf-custom-hostname.www.example-customer.com"} {
				if !strings.Contains(text, want) {
					t.Errorf("the apex email lacks %q:\n%s", want, text)
				}
			}

			// The server fails for a while: the create answers at once, the
			// email is retried, and it goes out once the server recovers.
			srv.Fail(451, "4.3.0 mailbox temporarily unavailable")
			start := time.Now()
			path, _ = e.domain(t, e.a, up, form{"host": {"retry.example-customer.com"}, "instructions_recipient": {"owner@example-customer.com"}})
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("the create waited %v for the mail", d)
			}
			deadline := time.Now().Add(10 * time.Second)
			for srv.Attempts() < 5 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := srv.Attempts(); n < 5 {
				t.Fatalf("%d attempts against the failing server, want retries", n)
			}
			if d := e.must(t, http.StatusOK, e.a.Token, "GET", path, nil); d["instructions_email_sent_at"] != nil {
				t.Errorf("sent_at set while the server refuses: %v", d)
			}
			srv.Fail(0, "")
			srv.Wait(t, 3, 10*time.Second)
			e.waitDomain(t, e.a, path, "sent after recovery", func(d map[string]any) bool { return d["instructions_email_sent_at"] != nil })

			if strings.Contains(string(e.node.Logs.Bytes()), smtpPassword) {
				t.Error("the SMTP password is in the logs")
			}
			if !strings.Contains(string(e.node.Logs.Bytes()), "instruction email not sent; will retry") {
				t.Error("no retry was logged")
			}
			resp, err := http.Get(e.node.BaseURL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, line := range []string{`portico_mail_instruction_emails_total{outcome="sent"} 3`, `portico_mail_instruction_emails_total{outcome="retry"}`} {
				if !strings.Contains(string(metrics), line) {
					t.Errorf("/metrics lacks %s", line)
				}
			}
		})
	}
}

// TestInstructionEmailsSurviveRestart: an email that could not be sent
// before a node stopped is sent by the next node on the same database.
func TestInstructionEmailsSurviveRestart(t *testing.T) {
	for _, backend := range node.Backends {
		t.Run(backend, func(t *testing.T) {
			// The first node's SMTP server is a port nobody listens on.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			dead := ln.Addr().String()
			ln.Close()
			mutate, opt := withSMTP(dead)
			e := newEnv(t, backend, mutate, opt)
			up, _ := e.upstream(t, e.a, form{"host": {"app.mysaas.com"}})
			path, _ := e.domain(t, e.a, up, form{"host": {"shop.example-customer.com"}, "instructions_recipient": {"owner@example-customer.com"}})
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(string(e.node.Logs.Bytes()), "instruction email not sent; will retry") {
				if time.Now().After(deadline) {
					t.Fatal("no failed attempt against the dead server")
				}
				time.Sleep(20 * time.Millisecond)
			}
			e.node.Stop(t)

			srv := smtptest.New(t, smtptest.Options{Users: map[string]string{"portico": smtpPassword}})
			mutate2, opt2 := withSMTP(srv.Addr())
			first := e.node
			n2 := node.Start(t, backend, func(c *config.Serve) {
				mutate2(c)
				c.Database, c.Secrets.MasterKeyFile = first.Database, first.DataDir+"/master.key"
			}, opt2)
			e.node = n2
			got := srv.Wait(t, 1, 10*time.Second)[0]
			if got.To != "owner@example-customer.com" {
				t.Errorf("sent to %q", got.To)
			}
			e.waitDomain(t, e.a, path, "sent by the second node", func(d map[string]any) bool { return d["instructions_email_sent_at"] != nil })
		})
	}
}
