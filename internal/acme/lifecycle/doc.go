// Package lifecycle keeps every served custom hostname's managed certificate
// issued and renewed, with no human in the loop, on top of the issuance
// engine (package acme) and the store's ACME records (store.Issuances).
//
// # One queue
//
// Every certificate request is an acme.Issuance in the database, and the
// Issuances table is the whole schedule: a first issuance is created when
// its hostname becomes active (ownership proven: no order is ever placed
// for an unproven name, threat model G1); the commit of a certificate
// creates the next record at once, a renewal due at acme.RenewalTime (or at
// the next ARI poll, when the CA offers ARI). Workers on any node claim due
// records with a lease (store.Issuances.ClaimDueIssuances) and step them
// with the engine, so a restart, a crash or a second node never loses or
// duplicates work.
//
// # What the API shows
//
// After each step the record's state is mirrored into the hostname's ssl
// object (service.SetSSLState): initializing, pending_validation with the
// validation records, pending_issuance, then active; validation errors in
// plain words. A renewal in progress leaves an active status alone.
//
// # Hooks
//
// The Manager is a service hook: a hostname that becomes active gets its
// record, a refresh restarts a failed one, and a hostname that is moved,
// deleted or blocked, or gets an uploaded certificate, has its live record
// cancelled (renewals stop). Hooks only queue work. A hook lost in a crash
// is made good at the next start (Reconcile: active hostnames whose
// certificate is not active).
package lifecycle
