// Package core is Portico's domain: zones, custom hostnames, their SSL
// configuration and certificates, fallback origins and API tokens, with the
// typed status sets of the Cloudflare for SaaS model and the transition tables
// that say which status changes are legal.
//
// core does no I/O and imports only the standard library. Storage, HTTP and
// DNS live in other packages that depend on this one, never the reverse.
package core
