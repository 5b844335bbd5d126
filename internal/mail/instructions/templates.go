package instructions

import (
	"bytes"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/porticohq/portico/internal/service"
)

// view is what the templates see.
type view struct {
	Host     string
	Provider string
	WWW      string // the companion's name, when the domain redirects to www
	Records  []service.DNSRecord
}

const textBody = `Hello,

{{.Provider}} will serve {{.Host}} for you{{if .WWW}} (visitors of {{.Host}} are sent on to {{.WWW}}){{end}}.
To connect it, add these DNS records at your DNS provider:
{{range .Records}}
  {{.Type}} record
    Name:  {{.Name}}
    Value: {{.Value}}
    Why:   {{.Purpose}}
{{end}}
If a record of the same name and type exists already, replace it.
Once the records are published (DNS changes can take a while to spread),
we check them by ourselves and issue the TLS certificate: there is
nothing else to do.

-- {{.Provider}}
`

const htmlBody = `<!DOCTYPE html>
<html><body style="font-family: sans-serif">
<p>Hello,</p>
<p>{{.Provider}} will serve <strong>{{.Host}}</strong> for you{{if .WWW}} (visitors of {{.Host}} are sent on to {{.WWW}}){{end}}.
To connect it, add these DNS records at your DNS provider:</p>
<table cellpadding="6" style="border-collapse: collapse" border="1">
<tr><th>Type</th><th>Name</th><th>Value</th><th>Why</th></tr>
{{range .Records}}<tr><td>{{.Type}}</td><td><code>{{.Name}}</code></td><td><code>{{.Value}}</code></td><td>{{.Purpose}}</td></tr>
{{end}}</table>
<p>If a record of the same name and type exists already, replace it.
Once the records are published (DNS changes can take a while to spread),
we check them by ourselves and issue the TLS certificate: there is nothing else to do.</p>
<p>&mdash; {{.Provider}}</p>
</body></html>
`

var (
	textTmpl = texttemplate.Must(texttemplate.New("text").Parse(textBody))
	// html/template escapes every value: a name or value can never add
	// markup to the email.
	htmlTmpl = htmltemplate.Must(htmltemplate.New("html").Parse(htmlBody))
)

// render returns the plain text and HTML bodies of inst.
func render(inst service.Instructions) (string, string, error) {
	v := view{Host: inst.Domain.Hostname.Name, Provider: inst.Zone.Name, Records: inst.Records}
	if inst.Domain.WWW != nil {
		v.WWW = inst.Domain.WWW.Hostname.Name
	}
	var text, html bytes.Buffer
	if err := textTmpl.Execute(&text, v); err != nil {
		return "", "", err
	}
	if err := htmlTmpl.Execute(&html, v); err != nil {
		return "", "", err
	}
	return strings.TrimLeft(text.String(), "\n"), html.String(), nil
}
