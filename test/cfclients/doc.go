// Package cfclients tests Portico's Cloudflare dialect with Cloudflare's own
// Go clients, cloudflare-go v0 (legacy) and v7, unchanged but for the base URL
// and token, against a real Portico node on loopback, on SQLite and on
// PostgreSQL.
package cfclients
