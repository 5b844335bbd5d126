package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/porticohq/portico/internal/core"
)

// MaxBodyBytes caps a request body. The largest legitimate body is a custom
// certificate bundle (two chains and two keys, a few tens of KiB).
const MaxBodyBytes = 1 << 20

// Reasons of the errors DecodeJSON returns.
const (
	ReasonBadJSON      = "bad_json"
	ReasonBodyTooLarge = "body_too_large"
)

// DecodeJSON reads r's body (at most MaxBodyBytes) into v.
//
// Unknown keys are ignored: real clients send deprecated and read-only fields
// (cloudflare-go v0 echoes ssl.cname, txt_name, certificates[] ...) and a
// harmless extra key must never fail a request. An empty body decodes as {}.
// What is refused: bodies that are not JSON, that hold more than one value,
// whose values have the wrong type, or that are too large. Every refusal is a
// *core.Error of KindInvalid with reason ReasonBadJSON or ReasonBodyTooLarge.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return nil // no body at all: the zero value of v, as for "{}"
	}
	if err == nil {
		// Exactly one JSON value: anything after it but white space is an error.
		if _, err2 := dec.Token(); !errors.Is(err2, io.EOF) {
			err = errors.New("unexpected data after the JSON object")
		}
	}
	if err == nil {
		return nil
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &core.Error{Kind: core.KindInvalid, Reason: ReasonBodyTooLarge, Err: err,
			Public: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
	}
	return &core.Error{Kind: core.KindInvalid, Reason: ReasonBadJSON, Err: err,
		Public: "Unable to decode the JSON request body: " + describeJSONError(err) + "."}
}

// describeJSONError turns a decoding error into words that name the field at
// fault without echoing the body (which may hold a private key).
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return fmt.Sprintf("%s must be %s, not %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
		}
		return fmt.Sprintf("the body must be a JSON object, not %s", typeErr.Value)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("invalid JSON at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	default:
		return "the body is not a single JSON object"
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "a number"
	default:
		return "another type"
	}
}
