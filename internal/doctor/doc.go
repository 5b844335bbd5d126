// Package doctor checks a Portico configuration against the machine and the
// DNS it will run in, for `portico doctor`: the master key, the database and
// its migrations, the listen addresses, the CA, the DNS a provider sets up
// (the CNAME target on the edge addresses, the DCV zone delegated to
// Portico's DNS server) and the CAA records that decide whether the CA may
// issue. Each check gives OK, WARN or FAIL with what to do about it.
//
// The checks only look: nothing is created, migrated or registered. A
// missing master key or database is reported as what `serve` will create,
// a database behind this binary's migrations is not migrated (and its zones
// are then not read), no ACME account is made, and a listen address is
// bound only for as long as it takes to close it again. A port already held
// by the running Portico (its API answers /healthz) is fine.
//
// Network checks go through the same code `serve` uses: the verification
// resolver (--resolver, else /etc/resolv.conf) and the ACME engine's CAA
// evaluation, so doctor and serve cannot disagree about what a record means.
package doctor
