package acme

import "context"

// ChallengePublisher makes challenge responses visible to the CA: HTTP-01
// responses on every edge node's port 80 listener, DNS-01 values in the DCV
// zone served by package authdns. The edge and authdns implement it (the
// daemon combines them); tests use a loopback HTTP server and
// authdns.MemRecords.
//
// Contract:
//
//   - Every method MUST be idempotent: the engine presents again after a
//     crash, and cleans up what may already be gone.
//   - Present* MUST return only once the response is visible to every
//     node that may be asked (every edge node for HTTP-01, every
//     authoritative nameserver for DNS-01), because the engine tells the CA
//     to validate right after (threat model B12, B13). An error means "not
//     published"; the engine retries later.
//   - PresentHTTP serves keyAuth as the body of
//     /.well-known/acme-challenge/<token> over plain HTTP, for requests
//     whose Host is identifier (the name being validated) only.
//   - PresentDNS adds value to the TXT values of the delegation label
//     (authdns.MemRecords.Add semantics: the label exists already, and a
//     name and its wildcard may have two values at once).
//   - Cleanup* withdraw one response; errors are logged, never retried.
//   - Implementations MUST be safe for concurrent use and SHOULD return
//     when ctx is done.
type ChallengePublisher interface {
	PresentHTTP(ctx context.Context, identifier, token, keyAuth string) error
	CleanupHTTP(ctx context.Context, identifier, token string) error
	PresentDNS(ctx context.Context, label, value string) error
	CleanupDNS(ctx context.Context, label, value string) error
}
