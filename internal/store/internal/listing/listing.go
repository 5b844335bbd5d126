// Package listing turns a store.HostnameQuery into SQL shared by both store
// implementations: the WHERE clause, the ORDER BY list and the page plan that
// keeps deep offsets cheap.
//
// Both schemas use the same column names (zone_id, id, name, status,
// ssl_status, ssl_method, ssl_wildcard, ssl_ca, custom_origin_server,
// created_at), and both compare text byte-wise (SQLite's BINARY collation,
// PostgreSQL columns declared COLLATE "C"), so one builder serves both.
package listing

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/store"
)

// Dialect is what differs between the two databases.
type Dialect struct {
	// ParamPrefix numbers placeholders: "?" gives ?1, ?2 (SQLite), "$" gives
	// $1, $2 (PostgreSQL).
	ParamPrefix string
	// Contains returns a boolean SQL expression that is true when column
	// contains param as a literal substring. Both databases have a
	// function for this (instr, strpos), which avoids LIKE and the escaping
	// of '%' and '_' altogether.
	Contains func(column, param string) string
}

// Filtered reports whether q restricts the rows, i.e. whether the total is
// something other than the zone's hostname count.
func Filtered(q store.HostnameQuery) bool {
	return q.ID != "" || q.NameExact != "" || q.NameContains != "" || q.NameStartsWith != "" ||
		q.HostnameStatus != "" || q.SSLStatus != "" || q.CertificateAuth != "" ||
		q.CustomOriginServer != "" || q.Wildcard != nil || q.HasActiveSSL != nil
}

// Unsatisfiable reports whether a text filter can match no stored row because
// it is not valid UTF-8 or holds a NUL byte. Stored names never are, and
// PostgreSQL refuses such parameters outright, so both stores answer an empty
// page without asking the database.
func Unsatisfiable(q store.HostnameQuery) bool {
	for _, s := range []string{q.ID, q.NameExact, q.NameContains, q.NameStartsWith, string(q.HostnameStatus),
		string(q.SSLStatus), q.CertificateAuth, q.CustomOriginServer} {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return true
		}
	}
	return false
}

// Where returns the WHERE clause (without the keyword) selecting the zone's
// rows that match q, and its arguments; zoneID is always the first.
func Where(d Dialect, zoneID string, q store.HostnameQuery) (string, []any) {
	w := &where{d: d}
	w.add("zone_id = %", zoneID)
	if q.ID != "" {
		w.add("id = %", q.ID)
	}
	if q.NameExact != "" {
		w.add("name = %", q.NameExact)
	}
	if q.NameStartsWith != "" {
		// A range rather than LIKE 'p%': it needs no escaping and both
		// databases run it on the (zone_id, name) index.
		w.add("name >= %", q.NameStartsWith)
		if end, ok := PrefixEnd(q.NameStartsWith); ok {
			w.add("name < %", end)
		}
	}
	if q.NameContains != "" {
		w.args = append(w.args, q.NameContains)
		w.conds = append(w.conds, d.Contains("name", w.param()))
	}
	if q.HostnameStatus != "" {
		w.add("status = %", string(q.HostnameStatus))
	}
	if q.SSLStatus != "" {
		w.add("ssl_status = %", string(q.SSLStatus))
	}
	if q.CertificateAuth != "" {
		w.add("ssl_ca = %", q.CertificateAuth)
	}
	if q.CustomOriginServer != "" {
		w.add("custom_origin_server = %", q.CustomOriginServer)
	}
	if q.Wildcard != nil {
		w.add("ssl_wildcard = %", *q.Wildcard)
	}
	if q.HasActiveSSL != nil {
		if *q.HasActiveSSL {
			w.add("ssl_status = %", string(core.SSLActive))
		} else {
			w.add("ssl_status <> %", string(core.SSLActive))
		}
	}
	return strings.Join(w.conds, " AND "), w.args
}

type where struct {
	d     Dialect
	conds []string
	args  []any
}

// add appends cond with its one '%' replaced by the next placeholder.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.Replace(cond, "%", w.param(), 1))
}

func (w *where) param() string { return w.d.ParamPrefix + strconv.Itoa(len(w.args)) }

// OrderBy returns the ORDER BY list for q. Ties are broken by created_at,
// then id, so pages are stable; Desc flips every key, which keeps the whole
// order one direction of an index. reverse flips it once more, for reading
// a deep page from the far end (see Plan).
func OrderBy(q store.HostnameQuery, reverse bool) string {
	keys := []string{"created_at", "id"}
	switch q.Order {
	case store.OrderSSL:
		keys = append([]string{"ssl_method"}, keys...)
	case store.OrderSSLStatus:
		keys = append([]string{"ssl_status"}, keys...)
	case store.OrderHostname:
		// Names are unique in a zone: the tie-breakers would never be used.
		keys = []string{"name"}
	}
	dir := " ASC"
	if q.Desc != reverse {
		dir = " DESC"
	}
	return strings.Join(keys, dir+", ") + dir
}

// PrefixEnd returns the smallest string greater than every string that has
// prefix p, comparing byte-wise; ok is false when there is none (p is empty
// or all U+10FFFF). It increments the last code point rather than the last
// byte so that the bound stays valid UTF-8, which PostgreSQL requires; for
// valid UTF-8 the two bounds select the same strings because UTF-8 byte
// order is code point order.
func PrefixEnd(p string) (string, bool) {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		switch {
		case r == utf8.MaxRune || r == utf8.RuneError && size == 1:
			continue // no successor in this position: carry
		case r == 0xD7FF:
			r = 0xE000 // skip the surrogates, which UTF-8 cannot encode
		default:
			r++
		}
		return p + string(r), true
	}
	return "", false
}

// Plan says how to read one page once the total is known.
type Plan struct {
	// Empty: the page is empty, do not query.
	Empty bool
	// Offset and Limit to use in SQL, in the direction Reverse says.
	Offset, Limit int
	// Reverse: read in the opposite order, then reverse the page in memory.
	Reverse bool
}

// PagePlan plans the page [offset, offset+limit) of total rows (limit <= 0:
// to the end). A database walks OFFSET rows one by one, so a page past the
// middle is read from the other end with the mirrored offset: the last page
// of a million rows then costs what the first does.
func PagePlan(total, offset, limit int) Plan {
	if offset < 0 {
		offset = 0
	}
	if offset >= total {
		return Plan{Empty: true}
	}
	n := total - offset
	if limit > 0 && limit < n {
		n = limit
	}
	if offset > total/2 {
		return Plan{Offset: total - offset - n, Limit: n, Reverse: true}
	}
	return Plan{Offset: offset, Limit: n}
}
