package metricname

import "testing"

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		code, title string
		additive    bool
	}{
		{"cores", "Cores", true},
		{"memory_mb", "Memory (MB)", true},
		{"Memory_MB", "Memory (MB)", true},
		{"cpu_pct", "CPU (%)", false},
		{"disk_io_mbps", "Disk I/O (Mbit/s)", true},
		{"heap_bytes", "Heap (bytes)", true},
		{"heapUsedMb", "Heap used (MB)", true},
		{"request_latency_ms", "Request latency (ms)", false},
		{"p99-latency.ms", "p99 latency (ms)", false},
		{"load_avg", "Load avg", false},
		{"queue_depth", "Queue depth", true},
		{"requests_count", "Requests", true},
		{"gpu_temp_c", "GPU temp (°C)", false},
		{"mb", "Mb", true}, // a unit alone is a name
		{"connections", "Connections", true},
		{"__", "__", true},
	} {
		m := Of(tc.code)
		if m.Title() != tc.title || m.Additive != tc.additive || m.Code != tc.code {
			t.Errorf("Of(%q) = %q (additive %v), want %q (additive %v)", tc.code, m.Title(), m.Additive, tc.title, tc.additive)
		}
	}
}

func FuzzOf(f *testing.F) {
	for _, s := range []string{"memory_mb", "cpuPct", "É_ms", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		if m := Of(code); m.Title() == "" && code != "" {
			t.Errorf("Of(%q) has no title", code)
		}
	})
}
