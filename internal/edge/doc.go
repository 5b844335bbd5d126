// Package edge is what visitors of custom hostnames reach: it terminates
// TLS with each hostname's certificate, routes requests to the hostname's
// origin, and answers ACME HTTP-01 challenges and ownership tokens on plain
// HTTP. One Edge serves one hostname or a million.
//
// # Listeners
//
// HTTPS (HTTP/1.1 and HTTP/2) and plain HTTP (serveHTTP:
// HTTP-01, ownership tokens, redirects, a page for pending and unknown
// names). Every timeout is set (Config), headers are capped (431), HTTP/2
// streams are capped per connection, and Go's HTTP/1.1 parser refuses the
// request smuggling vectors (ambiguous lengths, bad Transfer-Encoding).
//
// # Two paths for HTTPS
//
// h1conn.go accepts HTTPS connections and runs their handshakes. An
// HTTP/1.1 connection is served by the edge's own request loop, which
// proxies bodiless GET, HEAD and OPTIONS requests, and POST, PUT, PATCH and
// DELETE with a small body, itself (h1parse.go,
// h1relay.go) on the synchronous origin transport (fastpath.go). At the
// first request it will not proxy, it hands the connection, with the bytes
// it read, to an http.Server running serveHTTPS and ReverseProxy. The loop
// parses a strict subset of what net/http parses (FuzzParseHead checks
// that), so it never reads a request differently; TestLoopMatchesNetHTTP
// checks that both paths put the same bytes on both wires.
//
// An HTTP/2 connection is served by the edge's own HTTP/2 loop (h2conn.go,
// h2stream.go, h2relay.go): x/net's Framer and HPACK for the frames, its
// own streams, flow control and limits, and the same relay to the origin.
// HTTP/2 cannot hand a connection over mid-way, so this loop answers
// everything itself, the edge's own answers included (421, redirects, the
// 502/504 pages). TestH2LoopMatchesNetHTTP compares it with net/http's
// HTTP/2 server, the h2hardening tests and h2spec hold it to RFC 9113 and
// the threat model. NetHTTPOnly turns both loops off.
//
// # What is in memory, and what is loaded
//
// Two things must hold together: the TLS handshake never waits on the
// database for a name the edge does not serve (so a flood of made-up SNIs
// costs nothing), and memory follows the hostnames actually served, not
// the million stored. The edge therefore keeps two structures:
//
//   - The index (index.go): the set of names that are active, as 64-bit
//     hashes in open-addressing tables, about 16 bytes a name (16 MiB for a
//     million), with wildcards kept by their base. It answers "is this name
//     served?" in ~70 ns with no allocation, and a name it does not hold is
//     rejected (unrecognized_name) from memory alone. It is exact, not a
//     Bloom filter: a false positive needs a 64-bit hash collision (n/2^64),
//     and costs one lookup that finds nothing.
//   - The route cache (certcache.go): for hostnames being served, the
//     parsed certificates (keys opened with the master key), the per-host
//     tls.Config, the origin and its reverse proxy. It is bounded
//     (Config.CacheSize) and evicts approximately the least recently used.
//
// The index is loaded at start by paging through the names of active
// hostnames (a partial index of the database); Start returns as soon as the
// listeners are bound and the load runs in the background (Ready). Measured
// on the 2-core CI machine with SQLite: a million names load in about 1.1 s
// into 16 MiB; Start itself takes microseconds. Handshakes that arrive
// before the load finishes wait for it, at most Config.LoadWait.
//
// The trade-off: a hostname that is active but not in the route cache (its
// first handshake since start, or since it was evicted) is loaded from the
// database during that handshake: two indexed queries and a key opening,
// about 0.3–1 ms on SQLite, bounded by Config.LoadWait and shared by
// concurrent handshakes for the same name. That is the only handshake that
// touches I/O, and only an active hostname's name can cause it. The
// alternative, every certificate in memory, costs about 3 KiB a hostname
// (3 GiB a million) and a start-up that decrypts them all; a Bloom filter
// instead of exact hashes would save a few MiB but let a random-SNI flood
// through to the database at its false positive rate.
//
// When the database is down, cached hostnames keep being served, changes
// stop arriving, and a cold hostname cannot be loaded (its handshake gets
// unrecognized_name after LoadWait). An edge that restarts while the
// database is down serves nothing until it returns: there is no local copy
// of keys on disk (threat model F5 is not supported).
//
// # Keeping memory current
//
// The store writes a change feed from database triggers, in the same
// transaction as every hostname, certificate and fallback origin write
// (store.EdgeSource). The edge reads it every Config.PollInterval (250 ms),
// at once when PostgreSQL NOTIFYs, and at once when the service on this
// node calls HostnameChanged after a commit. Each change refreshes one
// name: the index entry, and the route if it is cached (a cold hostname
// stays cold). A fallback origin change refreshes the zone's cached routes.
// An edge that falls far behind (a bulk import, a long disconnection)
// reloads the index instead.
//
// # Routing
//
// SNI selects the certificate: the exact hostname, then a wildcard one
// label up; an exact hostname shadows a wildcard of another tenant; a
// custom certificate is preferred to a managed one, and crypto/tls picks
// the RSA or ECDSA one the client supports. The request's Host must name
// the same hostname as the SNI (else 421). The request goes to the
// hostname's custom origin, else its zone's fallback; see proxy.go for the
// headers the origin receives.
package edge
