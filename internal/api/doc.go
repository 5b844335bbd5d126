// Package api is the HTTP plumbing shared by Portico's API dialects (the
// Cloudflare dialect in api/cfapi, the SaaS Custom Domains dialect later):
// handlers that return errors, request ids, a request-logging and Prometheus
// middleware, and a bounded JSON body reader.
//
// Nothing here knows a dialect's envelope or error codes. Each dialect passes
// an ErrorWriter that renders a *core.Error its own way, so one domain error
// can be a Cloudflare "errors[]" envelope on one route and another shape on
// another.
package api
