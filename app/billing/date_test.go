package billing

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	tests := []struct {
		name string
		got  Date
		want string
	}{
		{name: "normalized", got: NewDate(2026, time.November, 31), want: "2026-12-01"},
		{name: "next day across a year", got: date("2026-12-31").AddDays(1), want: "2027-01-01"},
		{name: "day before", got: date("2028-03-01").AddDays(-1), want: "2028-02-29"},
		{name: "UTC day of a zoned instant", got: DateOf(time.Date(2026, 11, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600))), want: "2026-11-01"},
		{name: "UTC day before midnight elsewhere", got: DateOf(time.Date(2026, 11, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600))), want: "2026-10-31"},
		{name: "first of a month", got: month("2026-02").First(), want: "2026-02-01"},
		{name: "last of a month", got: month("2026-02").Last(), want: "2026-02-28"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.got.String(), tt.want; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestParseDateRejects(t *testing.T) {
	for _, s := range []string{"", "2026-11", "2026-11-31", "2026-13-01", "26-11-01", "2026-11-01T00:00:00Z"} {
		t.Run(s, func(t *testing.T) {
			if _, err := ParseDate(s); err == nil {
				t.Errorf("ParseDate(%q) accepted it", s)
			}
		})
	}
}

func TestMonthDays(t *testing.T) {
	tests := []struct {
		month string
		want  int
	}{
		{"2026-02", 28}, {"2028-02", 29}, {"2100-02", 28}, {"2000-02", 29}, {"2026-11", 30}, {"2026-12", 31},
	}
	for _, tt := range tests {
		t.Run(tt.month, func(t *testing.T) {
			if got, want := month(tt.month).Days(), tt.want; got != want {
				t.Errorf("Days() = %d, want %d", got, want)
			}
		})
	}
}

func TestLastCompleteMonths(t *testing.T) {
	got := LastCompleteMonths(date("2027-02-05"), RightSizingMonths)
	want := []Month{month("2026-11"), month("2026-12"), month("2027-01")}
	if !slices.Equal(got, want) {
		t.Errorf("LastCompleteMonths = %v, want %v", got, want)
	}
}

func TestDateJSON(t *testing.T) {
	in := struct {
		Date  Date  `json:"date"`
		Month Month `json:"month"`
	}{date("2026-11-30"), month("2026-11")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"date":"2026-11-30","month":"2026-11"}`; got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
	out := in
	out.Date, out.Month = Date{}, Month{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
}
