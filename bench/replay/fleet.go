package replay

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/omenhq/omen/series"
)

// Start is where the benchmark's history begins (a Monday, UTC).
var Start = time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)

// Hosts is the number of node-exporter targets; Services the number of
// services with request and error counters (one per host pair).
const (
	Hosts    = 20
	Services = 10
)

// Generate calls emit with the history of the fleet over the given number
// of days at 1-minute resolution, a few series at a time: per host
// node_load1, node_memory_MemAvailable_bytes, node_memory_MemTotal_bytes,
// node_filesystem_avail_bytes and node_filesystem_size_bytes (mountpoint
// "/"), up; per service and host http_requests_total and
// http_requests_errors_total. Samples lie 15 s past each minute, off the
// evaluation instants; incidents (load spikes, memory leaks, disks
// filling, error bursts, targets down) are drawn with the seed.
func Generate(days int, seed uint64, emit func([]series.Series) error) error {
	rng := rand.New(rand.NewPCG(seed, 0x7265706c))
	n := days * 24 * 60
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = Start.Add(time.Duration(i)*time.Minute + 15*time.Second).UnixMilli()
	}
	mk := func(name string, labels ...string) series.Series {
		return series.Series{Labels: series.New(append([]string{"__name__", name}, labels...)...), Timestamps: ts, Values: make([]float64, n)}
	}
	for h := range Hosts {
		inst := fmt.Sprintf("node-%02d:9100", h)
		base := []string{"instance", inst, "job", "node"}
		load, avail, total := mk("node_load1", base...), mk("node_memory_MemAvailable_bytes", base...), mk("node_memory_MemTotal_bytes", base...)
		fsl := append(append([]string{}, base...), "mountpoint", "/", "device", "/dev/sda1", "fstype", "ext4")
		fsAvail, fsSize, up := mk("node_filesystem_avail_bytes", fsl...), mk("node_filesystem_size_bytes", fsl...), mk("up", base...)
		memTotal := float64(16 << 30)
		disk := float64(500 << 30)
		free := disk * (0.3 + 0.4*rng.Float64())
		spike, leak, down := 0, 0.0, 0
		for i := range n {
			day := 2 * math.Pi * float64(i%1440) / 1440
			l := 1.5 + math.Sin(day)*0.8 + rng.NormFloat64()*0.3
			if spike == 0 && rng.Float64() < 0.0008 {
				spike = 3 + rng.IntN(40)
			}
			if spike > 0 {
				spike--
				l += 6 + 4*rng.Float64()
			}
			load.Values[i] = math.Max(l, 0)
			if leak == 0 && rng.Float64() < 0.0002 {
				leak = 1
			}
			if leak > 0 {
				leak += 0.0015
				if leak > 0.97 || rng.Float64() < 0.001 {
					leak = 0 // restarted
				}
			}
			avail.Values[i] = memTotal * math.Max(0.02, 0.6-0.1*math.Sin(day)-leak*0.6+rng.NormFloat64()*0.01)
			total.Values[i] = memTotal
			free -= disk * 0.00001 * (1 + rng.Float64())
			if free < disk*0.03 || rng.Float64() < 0.0003 {
				free = disk * (0.3 + 0.4*rng.Float64()) // cleaned up
			}
			fsAvail.Values[i], fsSize.Values[i] = math.Round(free), disk
			if down == 0 && rng.Float64() < 0.0003 {
				down = 1 + rng.IntN(15)
			}
			up.Values[i] = 1
			if down > 0 {
				down--
				up.Values[i] = 0
			}
		}
		if err := emit([]series.Series{load, avail, total, fsAvail, fsSize, up}); err != nil {
			return err
		}
	}
	for s := range Services {
		var batch []series.Series
		for h := range 2 {
			lbl := []string{"service", fmt.Sprintf("svc-%02d", s), "instance", fmt.Sprintf("node-%02d:8080", 2*s+h), "job", "app"}
			for _, code := range []string{"200", "500"} {
				batch = append(batch, mk("http_requests_total", append(lbl, "code", code)...))
			}
		}
		for k := range 2 {
			ok, bad := batch[2*k], batch[2*k+1]
			var nOK, nBad float64
			burst := 0
			for i := range n {
				r := 50 + 30*math.Sin(2*math.Pi*float64(i%1440)/1440) + 5*rng.NormFloat64()
				ratio := 0.002 * rng.Float64()
				if burst == 0 && rng.Float64() < 0.0005 {
					burst = 2 + rng.IntN(30)
				}
				if burst > 0 {
					burst--
					ratio = 0.02 + 0.2*rng.Float64()
				}
				r = math.Max(r, 1)
				nOK += math.Round(r * (1 - ratio) * 60)
				nBad += math.Round(r * ratio * 60)
				ok.Values[i], bad.Values[i] = nOK, nBad
			}
		}
		if err := emit(batch); err != nil {
			return err
		}
	}
	return nil
}

// Rules returns a rule file of 50 alerting rules over the fleet in five
// groups at 1m, in the styles of the node-exporter mixin (for, severity,
// $labels templates) and awesome-prometheus-alerts (one rule per
// threshold and severity), with and-filters and ratios of rates.
func Rules() string {
	var b strings.Builder
	b.WriteString("groups:\n")
	group := func(name string) { fmt.Fprintf(&b, "- name: %s\n  interval: 1m\n  rules:\n", name) }
	rule := func(alert, expr, forD, severity string) {
		fmt.Fprintf(&b, "  - alert: %s\n    expr: %s\n", alert, expr)
		if forD != "" {
			fmt.Fprintf(&b, "    for: %s\n", forD)
		}
		fmt.Fprintf(&b, "    labels:\n      severity: %s\n      summary_instance: \"{{ $labels.instance }}\"\n", severity)
		fmt.Fprintf(&b, "    annotations:\n      summary: \"%s on {{ $labels.instance }}\"\n", alert)
	}
	group("node-load")
	for i, th := range []string{"4", "5", "6", "7", "8", "9", "10", "11", "12", "14"} {
		rule(fmt.Sprintf("NodeLoadHigh%02d", i), "node_load1 > "+th, []string{"", "2m", "5m", "10m"}[i%4], []string{"warning", "critical"}[i%2])
	}
	group("node-memory")
	for i, th := range []string{"0.5", "0.4", "0.3", "0.25", "0.2", "0.15", "0.1", "0.08", "0.05", "0.03"} {
		rule(fmt.Sprintf("NodeMemoryLow%02d", i), "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < "+th, []string{"", "5m", "15m"}[i%3], []string{"warning", "critical"}[i%2])
	}
	group("node-filesystem")
	for i, th := range []string{"40", "30", "25", "20", "15", "10", "8", "6", "5", "4"} {
		rule(fmt.Sprintf("NodeFilesystemSpaceLow%02d", i),
			`(node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes{fstype!="tmpfs"} * 100 < `+th+` and ON (instance, device, mountpoint) node_filesystem_avail_bytes{fstype!="tmpfs"} > 0)`,
			[]string{"30m", "1h", "5m"}[i%3], []string{"warning", "critical"}[i%2])
	}
	group("targets")
	for i, d := range []string{"", "1m", "2m", "3m", "5m"} {
		rule(fmt.Sprintf("TargetDown%02d", i), "up == 0", d, []string{"warning", "critical"}[i%2])
		rule(fmt.Sprintf("TargetFlapping%02d", i), fmt.Sprintf("changes(up[15m]) > %d", i+1), "", "warning")
	}
	group("http")
	for i, th := range []string{"0.01", "0.02", "0.03", "0.05", "0.08", "0.1", "0.15", "0.2", "0.3", "0.5"} {
		rule(fmt.Sprintf("HighErrorRate%02d", i),
			`sum by (service, instance) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (service, instance) (rate(http_requests_total[5m])) > `+th,
			[]string{"", "2m", "5m", "10m", "15m"}[i%5], []string{"warning", "critical"}[i%2])
	}
	return b.String()
}
