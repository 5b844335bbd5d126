package mail

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/testkit/smtptest"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Config // Password compared separately
		pass string
		err  bool
	}{
		{in: "smtp://mail.example.com", want: Config{Host: "mail.example.com", Port: 587}},
		{in: "smtp://u%40x:p%3Ass@mail.example.com:25", want: Config{Host: "mail.example.com", Port: 25, Username: "u@x"}, pass: "p:ss"},
		{in: "smtps://user:secret@[::1]:2465", want: Config{Host: "::1", Port: 2465, ImplicitTLS: true, Username: "user"}, pass: "secret"},
		{in: "SMTPS://mail.example.com/", want: Config{Host: "mail.example.com", Port: 465, ImplicitTLS: true}},
		{in: "http://mail.example.com", err: true},
		{in: "smtp://", err: true},
		{in: "smtp://mail.example.com:0", err: true},
		{in: "smtp://mail.example.com:99999", err: true},
		{in: "smtp://mail.example.com/path", err: true},
		{in: "smtp://mail.example.com?x=1", err: true},
		{in: "mail.example.com:25", err: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseURL(tc.in)
			if tc.err {
				if err == nil {
					t.Fatalf("accepted: %+v", got)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("the error repeats the URL: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Password) != tc.pass {
				t.Errorf("password %q, want %q", string(got.Password), tc.pass)
			}
			got.Password = ""
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

// TestPasswordNeverPrints: no formatting verb shows the password.
func TestPasswordNeverPrints(t *testing.T) {
	c, err := ParseURL("smtp://user:hunter2-secret@mail.example.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), c.String(),
		fmt.Sprintf("%v %#v", c.Password, c.Password)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("printed: %s", s)
		}
	}
	if c.String() != "smtp://user@mail.example.com:587" {
		t.Errorf("String() = %q", c.String())
	}
}

func testMessage(to string) Message {
	from, _ := ParseFrom("Portico <noreply@saasprovider.com>")
	rcpt, _ := mail.ParseAddress(to)
	return Message{
		From: from, To: rcpt,
		Subject: "Point shop.example-customer.com at us — ünïcode\r\nBcc: evil@example.com",
		Text:    "Add this record:\n\nshop.example-customer.com CNAME customers.saasprovider.com\n" + strings.Repeat("long line ", 20) + "\n",
		HTML:    "<p>Add <code>CNAME</code> &amp; wait.</p>",
	}
}

// readBack parses a received message into its headers, text and HTML.
func readBack(t *testing.T, data []byte) (mail.Header, string, string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var parts []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Transfer-Encoding") != "quoted-printable" && p.Header.Get("Content-Type") == "" {
			t.Errorf("part headers %v", p.Header)
		}
		// multipart.Reader decodes quoted-printable itself and drops the
		// header; read the rest as is.
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p.Header.Get("Content-Type")+"\n"+string(b))
	}
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "text/plain; charset=utf-8\n") || !strings.HasPrefix(parts[1], "text/html; charset=utf-8\n") {
		t.Fatalf("parts %q", parts)
	}
	return m.Header, strings.SplitN(parts[0], "\n", 2)[1], strings.SplitN(parts[1], "\n", 2)[1]
}

func TestMessageBytes(t *testing.T) {
	m := testMessage("Owner <owner@example-customer.com>")
	b, err := m.Bytes(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\r\n") {
		if len(line) > 998 {
			t.Errorf("a line of %d bytes", len(line))
		}
		if strings.HasPrefix(line, "Bcc:") {
			t.Error("the subject injected a header")
		}
	}
	hdr, text, html := readBack(t, b)
	subject, err := new(mime.WordDecoder).DecodeHeader(hdr.Get("Subject"))
	if err != nil || subject != "Point shop.example-customer.com at us — ünïcode  Bcc: evil@example.com" {
		t.Errorf("subject %q (%v)", subject, err)
	}
	if hdr.Get("MIME-Version") != "1.0" || !strings.HasSuffix(hdr.Get("Message-Id"), "@saasprovider.com>") || hdr.Get("Date") == "" {
		t.Errorf("headers %v", hdr)
	}
	if want := strings.ReplaceAll(m.Text, "\n", "\r\n"); text != want {
		t.Errorf("text %q, want %q", text, want)
	}
	if html != m.HTML {
		t.Errorf("html %q", html)
	}
}

func TestSend(t *testing.T) {
	serverTLS, roots := smtptest.TLSPair(t)
	users := map[string]string{"portico": "s3cret-pass"}
	for _, tc := range []struct {
		name     string
		opts     smtptest.Options
		scheme   string
		user     string
		wantTLS  bool
		wantUser string
	}{
		{"plain, no auth", smtptest.Options{}, "smtp", "", false, ""},
		{"plain loopback with auth", smtptest.Options{Users: users}, "smtp", "portico:s3cret-pass", false, "portico"},
		{"STARTTLS offered, used", smtptest.Options{TLS: serverTLS, Users: users}, "smtp", "portico:s3cret-pass", true, "portico"},
		{"implicit TLS", smtptest.Options{TLS: serverTLS, Implicit: true, Users: users}, "smtps", "portico:s3cret-pass", true, "portico"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := smtptest.New(t, tc.opts)
			at := ""
			if tc.user != "" {
				at = tc.user + "@"
			}
			cfg, err := ParseURL(tc.scheme + "://" + at + srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			cfg.TLS = &tls.Config{RootCAs: roots}
			s := NewSender(cfg, nil)
			if err := s.Send(t.Context(), testMessage("owner@example-customer.com")); err != nil {
				t.Fatal(err)
			}
			got := srv.Wait(t, 1, 5*time.Second)[0]
			if got.From != "noreply@saasprovider.com" || got.To != "owner@example-customer.com" || got.TLS != tc.wantTLS || got.User != tc.wantUser {
				t.Errorf("received from %q to %q tls %v user %q", got.From, got.To, got.TLS, got.User)
			}
			readBack(t, got.Data)
		})
	}
}

func TestSendFailures(t *testing.T) {
	serverTLS, roots := smtptest.TLSPair(t)
	srv := smtptest.New(t, smtptest.Options{TLS: serverTLS, Users: map[string]string{"portico": "right"}})
	send := func(url string) error {
		cfg, err := ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLS = &tls.Config{RootCAs: roots}
		cfg.Timeout = 3 * time.Second
		return NewSender(cfg, nil).Send(t.Context(), testMessage("owner@example-customer.com"))
	}
	base := "smtp://portico:right@" + srv.Addr()

	err := send("smtp://portico:wrong-password-xyz@" + srv.Addr())
	if err == nil || !IsPermanent(err) || strings.Contains(err.Error(), "wrong-password-xyz") {
		t.Errorf("bad credentials: %v (permanent %v)", err, IsPermanent(err))
	}
	srv.Fail(451, "try again later")
	if err := send(base); err == nil || IsPermanent(err) {
		t.Errorf("451: %v (permanent %v)", err, IsPermanent(err))
	}
	srv.Fail(550, "no such user")
	if err := send(base); err == nil || !IsPermanent(err) {
		t.Errorf("550: %v (permanent %v)", err, IsPermanent(err))
	}
	srv.Fail(0, "")
	if err := send(base); err != nil {
		t.Errorf("after recovery: %v", err)
	}

	// TLS that does not verify is a (temporary) failure, not a fallback
	// to plain text.
	cfg, _ := ParseURL(base)
	cfg.Timeout = 3 * time.Second
	if err := NewSender(cfg, nil).Send(t.Context(), testMessage("owner@example-customer.com")); err == nil {
		t.Error("an unverified STARTTLS certificate was accepted")
	}

	// Nothing listening: a dial error; a server that never answers: the
	// timeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	start := time.Now()
	cfg = Config{Host: "127.0.0.1", Port: port, Timeout: 300 * time.Millisecond}
	if err := NewSender(cfg, nil).Send(t.Context(), testMessage("owner@example-customer.com")); err == nil {
		t.Error("a silent server did not fail the send")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the timeout took %v", d)
	}
	ln.Close()
	cfg.Port, _ = strconv.Atoi(strconv.Itoa(port))
	if err := NewSender(cfg, nil).Send(t.Context(), testMessage("owner@example-customer.com")); err == nil {
		t.Error("a closed port did not fail the send")
	}
}
