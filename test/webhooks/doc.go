// Package webhooks tests webhooks end to end: a real Portico node on
// loopback (SQLite and PostgreSQL), a real HTTPS receiver that checks every
// signature, endpoints managed through /api/v1/accounts/{account}/webhooks,
// and hostnames driven through the Cloudflare API and the verification path
// (a loopback DNS server holding the customer's TXT record).
package webhooks
