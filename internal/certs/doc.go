// Package certs checks certificates that SaaS providers upload for their
// custom hostnames, the way Cloudflare's custom certificate upload does, and
// returns the chain the edge should serve.
//
// The one entry point is ParseCustom. Every refusal is a *core.Error of kind
// core.KindInvalid whose Reason is one of the Reason constants (each
// maps to a Cloudflare error code) and whose Public text is a plain English
// sentence that never contains key material. The input is treated as hostile:
// sizes and certificate counts are bounded before any expensive work.
package certs
