package dnsname

// Reasons are stable machine codes. They match the "reason" values of
// testdata/hostnames.jsonl; the API layer maps them to its own error codes, so
// a value must never change once released.
const (
	// R1: the raw input.
	ReasonEmpty   = "empty"
	ReasonTooLong = "too_long" // raw input over 1024 bytes, refused before any parsing

	// R2–R4: characters.
	ReasonControlOrSpace     = "control_or_space"
	ReasonNonASCII           = "non_ascii"             // valid IDN; the hint carries the A-label
	ReasonNonASCIIInvalidIDN = "non_ascii_invalid_idn" // not valid IDNA2008 (or not UTF-8)
	ReasonInvalidChar        = "invalid_char"

	// R6–R8: shape.
	ReasonTrailingDot            = "trailing_dot"
	ReasonIPLiteral              = "ip_literal"
	ReasonBadWildcard            = "bad_wildcard"
	ReasonWildcardOnPublicSuffix = "wildcard_on_public_suffix"
	ReasonWildcardNotAllowed     = "wildcard_not_allowed"

	// R9–R12: lengths and labels.
	ReasonNameTooLong   = "name_too_long"
	ReasonTooFewLabels  = "too_few_labels"
	ReasonTooManyLabels = "too_many_labels"
	ReasonEmptyLabel    = "empty_label"
	ReasonLabelTooLong  = "label_too_long"
	ReasonHyphenEdge    = "hyphen_edge"
	ReasonUnderscore    = "underscore"
	ReasonReservedLDH   = "reserved_ldh"
	ReasonBadPunycode   = "bad_punycode"

	// R13–R16: the name's place in the DNS.
	ReasonUnknownTLD     = "unknown_tld"
	ReasonReservedTLD    = "reserved_tld"
	ReasonReservedDomain = "reserved_domain"
	ReasonIsPublicSuffix = "is_public_suffix"
	ReasonProviderZone   = "provider_zone"

	// ParseOrigin only.
	ReasonBadScheme       = "bad_scheme"
	ReasonBadPort         = "bad_port"
	ReasonInvalidHostname = "invalid_hostname"
)

// describe gives the short English text of a reason for Error.Error.
func describe(reason string) string {
	switch reason {
	case ReasonEmpty:
		return "empty input"
	case ReasonTooLong:
		return "input longer than 1024 bytes"
	case ReasonControlOrSpace:
		return "whitespace or control character"
	case ReasonNonASCII:
		return "non-ASCII characters"
	case ReasonNonASCIIInvalidIDN:
		return "non-ASCII characters that are not a valid internationalized name"
	case ReasonInvalidChar:
		return "character not allowed in a hostname"
	case ReasonTrailingDot:
		return "trailing dot"
	case ReasonIPLiteral:
		return "IP address instead of a hostname"
	case ReasonBadWildcard:
		return "malformed wildcard"
	case ReasonWildcardOnPublicSuffix:
		return "wildcard directly under a public suffix"
	case ReasonWildcardNotAllowed:
		return "wildcard hostnames are not enabled for this zone"
	case ReasonNameTooLong:
		return "name longer than 253 octets"
	case ReasonTooFewLabels:
		return "name needs at least two labels"
	case ReasonTooManyLabels:
		return "name has more than 10 labels"
	case ReasonEmptyLabel:
		return "empty label"
	case ReasonLabelTooLong:
		return "label longer than 63 octets"
	case ReasonHyphenEdge:
		return "label starts or ends with a hyphen"
	case ReasonUnderscore:
		return "underscore in a hostname"
	case ReasonReservedLDH:
		return `"--" in the third and fourth positions is reserved for xn-- labels`
	case ReasonBadPunycode:
		return "invalid xn-- label"
	case ReasonUnknownTLD:
		return "top-level domain is not in the public suffix list"
	case ReasonReservedTLD:
		return "reserved or special-use top-level domain"
	case ReasonReservedDomain:
		return "reserved domain"
	case ReasonIsPublicSuffix:
		return "name is a public suffix"
	case ReasonProviderZone:
		return "name is in the provider's own zone"
	case ReasonBadScheme:
		return "unsupported scheme"
	case ReasonBadPort:
		return "invalid port"
	case ReasonInvalidHostname:
		return "not a valid hostname"
	}
	return "invalid"
}
