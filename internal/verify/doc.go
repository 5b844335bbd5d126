// Package verify decides whether the owner of a custom hostname has proven
// control of it now, and notices when the customer leaves.
//
// It has four parts; the first three are free of storage:
//
//   - Resolver, the DNS as verification sees it, with DNSResolver over real
//     servers (--resolver, or SystemServers). Its one rule that everything
//     else leans on: a lookup that could not be done (SERVFAIL, timeout) is
//     ErrUnavailable, "could not check", and never "not there".
//   - Checker, which runs the proofs of one hostname (the TXT token, the
//     CNAME to the zone's target, the HTTP token) and reports a Result in
//     plain words. Its HTTP fetches resolve names through the same Resolver
//     (Dialer).
//   - NextCheck and Decide, pure functions of time: when to check, and what
//     a Result means for the hostname's status.
//   - Scheduler, which runs the checks when the schedule in the database
//     (store.Checks) says they are due, applies the verdicts through the
//     service (compare-and-swap, audit), settles conflicts between zones
//     holding one name (conflicts.go), blocks what the operator's blocklist
//     covers, and offers CheckNow (a refresh) and CheckSoon (the edge's
//     hint). Its clock is injected: tests drive it with RunOnce under a
//     fake clock.
//
// The ownership token is never logged or copied into a Result.
package verify
