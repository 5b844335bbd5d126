// Package mail sends email over SMTP: one message at a time, to one
// recipient, as plain text with an HTML alternative. It is what Portico's
// instruction emails go through (package mail/instructions decides what
// to send and when).
//
// The server is given as a URL, smtp://user:pass@host:port (STARTTLS
// whenever the server offers it) or smtps://user:pass@host:port (TLS from
// the first byte). Credentials are only ever sent over TLS, or to a
// server on the loopback interface; the password is never logged, printed
// or put in an error.
package mail
