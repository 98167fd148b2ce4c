package licensekey

import (
	"regexp"
	"testing"
)

var canonical = regexp.MustCompile(`^KW-[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$`)

func TestNewIsCanonicalAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		k := New()
		if !canonical.MatchString(k) {
			t.Fatalf("New() = %q, not canonical", k)
		}
		if seen[k] {
			t.Fatalf("New() repeated %q", k)
		}
		seen[k] = true
		if got, err := Normalize(k); err != nil || got != k {
			t.Fatalf("Normalize(%q) = %q, %v", k, got, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"canonical", "KW-ABCDE-FGHJK-MNPQR-STVWX-YZ012", "KW-ABCDE-FGHJK-MNPQR-STVWX-YZ012"},
		{"lower case without dashes", "kwabcdefghjkmnpqrstvwxyz012", "KW-ABCDE-FGHJK-MNPQR-STVWX-YZ012"},
		{"aliases", "KW-OOOOO-IIIII-LLLLL-00000-11111", "KW-00000-11111-11111-00000-11111"},
		{"spaces", "KW ABCDE FGHJK MNPQR STVWX YZ012", "KW-ABCDE-FGHJK-MNPQR-STVWX-YZ012"},
		{"too short", "KW-ABCDE-FGHJK-MNPQR-STVWX-YZ01", ""},
		{"too long", "KW-ABCDE-FGHJK-MNPQR-STVWX-YZ0123", ""},
		{"no prefix", "XX-ABCDE-FGHJK-MNPQR-STVWX-YZ012", ""},
		{"U is not Crockford", "KW-UBCDE-FGHJK-MNPQR-STVWX-YZ012", ""},
		{"empty", "", ""},
		{"unicode", "KW-ÄBCDE-FGHJK-MNPQR-STVWX-YZ01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Errorf("Normalize(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	if got, want := Mask("KW-ABCDE-FGHJK-MNPQR-STVWX-YZ012"), "KW-•••••-•••••-•••••-•••••-YZ012"; got != want {
		t.Errorf("Mask = %q, want %q", got, want)
	}
}

// FuzzNormalize checks that whatever comes in, the answer is an error or a canonical key
// that normalizes to itself.
func FuzzNormalize(f *testing.F) {
	f.Add("KW-ABCDE-FGHJK-MNPQR-STVWX-YZ012")
	f.Add("kwoooooiiiiilllll0000011111")
	f.Add("KW--")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := Normalize(in)
		if err != nil {
			return
		}
		if !canonical.MatchString(got) {
			t.Fatalf("Normalize(%q) = %q, not canonical", in, got)
		}
		if again, err := Normalize(got); err != nil || again != got {
			t.Fatalf("Normalize(Normalize(%q)) = %q, %v", in, again, err)
		}
	})
}
