// Package acme obtains managed certificates for custom hostnames from any
// ACME CA (Let's Encrypt, Google Trust Services, SSL.com, a private CA) on
// acmez's low-level acme package, with Portico's own persisted lifecycle.
//
// # The write-ahead record
//
// Each certificate request is an Issuance, stored through an OrderStore. The
// engine (Issuer) advances an Issuance one Step at a time, and every step is
// saved, by compare-and-swap on Version, before the next network call:
//
//	new -> ordered -> authorized -> challenge_ready -> challenge_submitted
//	    -> finalizing -> downloaded -> done          (or failed)
//
// A process killed at any point resumes from the stored URLs: an order is
// placed only at StepNew, so a crash costs at most the one order whose URL
// was not yet saved; a finalized order is re-polled and its certificate
// downloaded, never re-ordered; the certificate key is generated once per
// order and kept sealed (package secrets) in the record.
//
// # Outcomes
//
// Step and Run return nil when they made progress (Run: when the Issuance is
// done), an error wrapping ErrPostponed (a *PostponedError with the time to
// come back) when the Issuance waits, and an error wrapping ErrFailed when it
// will not be tried again. Failures are classified:
//
//   - transient (network, 5xx, exhausted badNonce retries, a slow CA): the
//     step is kept and retried with exponential backoff (RetryDelay);
//   - rate limited: retried at the CA's Retry-After, nothing counted;
//   - validation failed (the CA could not validate, the order went invalid):
//     the plain-words reason goes to ValidationErrors, Attempts grows, and a
//     fresh order is placed after Backoff(Attempts) (1 min, 10 min, 100 min,
//     then daily, as Let's Encrypt asks);
//   - CAA forbids the CA: no order is placed, ValidationErrors says
//     "caa_forbids: ..." and the Issuance backs off like a validation failure;
//   - CAA could not be looked up: postponed, not counted as an attempt;
//   - configuration (unknown CA, wildcard without DNS-01, deadline passed):
//     failed.
//
// # Challenges
//
// HTTP-01 is answered by the edge on every node and DNS-01 by package
// authdns, through the customer's "_acme-challenge" CNAME into the DCV zone;
// the engine reaches both through a ChallengePublisher. Non-wildcard names
// use HTTP-01 when the method is http or when the hostname already points at
// Portico (Issuance.HTTPReady); wildcards always use DNS-01.
//
// Renewal timing (RenewalTime, Backoff, RetryDelay) is a set of pure
// functions of a clock reading, for the scheduler to call.
package acme
