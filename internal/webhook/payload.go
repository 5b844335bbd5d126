package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/porticohq/portico/internal/service"
)

// Message is the JSON body of a delivery: one event.
//
//	{
//	  "id": "5d3c7c2e-5f7e-4c47-9a53-6f1de0c1d0a4",
//	  "type": "hostname.verified",
//	  "created_at": "2026-03-14T15:09:26.535897Z",
//	  "zone_id": "3f2c9e0d8b7a4c1e9f6d5b4a3c2e1f0d",
//	  "data": {
//	    "hostname_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
//	    "hostname": "shop.example-customer.com",
//	    "status": "active",
//	    "previous_status": "pending",
//	    "reason": "ownership_proven"
//	  }
//	}
//
// zone_id is the Cloudflare dialect's zone id and the SaaS Custom Domains
// dialect's account uuid. Fields that do not apply are left out. New fields
// may be added; receivers ignore those they do not know.
type Message struct {
	ID        string      `json:"id"`
	Type      string      `json:"type"`
	CreatedAt time.Time   `json:"created_at"`
	ZoneID    string      `json:"zone_id"`
	Data      MessageData `json:"data"`
}

// MessageData is what the event is about.
type MessageData struct {
	HostnameID string `json:"hostname_id"`
	Hostname   string `json:"hostname"`
	// Status and PreviousStatus are the hostname statuses after and before
	// a hostname event.
	Status         string              `json:"status,omitempty"`
	PreviousStatus string              `json:"previous_status,omitempty"`
	Reason         string              `json:"reason,omitempty"`
	Certificate    *MessageCertificate `json:"certificate,omitempty"`
	// Error says why certificate.failed failed.
	Error string `json:"error,omitempty"`
}

// MessageCertificate describes the certificate of a certificate event.
type MessageCertificate struct {
	ID                   string     `json:"id,omitempty"`
	SerialNumber         string     `json:"serial_number,omitempty"`
	Issuer               string     `json:"issuer,omitempty"`
	CertificateAuthority string     `json:"certificate_authority,omitempty"`
	IssuedOn             *time.Time `json:"issued_on,omitempty"`
	ExpiresOn            *time.Time `json:"expires_on,omitempty"`
}

// NewMessage returns the message of an event.
func NewMessage(e service.Event) Message {
	m := Message{
		ID: e.ID, Type: string(e.Type), CreatedAt: e.At.UTC(), ZoneID: e.ZoneID,
		Data: MessageData{
			HostnameID: e.HostnameID, Hostname: e.Hostname, Status: string(e.ToStatus),
			PreviousStatus: string(e.FromStatus), Reason: e.Reason, Error: e.Error,
		},
	}
	if c := e.Certificate; c != nil {
		m.Data.Certificate = &MessageCertificate{ID: c.ID, SerialNumber: c.SerialNumber, Issuer: c.Issuer,
			CertificateAuthority: c.Authority, IssuedOn: optTime(c.NotBefore), ExpiresOn: optTime(c.ExpiresOn)}
	}
	return m
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// encodeMessage returns the body of m: compact JSON, HTML characters not
// escaped (the body is signed as sent, and receivers read JSON, not HTML).
func encodeMessage(m Message) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encoding webhook message %s: %w", m.ID, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
