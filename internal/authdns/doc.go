// Package authdns is Portico's authoritative DNS server for the DCV
// delegation zone (--dcv-zone, e.g. dcv.saasprovider.com), the target of the
// customers' "_acme-challenge.<host> CNAME <label>.<dcv-zone>" records.
//
// A customer adds the CNAME once, when the custom hostname is created; from
// then on every DNS-01 challenge, first issuance and renewals alike, is
// answered here and needs nothing more from them. The label is random
// (NewLabel) rather than derived from the hostname, and it stops answering
// (NXDOMAIN) as soon as the hostname is deleted: a CNAME left behind by a
// churned customer points at a dead name, and a new tenant claiming the same
// host gets a different label, so old delegations never validate for anyone
// (threat model A4).
//
// The server answers as little as it can (threat model A15):
//
//   - names outside the zone are REFUSED, and recursion is never offered, so
//     it is not an open resolver;
//   - the apex has SOA and NS; each label has at most MaxValues TXT records;
//     nothing exists more than one label below the zone (NXDOMAIN);
//   - ANY is answered, per RFC 8482, with one synthesized HINFO "RFC8482"
//     record, never with the data, so it cannot be used for amplification;
//   - zone transfers are REFUSED: they would list every label;
//   - opcodes other than QUERY get NOTIMP, messages with more than one
//     question or with answer or authority records get FORMERR, and
//     undecodable messages get FORMERR or nothing;
//   - UDP answers fit the client's buffer, capped at 1232 bytes, with TC set
//     when they do not, so the client retries over TCP.
//
// The TXT values come from a Records implementation: MemRecords in memory,
// or the store (a RecordsFunc over the database). Each lookup runs under a
// short deadline, and the server answers SERVFAIL rather than wait.
package authdns
