package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Message is one email to one recipient: plain text with an HTML
// alternative.
type Message struct {
	From    *mail.Address
	To      *mail.Address
	Subject string
	Text    string
	HTML    string
}

// Bytes renders m as an RFC 5322 message: headers, then a
// multipart/alternative body of the text and the HTML parts (in that
// order: clients show the last one they can), each quoted-printable UTF-8.
// Header values cannot carry a line break: addresses are parsed ones, and
// the subject's breaks become spaces.
func (m Message) Bytes(date time.Time) ([]byte, error) {
	if m.From == nil || m.To == nil {
		return nil, fmt.Errorf("a message needs a sender and a recipient")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ ctype, content string }{
		{"text/plain; charset=utf-8", m.Text},
		{"text/html; charset=utf-8", m.HTML},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(strings.ReplaceAll(part.content, "\r\n", "\n"))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	domain := "portico.invalid"
	if at := strings.LastIndexByte(m.From.Address, '@'); at >= 0 {
		domain = m.From.Address[at+1:]
	}
	subject := strings.NewReplacer("\r", " ", "\n", " ").Replace(m.Subject)
	var out bytes.Buffer
	for _, h := range [][2]string{
		{"From", m.From.String()},
		{"To", m.To.String()},
		{"Subject", mime.QEncoding.Encode("utf-8", subject)},
		{"Date", date.Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id[:]) + "@" + domain + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "multipart/alternative; boundary=" + mw.Boundary()},
	} {
		out.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	out.WriteString("\r\n")
	// The multipart writer ends lines with \r\n; quoted-printable bodies
	// end theirs with \r\n too.
	out.Write(body.Bytes())
	return out.Bytes(), nil
}
