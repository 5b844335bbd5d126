package secretscan

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
)

var (
	// A private key's DER headers fit in its first 30 bytes: 40 base64
	// characters. Shorter runs cannot hold a recognisable key.
	base64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{40,}`)
	hexRun    = regexp.MustCompile(`[0-9A-Fa-f]{60,}`)
)

// findEncoded decodes base64 and hex runs in data and looks for DER keys in
// them. Offsets are those of the runs in data.
func findEncoded(data []byte) []finding {
	var fs []finding
	for _, m := range base64Run.FindAllIndex(data, -1) {
		run := data[m[0]:m[1]]
		// The run may start mid-way through a base64 quantum (e.g. after a
		// stray letter), so try each alignment.
		for shift := range 4 {
			decoded, ok := decodeBase64(run[shift:])
			if !ok {
				continue
			}
			if f := findDER(decoded, 0, " in base64 text"); len(f) > 0 {
				for i := range f {
					f[i].offset = m[0] + shift
				}
				fs = append(fs, f...)
				break
			}
		}
	}
	for _, m := range hexRun.FindAllIndex(data, -1) {
		run := data[m[0]:m[1]]
		for shift := range 2 {
			s := run[shift:]
			decoded := make([]byte, len(s)/2)
			if _, err := hex.Decode(decoded, s[:len(s)/2*2]); err != nil {
				continue
			}
			if f := findDER(decoded, 0, " in hex text"); len(f) > 0 {
				for i := range f {
					f[i].offset = m[0] + shift
				}
				fs = append(fs, f...)
				break
			}
		}
	}
	return fs
}

// decodeBase64 decodes a run in either alphabet, ignoring a partial final
// quantum (the run may be cut off by a line break).
func decodeBase64(run []byte) ([]byte, bool) {
	run = run[:len(run)/4*4]
	enc := base64.RawStdEncoding
	for _, c := range run {
		if c == '-' || c == '_' {
			enc = base64.RawURLEncoding
			break
		}
	}
	out := make([]byte, enc.DecodedLen(len(run)))
	n, err := enc.Decode(out, run)
	if err != nil {
		return nil, false
	}
	return out[:n], true
}
