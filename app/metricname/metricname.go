// Package metricname names usage metrics for people. Setups report metrics under codes of their
// own choosing (memory_mb, cpu_pct, heap_bytes); charts and tables show them as "Memory (MB)",
// "CPU (%)", "Heap (bytes)": the unit comes from the code's last part, the rest reads as words.
package metricname

import (
	"strings"
	"unicode"
)

// Metric is what a metric code says about itself.
type Metric struct {
	Code string
	Name string // "Memory"
	Unit string // "MB"; empty when the code names none
	// Additive tells whether the values of several setups add up to a total (memory, cores,
	// requests), or are rather averaged (percentages, durations, temperatures, ratios).
	Additive bool
}

// Title is the name with its unit, as a chart or a table heading shows it: "Memory (MB)".
func (m Metric) Title() string {
	if m.Unit == "" || strings.EqualFold(m.Unit, m.Name) {
		return m.Name
	}
	return m.Name + " (" + m.Unit + ")"
}

// units are the codes' last parts that name a unit, and whether values in it add up.
var units = map[string]struct {
	unit     string
	additive bool
}{
	"b": {"bytes", true}, "bytes": {"bytes", true}, "kb": {"KB", true}, "mb": {"MB", true}, "gb": {"GB", true},
	"tb": {"TB", true}, "kib": {"KiB", true}, "mib": {"MiB", true}, "gib": {"GiB", true}, "tib": {"TiB", true},
	"pct": {"%", false}, "percent": {"%", false}, "ratio": {"ratio", false},
	"ns": {"ns", false}, "us": {"µs", false}, "ms": {"ms", false}, "s": {"s", false}, "sec": {"s", false},
	"secs": {"s", false}, "seconds": {"s", false}, "minutes": {"minutes", false}, "hours": {"hours", false},
	"c": {"°C", false}, "celsius": {"°C", false}, "mhz": {"MHz", false}, "ghz": {"GHz", false},
	"bps": {"bit/s", true}, "kbps": {"kbit/s", true}, "mbps": {"Mbit/s", true}, "gbps": {"Gbit/s", true},
	"rps": {"requests/s", true}, "iops": {"IOPS", true}, "cores": {"cores", true}, "count": {"", true},
}

// acronyms are written in capitals, or as people write them.
var acronyms = map[string]string{
	"cpu": "CPU", "gpu": "GPU", "ram": "RAM", "io": "I/O", "api": "API", "db": "DB", "http": "HTTP", "https": "HTTPS",
	"tcp": "TCP", "udp": "UDP", "jvm": "JVM", "gc": "GC", "os": "OS", "vm": "VM", "tls": "TLS", "ssl": "SSL",
	"dns": "DNS", "url": "URL", "p50": "p50", "p95": "p95", "p99": "p99", "id": "ID", "ids": "IDs", "qps": "QPS",
}

// averaged are words that make a metric a level rather than an amount, whatever its unit.
var averaged = map[string]bool{"avg": true, "average": true, "mean": true, "load": true, "latency": true,
	"temperature": true, "temp": true, "utilization": true, "utilisation": true, "util": true, "rate": true}

// Of names a metric code: cores is "Cores", memory_mb "Memory (MB)", cpu_pct "CPU (%)"; a code
// it knows nothing of reads as words (queue_depth is "Queue depth").
func Of(code string) Metric {
	words := strings.FieldsFunc(splitCamel(code), func(r rune) bool { return r == '_' || r == '-' || r == '.' || r == ' ' })
	m := Metric{Code: code, Additive: true}
	if len(words) == 0 {
		m.Name = code
		return m
	}
	if u, ok := units[strings.ToLower(words[len(words)-1])]; ok && len(words) > 1 {
		m.Unit, m.Additive = u.unit, u.additive
		words = words[:len(words)-1]
	} else if ok && u.unit == "cores" {
		m.Unit = u.unit
	}
	for i, w := range words {
		lower := strings.ToLower(w)
		if averaged[lower] {
			m.Additive = false
		}
		switch a, ok := acronyms[lower]; {
		case ok:
			words[i] = a
		case i == 0:
			words[i] = capitalize(lower)
		default:
			words[i] = lower
		}
	}
	m.Name = strings.Join(words, " ")
	return m
}

// splitCamel puts a space between a lower-case letter or digit and a capital: heapUsedMb is heap Used Mb.
func splitCamel(s string) string {
	var b strings.Builder
	prev := rune(0)
	for _, r := range s {
		if unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

func capitalize(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}
