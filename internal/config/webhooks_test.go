package config

import (
	"testing"
	"time"
)

func TestWebhookFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		environ []string
		wantErr string // substring; "" means valid
		check   func(t *testing.T, w Webhooks)
	}{
		{name: "defaults", check: func(t *testing.T, w Webhooks) {
			want := Webhooks{WebhookWorkers: 4, WebhookTimeout: 10 * time.Second, WebhookRetryWindow: 24 * time.Hour,
				WebhookRetention: 720 * time.Hour}
			if w != want {
				t.Errorf("defaults %+v, want %+v", w, want)
			}
		}},
		{name: "from env", environ: []string{"PORTICO_WEBHOOK_ALLOW_HTTP=true", "PORTICO_WEBHOOK_WORKERS=8"},
			check: func(t *testing.T, w Webhooks) {
				if !w.WebhookAllowHTTP || w.WebhookWorkers != 8 || w.WebhookAllowPrivate {
					t.Errorf("from env: %+v", w)
				}
			}},
		{name: "negative workers", args: []string{"--webhook-workers", "-1"}, wantErr: "--webhook-workers"},
		{name: "negative timeout", args: []string{"--webhook-timeout", "-1s"}, wantErr: "--webhook-timeout"},
		{name: "long timeout", args: []string{"--webhook-timeout", "10m"}, wantErr: "--webhook-timeout"},
		{name: "retention below the window", args: []string{"--webhook-retention", "1h"}, wantErr: "--webhook-retention"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w Webhooks
			parseValidate(t, &w, tt.args, tt.environ, tt.wantErr)
			if tt.check != nil {
				tt.check(t, w)
			}
		})
	}
	if err := (Webhooks{}).Validate(); err != nil {
		t.Errorf("zero Webhooks: %v", err)
	}
}
