package ingest

import (
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

var (
	now    = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	window = WindowAt(now, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
)

func TestMicro(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  error
	}{
		{"1.25", 1_250_000, nil},
		{"0", 0, nil},
		{"-0", 0, nil},
		{"0.0000005", 1, nil},     // half a millionth rounds away from zero
		{"0.00000049", 0, nil},    // below half rounds down
		{"2.675", 2_675_000, nil}, // exact, where float64 would read 2.67499999…
		{"5.0000004", 5_000_000, nil},
		{"5.0000015", 5_000_002, nil},
		{"1e-7", 0, nil},
		{"5e-7", 1, nil},
		{"1.5E3", 1_500_000_000, nil},
		{"12e+2", 1_200_000_000, nil},
		{"1000000000000", 1_000_000_000_000_000_000, nil},
		{"1000000000000.0000004", 1_000_000_000_000_000_000, nil},
		{"1000000000000.0000005", 0, errOutOfRange},
		{"1000000000001", 0, errOutOfRange},
		{"9000000000000", 0, errOutOfRange},
		{"1e30", 0, errOutOfRange},
		{"1e-9999999", 0, nil},
		{"0e9999999", 0, nil},
		{"-1", -1_000_000, nil},
		{"-0.000001", -1, nil},
		{"-0.0000005", -1, nil}, // half away from zero, either way
		{"-0.00000049", 0, nil},
		{"-1000000000000", -1_000_000_000_000_000_000, nil},
		{"-1000000000001", 0, errOutOfRange},
		{`"1.0"`, 0, errNotNumber},
		{"true", 0, errNotNumber},
		{"null", 0, errNotNumber},
		{"01", 0, errNotNumber},
		{"1.", 0, errNotNumber},
		{".5", 0, errNotNumber},
		{"1e", 0, errNotNumber},
		{"{}", 0, errNotNumber},
		{"NaN", 0, errNotNumber},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Micro([]byte(tc.in))
			if err != tc.err || got != tc.want {
				t.Errorf("Micro(%s) = %d, %v; want %d, %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

// FuzzMicro checks Micro against exact big-number arithmetic on any decimal it accepts.
func FuzzMicro(f *testing.F) {
	for _, s := range []string{"1.25", "0.0000005", "1e-7", "1000000000000", "2.675", "-3", "1E+2", "-0.0000005"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Micro([]byte(s))
		if err != nil {
			return
		}
		if got < -maxMicro || got > maxMicro {
			t.Fatalf("Micro(%q) = %d, out of range", s, got)
		}
		r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
		if !ok {
			if strings.ContainsAny(s, "eE") {
				return // an exponent too large for big.Rat: the oracle cannot judge it
			}
			t.Fatalf("Micro accepted %q, which is no number", s)
		}
		r.Mul(r, big.NewRat(1_000_000, 1))
		// Round half away from zero: floor(|r| + 1/2), with r's sign.
		neg := r.Sign() < 0
		r.Abs(r).Add(r, big.NewRat(1, 2))
		want := new(big.Int).Quo(r.Num(), r.Denom())
		if neg {
			want.Neg(want)
		}
		if want.Cmp(big.NewInt(got)) != 0 {
			t.Fatalf("Micro(%q) = %d, want %s", s, got, want)
		}
	})
}

func TestParse(t *testing.T) {
	body := `{"setup":"prod-paris","samples":[
		{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":1.25,"memory_mb":512}},
		{"time":"2026-10-01T02:00:20+02:00","service":"api","metrics":{"cores":2}},
		{"time":"2026-10-01T00:00:40.5Z","service":"db","metrics":{"cores":0.5}}]}`
	r, dups, err := Parse([]byte(body), window)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dups, 1; got != want {
		t.Errorf("duplicates %d, want %d (the same service and second, written in another zone)", got, want)
	}
	if got, want := len(r.Samples), 2; got != want {
		t.Fatalf("%d samples, want %d", got, want)
	}
	first := r.Samples[0]
	if r.Setup != "prod-paris" || first.Service != "api" || !first.Time.Equal(time.Date(2026, 10, 1, 0, 0, 20, 0, time.UTC)) {
		t.Errorf("first sample %+v of %q", first, r.Setup)
	}
	if fmt.Sprint(first.Metrics) != "[{cores 1250000} {memory_mb 512000000}]" {
		t.Errorf("metrics %v, want cores and memory_mb in millionths, by name", first.Metrics)
	}
	if got := r.Samples[1].Time; got != time.Date(2026, 10, 1, 0, 0, 40, 0, time.UTC) {
		t.Errorf("time %s, want whole seconds in UTC", got)
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	good := `{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":1}}`
	many := `{"setup":"s","samples":[` + strings.Repeat(good+",", MaxSamples) + good + `]}`
	for _, tc := range []struct {
		name, body, field string
	}{
		{"not JSON", `{"setup":`, "body"},
		{"not an object", `[1,2]`, "body"},
		{"missing setup", `{"samples":[` + good + `]}`, "setup"},
		{"setup not a string", `{"setup":12,"samples":[` + good + `]}`, "setup"},
		{"setup with a space", `{"setup":"prod paris","samples":[` + good + `]}`, "setup"},
		{"setup too long", `{"setup":"` + strings.Repeat("s", 65) + `","samples":[` + good + `]}`, "setup"},
		{"unknown top field", `{"setup":"s","sample":[]}`, "sample"},
		{"missing samples", `{"setup":"s"}`, "samples"},
		{"samples not a list", `{"setup":"s","samples":{}}`, "samples"},
		{"no samples", `{"setup":"s","samples":[]}`, "samples"},
		{"too many samples", many, "samples"},
		{"sample not an object", `{"setup":"s","samples":[` + good + `,7]}`, "samples[1]"},
		{"unknown sample field", `{"setup":"s","samples":[` + good + `,{"time":"2026-10-01T00:00:20Z","service":"x","metrics":{"cores":1},"host":"a"}]}`, "samples[1].host"},
		{"bad time", `{"setup":"s","samples":[{"time":"yesterday","service":"api","metrics":{"cores":1}}]}`, "samples[0].time"},
		{"time not a string", `{"setup":"s","samples":[{"time":1696118420,"service":"api","metrics":{"cores":1}}]}`, "samples[0].time"},
		{"time before the license", `{"setup":"s","samples":[` + good + `,{"time":"2026-08-31T23:59:59Z","service":"api","metrics":{"cores":1}}]}`, "samples[1].time"},
		{"time in the future", `{"setup":"s","samples":[{"time":"2026-10-01T12:05:01Z","service":"api","metrics":{"cores":1}}]}`, "samples[0].time"},
		{"missing service", `{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","metrics":{"cores":1}}]}`, "samples[0].service"},
		{"no metrics", `{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{}}]}`, "samples[0].metrics"},
		{"metrics not an object", `{"setup":"s","samples":[` + good + `,{"time":"2026-10-01T00:00:20Z","service":"api","metrics":[1]}]}`, "samples[1].metrics"},
		{"negative cores", `{"setup":"s","samples":[` + good + `,{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":-1}}]}`, "samples[1].metrics.cores"},
		{"cores beyond a million", `{"setup":"s","samples":[` + good + `,` + good + `,` + good + `,{"time":"2026-10-01T00:00:20Z","service":"db","metrics":{"memory_mb":1,"cores":1000000.000001}}]}`, "samples[3].metrics.cores"},
		{"cores 9e12", `{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":9000000000000}}]}`, "samples[0].metrics.cores"},
		{"metric beyond 1e12", `{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":1,"memory_mb":1.5e12}}]}`, "samples[0].metrics.memory_mb"},
		{"metric below -1e12", `{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"delta":-1000000000000.5}}]}`, "samples[0].metrics.delta"},
		{"text value", `{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":"1.5"}}]}`, "samples[0].metrics.cores"},
		{"bad metric name", `{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cpu cores":1}}]}`, "samples[0].metrics"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse([]byte(tc.body), window)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %v, want an *Error naming %s", err, tc.field)
			}
			if e.Field != tc.field || e.Message == "" {
				t.Errorf("field %q (%s), want %q with a message", e.Field, e.Message, tc.field)
			}
			if got, want := e.TooLarge, tc.name == "too many samples"; got != want {
				t.Errorf("TooLarge %v, want %v", got, want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":1.25}}]}`))
	f.Add([]byte(`{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":-1}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, dups, err := Parse(body, window)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Field == "" || e.Message == "" {
				t.Fatalf("error %v does not name a field", err)
			}
			return
		}
		if dups < 0 || len(r.Samples) == 0 || !validName(r.Setup) {
			t.Fatalf("accepted report %+v, %d duplicates", r, dups)
		}
		for _, s := range r.Samples {
			for _, m := range s.Metrics {
				if m.Name == coresMetric && (m.Micro < 0 || m.Micro > MaxCores*1_000_000) || m.Micro < -maxMicro || m.Micro > maxMicro {
					t.Fatalf("metric out of bounds %+v", m)
				}
			}
		}
	})
}

// BenchmarkParse reads a report of 10,000 samples of three metrics each.
func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"setup":"prod-paris","samples":[`)
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"time":%q,"service":"svc-%d","metrics":{"cores":%d.%06d,"memory_mb":%d,"requests":%d}}`,
			start.Add(time.Duration(i/10)*20*time.Second).Format(time.RFC3339), i%10, i%8, i*7919%1_000_000, 512+i%100, i)
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse(body, window); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// TestParseBounds accepts every value at the bounds of DESIGN §6, and reads negative values of
// metrics other than cores.
func TestParseBounds(t *testing.T) {
	body := `{"setup":"s","samples":[
		{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":1000000,"memory_mb":1e12,"delta":-1000000000000}},
		{"time":"2026-10-01T00:00:40Z","service":"api","metrics":{"cores":0,"temperature_c":-12.5}}]}`
	r, _, err := Parse([]byte(body), window)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(r.Samples[0].Metrics, r.Samples[1].Metrics),
		"[{cores 1000000000000} {delta -1000000000000000000} {memory_mb 1000000000000000000}] [{cores 0} {temperature_c -12500000}]"; got != want {
		t.Errorf("metrics %s, want %s", got, want)
	}
}
