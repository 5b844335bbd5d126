// Package testkit holds test-only helpers shared across Portico's packages:
// a fresh PostgreSQL database per test (pgtest), a real Portico node on
// loopback (node), secret scanners (secretscan), and API calls with a
// token (apicall). Nothing here is linked
// into the portico binary.
package testkit
