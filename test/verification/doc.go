// Package verification tests ownership verification end to end: a real
// Portico node on loopback (SQLite and PostgreSQL) whose --resolver is a
// loopback DNS server, driven only through the Cloudflare API with
// cloudflare-go v0, as a SaaS provider's code would drive it. The node runs
// on a fake clock, so that "three hours later" is a call, while its
// scheduler polls in real time.
package verification
