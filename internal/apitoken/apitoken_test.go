package apitoken

import (
	"crypto/sha256"
	"errors"
	"regexp"
	"strings"
	"testing"
)

var fullPattern = regexp.MustCompile(`^` + Pattern + `$`)

func TestNewParseVerify(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		token, id, hash := New()
		if len(token) != TokenLen {
			t.Fatalf("len(token) = %d, want %d", len(token), TokenLen)
		}
		if !fullPattern.MatchString(token) {
			t.Fatalf("Pattern does not match an issued token")
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		gotID, secret, err := Parse(token)
		if err != nil {
			t.Fatalf("Parse(New()): %v", err)
		}
		if gotID != id {
			t.Fatalf("Parse id = %q, want %q", gotID, id)
		}
		if len(hash) != sha256.Size {
			t.Fatalf("len(hash) = %d", len(hash))
		}
		if !Verify(hash, secret) {
			t.Fatal("Verify(hash, secret) = false for the issued token")
		}
		if strings.Contains(string(hash), secret) {
			t.Fatal("hash contains the secret")
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	token, _, hash := New()
	_, secret, err := Parse(token)
	if err != nil {
		t.Fatal(err)
	}
	_, otherSecret, _ := Parse(must(New()))
	flipped := []byte(secret)
	flipped[0] ^= 1
	tests := []struct {
		name   string
		hash   []byte
		secret string
	}{
		{"other secret", hash, otherSecret},
		{"one bit off", hash, string(flipped)},
		{"empty secret", hash, ""},
		{"nil hash", nil, secret},
		{"short hash", hash[:16], secret},
		{"long hash", append(append([]byte{}, hash...), 0), secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Verify(tt.hash, tt.secret) {
				t.Error("Verify = true, want false")
			}
		})
	}
}

func must(token, _ string, _ []byte) string { return token }

func TestParseMalformed(t *testing.T) {
	good := must(New())
	id := good[4:20]
	secret := good[21:]
	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"prefix only", "ptk_"},
		{"wrong prefix", "ptx_" + id + "_" + secret},
		{"upper prefix", "PTK_" + id + "_" + secret},
		{"bearer kept", "Bearer " + good},
		{"trailing newline", good + "\n"},
		{"leading space", " " + good[1:]},
		{"missing separator", "ptk_" + id + "-" + secret},
		{"upper id", "ptk_" + strings.ToUpper(id) + "_" + secret},
		{"id with 1 (not base32)", "ptk_1" + id[1:] + "_" + secret},
		{"id with newline", "ptk_\n" + id[1:] + "_" + secret},
		{"secret with plus", "ptk_" + id + "_+" + secret[1:]},
		{"secret with newline", "ptk_" + id + "_\n" + secret[1:]},
		{"secret padded", "ptk_" + id + "_" + secret[:42] + "="},
		{"short secret", "ptk_" + id + "_" + secret[:42]},
		{"long secret", "ptk_" + id + "_" + secret + "A"},
		// 43 base64 characters carry 258 bits; the 2 spare bits must be zero.
		{"non-canonical secret", "ptk_" + id + "_" + secret[:42] + nonCanonicalLast(secret[42])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse(tt.token)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse error = %v, want ErrMalformed", err)
			}
			if len(tt.token) > 20 && strings.Contains(err.Error(), tt.token[21:]) {
				t.Errorf("error %q leaks the secret", err)
			}
		})
	}
}

// nonCanonicalLast returns a base64url character that differs from c only in
// the two low bits that a 32-byte value leaves unused.
func nonCanonicalLast(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[i|1])
}

func TestPatternFindsTokensInText(t *testing.T) {
	token := must(New())
	text := `time=... msg="request" authorization="Bearer ` + token + `" other=1`
	re := regexp.MustCompile(Pattern)
	if got := re.FindString(text); got != token {
		t.Errorf("FindString = %q, want the token", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(must(New()))
	f.Add("ptk_aaaaaaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		id, secret, err := Parse(token)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if Prefix+id+"_"+secret != token {
			t.Fatalf("Parse is not the inverse of the token layout")
		}
		if !fullPattern.MatchString(token) {
			t.Fatalf("Parse accepted a token Pattern does not match")
		}
	})
}
