package totp

import (
	"net/url"
	"regexp"
	"testing"
	"time"
)

// rfcSecret is the SHA-1 seed of the test vectors of RFC 6238 appendix B (and RFC 4226 appendix D).
var rfcSecret = []byte("12345678901234567890")

func TestRFC6238Vectors(t *testing.T) {
	for _, tc := range []struct {
		unix  int64
		step  int64
		eight string
	}{
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	} {
		at := time.Unix(tc.unix, 0).UTC()
		t.Run(at.Format(time.RFC3339), func(t *testing.T) {
			if got := Step(at); got != tc.step {
				t.Errorf("step %#x, want %#x", got, tc.step)
			}
			if got := HOTP(rfcSecret, uint64(Step(at)), 8); got != tc.eight {
				t.Errorf("8 digits %s, want %s", got, tc.eight)
			}
			// Six digits are the same truncation, taken modulo 10⁶: the vector's last six.
			if got, want := Code(rfcSecret, at), tc.eight[2:]; got != want {
				t.Errorf("6 digits %s, want %s", got, want)
			}
		})
	}
}

func TestRFC4226Vectors(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for counter, w := range want {
		if got := HOTP(rfcSecret, uint64(counter), 6); got != w {
			t.Errorf("counter %d: %s, want %s", counter, got, w)
		}
	}
}

func TestMatchDrift(t *testing.T) {
	secret := NewSecret()
	now := time.Date(2026, 11, 2, 9, 0, 10, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		offset int64 // steps between the phone's clock and the server's
		ok     bool
	}{
		{"same step", 0, true},
		{"one step late", -1, true},
		{"one step early", 1, true},
		{"two steps late", -2, false},
		{"two steps early", 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := Code(secret, now.Add(time.Duration(tc.offset)*Period))
			step, ok := Match(secret, code, now, 0)
			if ok != tc.ok {
				t.Fatalf("match %v, want %v", ok, tc.ok)
			}
			if ok && step != Step(now)+tc.offset {
				t.Errorf("matched step %d, want %d", step, Step(now)+tc.offset)
			}
		})
	}
}

func TestMatchRefusesReplay(t *testing.T) {
	secret := NewSecret()
	now := time.Date(2026, 11, 2, 9, 0, 10, 0, time.UTC)
	code := Code(secret, now)
	step, ok := Match(secret, code, now, 0)
	if !ok {
		t.Fatal("a current code was refused")
	}
	if _, ok := Match(secret, code, now, step); ok {
		t.Error("the same code was accepted twice")
	}
	// Nor does an older code pass once a newer one was used, even within the drift.
	if _, ok := Match(secret, Code(secret, now.Add(-Period)), now, step); ok {
		t.Error("the code of the step before a used one was accepted")
	}
	if _, ok := Match(secret, Code(secret, now.Add(Period)), now, step); !ok {
		t.Error("the next step's code was refused after a use")
	}
}

func TestMatchInput(t *testing.T) {
	secret := NewSecret()
	now := time.Date(2026, 11, 2, 9, 0, 10, 0, time.UTC)
	code := Code(secret, now)
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{code, true},
		{code[:3] + " " + code[3:], true},
		{" " + code + "\n", true},
		{code[:5], false},
		{code + "0", false},
		{"abcdef", false},
		{"", false},
		{"１２３４５６", false},
	} {
		if _, ok := Match(secret, tc.in, now, 0); ok != tc.ok {
			t.Errorf("%q: %v, want %v", tc.in, ok, tc.ok)
		}
	}
}

func TestSecretAndURI(t *testing.T) {
	secret := NewSecret()
	text := EncodeSecret(secret)
	if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(text) {
		t.Errorf("secret text %q, want 32 base32 characters", text)
	}
	back, err := DecodeSecret("  " + text[:4] + " " + text[4:])
	if err != nil || string(back) != string(secret) {
		t.Errorf("decode: %x, %v", back, err)
	}
	u, err := url.Parse(URI("Keyward", "sam@keyward.example", secret))
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Keyward:sam@keyward.example" {
		t.Errorf("URI %s", u)
	}
	q := u.Query()
	for k, want := range map[string]string{"secret": text, "issuer": "Keyward", "algorithm": "SHA1", "digits": "6", "period": "30"} {
		if got := q.Get(k); got != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes := NewRecoveryCodes(RecoveryCount)
	if len(codes) != 10 {
		t.Fatalf("%d codes", len(codes))
	}
	seen := map[string]bool{}
	shape := regexp.MustCompile(`^[a-z2-9]{4}-[a-z2-9]{4}$`)
	for _, c := range codes {
		if !shape.MatchString(c) {
			t.Errorf("code %q is not xxxx-xxxx", c)
		}
		if seen[c] {
			t.Errorf("code %q twice", c)
		}
		seen[c] = true
		for _, typed := range []string{c, " " + c[:4] + c[5:] + " ", "X" + c} {
			got, ok := NormalizeRecoveryCode(typed)
			if typed[0] == 'X' {
				if ok {
					t.Errorf("%q read as a code", typed)
				}
				continue
			}
			if !ok || got != c {
				t.Errorf("%q read as %q %v, want %q", typed, got, ok, c)
			}
		}
	}
	if got, ok := NormalizeRecoveryCode("ABCD-EFGH"); !ok || got != "abcd-efgh" {
		t.Errorf("upper case read as %q %v", got, ok)
	}
	for _, bad := range []string{"abcd-efg1", "abcd-efgo", "abc-defg", "", "123456"} {
		if _, ok := NormalizeRecoveryCode(bad); ok {
			t.Errorf("%q read as a recovery code", bad)
		}
	}
}

// FuzzInput feeds whatever a form may send to the parsers of codes: no panic, and what they
// accept has the shape they promise.
func FuzzInput(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "abcd-efgh", "ABCDEFGH", "", "\x00", "ééééé-é"} {
		f.Add(s)
	}
	secret := NewSecret()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	shape := regexp.MustCompile(`^[a-z2-9]{4}-[a-z2-9]{4}$`)
	f.Fuzz(func(t *testing.T, s string) {
		Match(secret, s, now, 0)
		if c, ok := NormalizeCode(s); ok && len(c) != 6 {
			t.Errorf("%q read as code %q", s, c)
		}
		if c, ok := NormalizeRecoveryCode(s); ok && !shape.MatchString(c) {
			t.Errorf("%q read as recovery code %q", s, c)
		}
	})
}
