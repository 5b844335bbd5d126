package config

import (
	"strings"
	"testing"
)

func TestMailValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Mail
		ok   bool
	}{
		{"off", Mail{}, true},
		{"on", Mail{SMTPURL: "smtp://u:p@mail.example.com:587", SMTPFrom: "SaaS <domains@saas.example>"}, true},
		{"implicit TLS", Mail{SMTPURL: "smtps://mail.example.com", SMTPFrom: "domains@saas.example"}, true},
		{"from without url", Mail{SMTPFrom: "domains@saas.example"}, false},
		{"url without from", Mail{SMTPURL: "smtp://mail.example.com"}, false},
		{"bad scheme", Mail{SMTPURL: "http://u:topsecret@mail.example.com", SMTPFrom: "domains@saas.example"}, false},
		{"bad from", Mail{SMTPURL: "smtp://mail.example.com", SMTPFrom: "not an address"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && strings.Contains(err.Error(), "topsecret") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}
