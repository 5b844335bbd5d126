package columns

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/core"
)

func TestEmptyIsNull(t *testing.T) {
	if Strings(nil) != nil || Strings([]string{}) != nil || Settings(core.TLSSettings{}) != nil ||
		Records(nil) != nil || Metadata(nil) != nil || Metadata(json.RawMessage{}) != nil {
		t.Error("an empty value did not encode as NULL")
	}
}

func TestRoundTrip(t *testing.T) {
	list := []string{"a", `"quoted"`, "ünïcode", ""}
	gotList, err := ParseStrings(Strings(list))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(list, gotList); d != "" {
		t.Errorf("strings (-want +got):\n%s", d)
	}

	set := core.TLSSettings{MinTLSVersion: "1.3", Ciphers: []string{"AES128-SHA"}}
	gotSet, err := ParseSettings(Settings(set))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(set, gotSet); d != "" {
		t.Errorf("settings (-want +got):\n%s", d)
	}
	if got := *Settings(set); got != `{"min_tls_version":"1.3","ciphers":["AES128-SHA"]}` {
		t.Errorf("settings encode as %s: empty fields must be left out", got)
	}

	recs := []core.ValidationRecord{{TXTName: "n", TXTValue: "v"}, {Emails: []string{"a@b"}, Status: "pending"}}
	gotRecs, err := ParseRecords(Records(recs))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(recs, gotRecs); d != "" {
		t.Errorf("records (-want +got):\n%s", d)
	}

	meta := json.RawMessage(`{ "b": 1,  "a": [true] }`)
	if got := ParseMetadata(Metadata(meta)); string(got) != string(meta) {
		t.Errorf("metadata = %s, want it verbatim", got)
	}
}

func TestParseErrors(t *testing.T) {
	bad := "{not json"
	if _, err := ParseStrings(&bad); err == nil {
		t.Error("ParseStrings accepted bad JSON")
	}
	if _, err := ParseSettings(&bad); err == nil {
		t.Error("ParseSettings accepted bad JSON")
	}
	if _, err := ParseRecords(&bad); err == nil {
		t.Error("ParseRecords accepted bad JSON")
	}
}
