package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/internal/source"
	"github.com/omenhq/omen/series"
)

// TargetSpec says how to find the series of one kind of capacity target:
// what is used, what the limit is, and how the two are matched.
type TargetSpec struct {
	// Name identifies the target in reports, e.g. "disk" or a custom name.
	Name string
	// Usage is the series selector (or, on servers, any expression) of the
	// value that approaches the limit.
	Usage string
	// Limit is the selector of the limit series. When empty, LimitValue is
	// the limit of every usage series.
	Limit string
	// LimitFallback is an optional selector of the limit used for usage
	// series that Limit does not match (memory: cAdvisor's
	// container_spec_memory_limit_bytes when kube-state-metrics is absent).
	LimitFallback string
	// LimitValue is a constant limit, used when Limit is empty.
	LimitValue float64
	// Capacity is an optional selector of the resource's total size
	// (matched like the limit), shown as headroom; never the threshold.
	Capacity string
	// Direction says whether exhaustion is reaching the limit from below
	// (Up: usage ≥ limit) or from above (Down: usage ≤ limit).
	Direction series.Direction
	// On lists the labels a usage series and its limit (and restarts)
	// series must share to be matched. Empty matches on every label but the
	// metric name.
	On []string
	// Restarts is an optional selector of a restart counter matched like
	// the limit, used to cut series into segments at restarts.
	Restarts string
	// ReadOnly is an optional selector of a 0/1 series (matched like the
	// limit); targets whose latest value is 1 are skipped as read-only.
	ReadOnly string
	// ReportNoLimit keeps usage series without a limit in the results, as
	// pattern no-limit, instead of dropping them.
	ReportNoLimit bool
}

// Preset returns a copy of the built-in target specs named name, and
// whether there is such a preset. The presets are:
//
//   - disk: node_filesystem_avail_bytes falling to 0, with
//     node_filesystem_size_bytes as the capacity, skipping pseudo and read-only filesystems
//     as the node-exporter mixin does, plus Kubernetes PVCs from
//     kubelet_volume_stats_available_bytes / _capacity_bytes;
//   - inodes: node_filesystem_files_free falling to 0;
//   - memory: container_memory_working_set_bytes rising to the container's
//     limit from kube_pod_container_resource_limits{resource="memory"}, or
//     else cAdvisor's container_spec_memory_limit_bytes; containers without
//     a limit are reported as such;
//   - memory-rss: the same with container_memory_rss.
func Preset(name string) ([]TargetSpec, bool) {
	specs, ok := presets[name]
	if !ok {
		return nil, false
	}
	out := make([]TargetSpec, len(specs))
	for i, s := range specs {
		s.On = slices.Clone(s.On)
		out[i] = s
	}
	return out, true
}

// presets is the table behind Preset; never handed out, so it cannot be
// changed by a caller.
var presets = map[string][]TargetSpec{
	"disk": {
		{
			Name:      "disk",
			Usage:     `node_filesystem_avail_bytes{` + realFilesystems + `}`,
			Capacity:  `node_filesystem_size_bytes{` + realFilesystems + `}`,
			ReadOnly:  `node_filesystem_readonly{` + realFilesystems + `}`,
			Direction: series.Down,
			On:        []string{"instance", "device", "mountpoint"},
		},
		{
			Name:      "pvc",
			Usage:     `kubelet_volume_stats_available_bytes`,
			Capacity:  `kubelet_volume_stats_capacity_bytes`,
			Direction: series.Down,
			On:        []string{"namespace", "persistentvolumeclaim"},
		},
	},
	"inodes": {
		{
			Name:      "inodes",
			Usage:     `node_filesystem_files_free{` + realFilesystems + `}`,
			Capacity:  `node_filesystem_files{` + realFilesystems + `}`,
			ReadOnly:  `node_filesystem_readonly{` + realFilesystems + `}`,
			Direction: series.Down,
			On:        []string{"instance", "device", "mountpoint"},
		},
	},
	"memory":     {memorySpec("memory", "container_memory_working_set_bytes")},
	"memory-rss": {memorySpec("memory-rss", "container_memory_rss")},
}

// realFilesystems excludes the pseudo filesystems node-exporter reports
// (the mixin's fstype filter, widened to what kubelets mount).
const realFilesystems = `fstype!~"tmpfs|ramfs|devtmpfs|overlay|squashfs|nsfs|proc|sysfs|cgroup2?|autofs|fuse\\..*|rootfs|iso9660|nfs4?|ceph|cifs",mountpoint!~"/run(/.*)?|/dev(/.*)?|/proc(/.*)?|/sys(/.*)?|/var/lib/(docker|containerd|kubelet)/.*"`

func memorySpec(name, metric string) TargetSpec {
	return TargetSpec{
		Name:          name,
		Usage:         metric + `{container!="",container!="POD"}`,
		Limit:         `kube_pod_container_resource_limits{resource="memory"}`,
		LimitFallback: `container_spec_memory_limit_bytes{container!="",container!="POD"}`,
		Restarts:      `kube_pod_container_status_restarts_total`,
		Direction:     series.Up,
		On:            []string{"namespace", "pod", "container"},
		ReportNoLimit: true,
	}
}

// Validate reports what is missing or contradictory in a spec, naming the
// field.
func (s TargetSpec) Validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return fmt.Errorf("target: name is required")
	}
	if strings.TrimSpace(s.Usage) == "" {
		return fmt.Errorf("target %q: usage query is required", s.Name)
	}
	if s.Limit == "" && (math.IsNaN(s.LimitValue) || math.IsInf(s.LimitValue, 0)) {
		return fmt.Errorf("target %q: limit must be a query or a finite number", s.Name)
	}
	if s.Direction != series.Up && s.Direction != series.Down {
		return fmt.Errorf("target %q: direction must be up or down", s.Name)
	}
	return nil
}

// Skipped is a usage series left out of the analysis, and why.
type Skipped struct {
	Spec   string
	Labels series.Labels
	Reason string
}

// fetch runs one query over [start, end] at step.
func fetch(ctx context.Context, src source.Source, expr string, start, end time.Time, step time.Duration) (*source.Result, error) {
	res, err := src.QueryRange(ctx, source.Query{Expr: expr, Start: start, End: end, Step: step})
	if err != nil {
		return nil, fmt.Errorf("cannot fetch %q: %w", shorten(expr), err)
	}
	return res, nil
}

// Collect fetches the series of spec over [start, end] and matches each
// usage series with its limit and restarts. It returns the targets, the
// usage series left out with the reason, and the sources' warnings.
func Collect(ctx context.Context, src source.Source, spec TargetSpec, start, end time.Time, step time.Duration) ([]capacity.Target, []Skipped, []string, error) {
	if err := spec.Validate(); err != nil {
		return nil, nil, nil, err
	}
	usage, err := fetch(ctx, src, spec.Usage, start, end, step)
	if err != nil {
		return nil, nil, nil, err
	}
	warnings := append([]string(nil), usage.Warnings...)
	if len(usage.Series) == 0 {
		return nil, nil, warnings, nil
	}
	// index fetches the series of expr keyed by their join labels. With
	// latest, only the last sample of each series in the window is needed
	// (limits, capacities, read-only flags: the prediction uses the value
	// in force at the end), and it is asked as last_over_time(selector[window])
	// at the end, which halves what a server sends for a large fleet.
	index := func(expr string, latest bool) (map[string]series.Series, error) {
		if expr == "" {
			return nil, nil
		}
		var res *source.Result
		var err error
		if latest && isSelector(expr) {
			res, err = src.QueryRange(ctx, source.Query{Expr: lastOverTime(expr, end.Sub(start)), Start: end, End: end, Step: time.Minute})
			if errors.Is(err, source.ErrUnsupportedQuery) {
				res, err = nil, nil // a file: the selector below
			} else if err != nil {
				return nil, fmt.Errorf("cannot fetch %q: %w", shorten(expr), err)
			}
		}
		if res == nil {
			if res, err = fetch(ctx, src, expr, start, end, step); err != nil {
				return nil, err
			}
		}
		warnings = append(warnings, res.Warnings...)
		m := make(map[string]series.Series, len(res.Series))
		for _, s := range res.Series {
			m[joinKey(s.Labels, spec.On)] = s
		}
		return m, nil
	}
	limits, err := index(spec.Limit, true)
	if err != nil {
		return nil, nil, warnings, err
	}
	fallbacks, err := index(spec.LimitFallback, true)
	if err != nil {
		return nil, nil, warnings, err
	}
	capacities, err := index(spec.Capacity, true)
	if err != nil {
		return nil, nil, warnings, err
	}
	restarts, err := index(spec.Restarts, false)
	if err != nil {
		return nil, nil, warnings, err
	}
	readOnly, err := index(spec.ReadOnly, true)
	if err != nil {
		return nil, nil, warnings, err
	}

	var targets []capacity.Target
	var skipped []Skipped
	for _, u := range usage.Series {
		key := joinKey(u.Labels, spec.On)
		if ro, ok := readOnly[key]; ok && lastValue(ro) == 1 {
			skipped = append(skipped, Skipped{Spec: spec.Name, Labels: u.Labels, Reason: "read-only filesystem"})
			continue
		}
		t := capacity.Target{Labels: u.Labels, Usage: u, Direction: spec.Direction, Restarts: restarts[key], Capacity: capacities[key]}
		switch {
		case spec.Limit == "":
			t.LimitValue = spec.LimitValue
		default:
			l, ok := limits[key]
			if !ok || l.Len() == 0 {
				l, ok = fallbacks[key]
			}
			if !ok || l.Len() == 0 {
				if !spec.ReportNoLimit {
					skipped = append(skipped, Skipped{Spec: spec.Name, Labels: u.Labels, Reason: "no matching limit series"})
					continue
				}
				t.LimitValue = math.NaN() // no limit: reported as such
			} else {
				t.Limit = l
			}
		}
		targets = append(targets, t)
	}
	return targets, skipped, warnings, nil
}

// joinKey is the value of the on labels (every label but the name when on
// is empty), used to match series of different metrics.
func joinKey(ls series.Labels, on []string) string {
	var b strings.Builder
	if len(on) == 0 {
		for _, l := range ls.Without(series.MetricName) {
			b.WriteString(l.Name)
			b.WriteByte(0)
			b.WriteString(l.Value)
			b.WriteByte(0)
		}
		return b.String()
	}
	for _, n := range on {
		b.WriteString(strconv.Quote(ls.Get(n)))
		b.WriteByte(0)
	}
	return b.String()
}

func lastValue(s series.Series) float64 {
	for i := s.Len() - 1; i >= 0; i-- {
		if !math.IsNaN(s.Values[i]) {
			return s.Values[i]
		}
	}
	return math.NaN()
}
