package scale_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/omenhq/omen/tuner/scale"
)

func cron(start, end string, n string) scale.CronTrigger {
	return scale.CronTrigger{Type: "cron", Metadata: map[string]string{"timezone": "UTC", "start": start, "end": end, "desiredReplicas": n}}
}

func TestScheduleSteps(t *testing.T) {
	const mon, tue, sun = 0, 1440, 6 * 1440
	tests := []struct {
		name     string
		triggers []scale.CronTrigger
		base     int32
		want     []scale.Step
	}{
		{"one trigger raises the minimum from its start and returns it at its end",
			[]scale.CronTrigger{cron("45 8 * * 1", "0 10 * * 1", "12")}, 2,
			[]scale.Step{{Minute: mon + 8*60 + 45, Replicas: 12}, {Minute: mon + 10*60, Replicas: 2}}},
		{"overlapping triggers take the larger minimum",
			[]scale.CronTrigger{cron("0 8 * * 2", "0 10 * * 2", "5"), cron("0 9 * * 2", "0 11 * * 2", "9")}, 2,
			[]scale.Step{{Minute: tue + 8*60, Replicas: 5}, {Minute: tue + 9*60, Replicas: 9}, {Minute: tue + 11*60, Replicas: 2}}},
		{"a trigger below the base changes nothing",
			[]scale.CronTrigger{cron("0 8 * * 2", "0 10 * * 2", "3")}, 4, nil},
		{"a trigger over a list of days is active on each of them",
			[]scale.CronTrigger{cron("0 8 * * 1,3-4", "30 8 * * 1,3-4", "4")}, 2,
			[]scale.Step{{Minute: mon + 8*60, Replicas: 4}, {Minute: mon + 8*60 + 30, Replicas: 2},
				{Minute: 2*1440 + 8*60, Replicas: 4}, {Minute: 2*1440 + 8*60 + 30, Replicas: 2},
				{Minute: 3*1440 + 8*60, Replicas: 4}, {Minute: 3*1440 + 8*60 + 30, Replicas: 2}}},
		{"every day is *",
			[]scale.CronTrigger{cron("0 12 * * *", "0 13 * * *", "3")}, 2, func() []scale.Step {
				var out []scale.Step
				for d := range 7 {
					out = append(out, scale.Step{Minute: d*1440 + 12*60, Replicas: 3}, scale.Step{Minute: d*1440 + 13*60, Replicas: 2})
				}
				return out
			}()},
		{"a trigger across Sunday midnight wraps to Monday",
			[]scale.CronTrigger{cron("30 23 * * 0", "0 1 * * 1", "7")}, 2,
			[]scale.Step{{Minute: mon + 60, Replicas: 2}, {Minute: sun + 23*60 + 30, Replicas: 7}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scale.ScheduleSteps(tt.triggers, tt.base)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("a trigger that is not minute hour * * weekday is refused", func(t *testing.T) {
		_, err := scale.ScheduleSteps([]scale.CronTrigger{cron("*/5 8 * * 1", "0 10 * * 1", "3")}, 2)
		require.ErrorIs(t, err, scale.ErrSchedule)
		require.ErrorContains(t, err, "trigger 1: start")
	})
	t.Run("a desiredReplicas that is not a positive integer is refused", func(t *testing.T) {
		_, err := scale.ScheduleSteps([]scale.CronTrigger{cron("0 8 * * 1", "0 10 * * 1", "ten")}, 2)
		require.ErrorIs(t, err, scale.ErrSchedule)
	})
	t.Run("a time zone other than UTC is refused", func(t *testing.T) {
		c := cron("0 8 * * 1", "0 10 * * 1", "4")
		c.Metadata["timezone"] = "Europe/Paris"
		_, err := scale.ScheduleSteps([]scale.CronTrigger{c}, 2)
		require.ErrorIs(t, err, scale.ErrSchedule)
	})
}

func scheduleProposal() scale.Proposal {
	var ts []scale.CronTrigger
	for _, d := range []string{"1", "2", "3", "4", "5"} {
		ts = append(ts, cron("57 8 * * "+d, "0 10 * * "+d, "12"), cron("57 17 * * "+d, "0 19 * * "+d, "9"))
	}
	ts = append(ts, cron("57 10 * * 6", "0 12 * * 6", "6"))
	return scale.Proposal{
		Workload: "shop/web", Kind: scale.KindScheduleProposal,
		Object:   scale.Ref{File: "deploy/web-hpa.yaml", Kind: scale.KindHPA, APIVersion: "autoscaling/v2", Name: "web"},
		Triggers: ts, MinReplicas: 3, ForecastOnly: true,
		Why: "A minimum of replicas by hour of the week for the recurring rises the HPA cannot follow.",
	}
}

func TestScheduleManifest(t *testing.T) {
	t.Run("an HPA's schedule is a CronJob patch that decodes strictly and matches its golden file", func(t *testing.T) {
		got, err := scale.ScheduleManifest(scheduleProposal(), scale.ScheduleOptions{})
		require.NoError(t, err)
		require.NoError(t, scale.CheckScheduleManifest(got))
		golden := filepath.Join("testdata", "schedule", "web.omen-schedule.yaml")
		if flag.Lookup("update").Value.String() == "true" { // the -update flag of manifest_test.go
			require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
			require.NoError(t, os.WriteFile(golden, got, 0o644))
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "run go test ./tuner/scale -update to write it")
		require.Equal(t, string(want), string(got))
	})
	t.Run("the CronJobs patch minReplicas at every step of the triggers and back to the policy's minimum", func(t *testing.T) {
		got, err := scale.ScheduleManifest(scheduleProposal(), scale.ScheduleOptions{Image: "example.org/kubectl:1"})
		require.NoError(t, err)
		s := string(got)
		require.Contains(t, s, `schedule: "57 8 * * 1-5"`)
		require.Contains(t, s, `schedule: "0 10 * * 1-5"`)
		require.Contains(t, s, `schedule: "57 10 * * 6"`)
		require.Contains(t, s, `schedule: "0 12 * * 6"`)
		require.Contains(t, s, `--patch, '{"spec":{"minReplicas":12}}'`)
		require.Contains(t, s, `--patch, '{"spec":{"minReplicas":3}}'`)
		require.Contains(t, s, "image: example.org/kubectl:1")
		require.Equal(t, 6, strings.Count(s, "kind: CronJob"), "08:57→12, 10:00→3, 10:57 Sat→6, 12:00 Sat→3, 17:57→9, 19:00→3")
	})
	t.Run("a proposal that is not an HPA's schedule is refused", func(t *testing.T) {
		p := scheduleProposal()
		p.Object.Kind = scale.KindScaledObject
		_, err := scale.ScheduleManifest(p, scale.ScheduleOptions{})
		require.ErrorIs(t, err, scale.ErrSchedule)
	})
	t.Run("a workload without a namespace is refused", func(t *testing.T) {
		p := scheduleProposal()
		p.Workload = "web"
		_, err := scale.ScheduleManifest(p, scale.ScheduleOptions{})
		require.ErrorIs(t, err, scale.ErrSchedule)
		require.ErrorContains(t, err, "namespace")
	})
	t.Run("a long HPA name gives CronJob names of at most 52 characters, still distinct", func(t *testing.T) {
		p := scheduleProposal()
		p.Object.Name = strings.Repeat("checkout-service-", 4) + "hpa"
		got, err := scale.ScheduleManifest(p, scale.ScheduleOptions{})
		require.NoError(t, err)
		require.NoError(t, scale.CheckScheduleManifest(got))
	})
}

func TestCheckScheduleManifest(t *testing.T) {
	good, err := scale.ScheduleManifest(scheduleProposal(), scale.ScheduleOptions{})
	require.NoError(t, err)
	for _, tt := range []struct{ name, from, to string }{
		{"a misspelt field is refused", "concurrencyPolicy: Replace", "concurencyPolicy: Replace"},
		{"a value of the wrong type is refused", "backoffLimit: 4", "backoffLimit: four"},
		{"a CronJob outside UTC is refused", "timeZone: Etc/UTC", "timeZone: Europe/Paris"},
		{"an object of another kind is refused", "kind: ServiceAccount", "kind: ConfigMap"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tt.from, tt.to, 1)
			require.NotEqual(t, string(good), bad)
			require.ErrorIs(t, scale.CheckScheduleManifest([]byte(bad)), scale.ErrDecode)
		})
	}
}

func TestEditSchedule(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "manifests", "shop", "worker.yaml"))
	require.NoError(t, err)
	set, err := scale.Read([]string{filepath.Join("testdata", "manifests", "shop", "worker.yaml")}, scale.ReadOptions{})
	require.NoError(t, err)
	w, err := set.Find("shop/worker")
	require.NoError(t, err)
	p := scheduleProposal()
	p.Workload, p.Object = "shop/worker", w.Autoscaler.Object
	p.Triggers = p.Triggers[:2]

	t.Run("a ScaledObject gets the cron triggers appended, and nothing else changes", func(t *testing.T) {
		out, err := scale.EditSchedule(src, p)
		require.NoError(t, err)
		golden := filepath.Join("testdata", "edited", "worker-keda-schedule.yaml")
		if flag.Lookup("update").Value.String() == "true" {
			require.NoError(t, os.WriteFile(golden, out, 0o644))
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "run go test ./tuner/scale -update to write it")
		require.Equal(t, string(want), string(out))
		// Only lines were added, after the last trigger.
		service := strings.Index(string(src), "---\napiVersion: v1\nkind: Service")
		require.True(t, strings.HasPrefix(string(out), string(src[:service])))
		require.True(t, strings.HasSuffix(string(out), string(src[service:])))
		require.Equal(t, len(strings.Split(string(src), "\n"))+2*7, len(strings.Split(string(out), "\n")), "seven lines a trigger")
		back, err := scale.Read([]string{golden}, scale.ReadOptions{})
		require.NoError(t, err)
		w2, err := back.Find("shop/worker")
		require.NoError(t, err)
		// Read back, the triggers are part of the policy replayed: the
		// floor they make, and nothing else changed.
		require.Equal(t, w.Autoscaler.Policy.String()+", cron floor", w2.Autoscaler.Policy.String())
		want2, err := scale.TriggerFloor(p.Triggers)
		require.NoError(t, err)
		require.Equal(t, want2.ByMinute, w2.Autoscaler.Policy.Floor.ByMinute)
		require.Empty(t, w2.Autoscaler.Unreplayable)
	})
	t.Run("the same schedule again is already applied", func(t *testing.T) {
		out, err := scale.EditSchedule(src, p)
		require.NoError(t, err)
		_, err = scale.EditSchedule(out, p)
		require.ErrorIs(t, err, scale.ErrApplied)
	})
	t.Run("another schedule over a written one is stale", func(t *testing.T) {
		out, err := scale.EditSchedule(src, p)
		require.NoError(t, err)
		q := p
		q.Triggers = []scale.CronTrigger{cron("0 6 * * 3", "0 7 * * 3", "4")}
		_, err = scale.EditSchedule(out, q)
		require.ErrorIs(t, err, scale.ErrStale)
	})
	t.Run("an HPA's schedule is not appended to a manifest", func(t *testing.T) {
		_, err := scale.EditSchedule(src, scheduleProposal())
		require.ErrorIs(t, err, scale.ErrSchedule)
	})
}

func TestTriggerFloor(t *testing.T) {
	at := func(f *scale.Schedule, minute int) int32 { return f.ByMinute[minute] }
	t.Run("the floor is the largest desiredReplicas active at each minute, 0 elsewhere", func(t *testing.T) {
		f, err := scale.TriggerFloor([]scale.CronTrigger{cron("0 8 * * 2", "0 10 * * 2", "5"), cron("0 9 * * 2", "0 11 * * 2", "9")})
		require.NoError(t, err)
		require.Len(t, f.ByMinute, 7*1440)
		tue := 1440
		require.Equal(t, int32(0), at(f, tue+8*60-1))
		require.Equal(t, int32(5), at(f, tue+8*60))
		require.Equal(t, int32(9), at(f, tue+9*60))
		require.Equal(t, int32(9), at(f, tue+11*60-1))
		require.Equal(t, int32(0), at(f, tue+11*60))
		require.Equal(t, "UTC", f.Location.String())
	})
	t.Run("weekday names and ? are read as cron reads them", func(t *testing.T) {
		f, err := scale.TriggerFloor([]scale.CronTrigger{cron("0 8 ? * MON-FRI", "0 18 ? * mon-fri", "4")})
		require.NoError(t, err)
		for d := range 7 {
			want := int32(4)
			if d >= 5 {
				want = 0
			}
			require.Equal(t, want, at(f, d*1440+12*60), "day %d", d)
		}
	})
	t.Run("a time zone is kept for the simulator", func(t *testing.T) {
		c := cron("0 8 * * 1-5", "0 18 * * 1-5", "4")
		c.Metadata["timezone"] = "Europe/Berlin"
		f, err := scale.TriggerFloor([]scale.CronTrigger{c})
		require.NoError(t, err)
		require.Equal(t, "Europe/Berlin", f.Location.String())
	})
	for _, tc := range []struct {
		name, want string
		mod        func(c scale.CronTrigger) []scale.CronTrigger
	}{
		{"an unknown time zone is refused", `trigger 1: timezone "Mars/Olympus"`, func(c scale.CronTrigger) []scale.CronTrigger {
			c.Metadata["timezone"] = "Mars/Olympus"
			return []scale.CronTrigger{c}
		}},
		{"triggers in two time zones are refused", "trigger 2: timezone", func(c scale.CronTrigger) []scale.CronTrigger {
			d := cron("0 9 * * 1", "0 10 * * 1", "3")
			d.Metadata["timezone"] = "America/New_York"
			return []scale.CronTrigger{c, d}
		}},
		{"a step in the minutes is refused, with what is read", `trigger 1: start: "*/15 8 * * 1": want "minute hour * * weekdays"`, func(c scale.CronTrigger) []scale.CronTrigger {
			c.Metadata["start"] = "*/15 8 * * 1"
			return []scale.CronTrigger{c}
		}},
		{"a day of the month is refused", "trigger 1: end", func(c scale.CronTrigger) []scale.CronTrigger {
			c.Metadata["end"] = "0 10 1 * *"
			return []scale.CronTrigger{c}
		}},
		{"a descending weekday range is refused", `weekdays "FRI-MON"`, func(c scale.CronTrigger) []scale.CronTrigger {
			c.Metadata["start"] = "0 8 * * FRI-MON"
			return []scale.CronTrigger{c}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scale.TriggerFloor(tc.mod(cron("0 8 * * 1", "0 10 * * 1", "4")))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestReadReplaysAScaledObjectsCronTriggers(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "manifests", "shop", "worker.yaml"))
	require.NoError(t, err)
	write := func(t *testing.T, triggers string) *scale.Workload {
		t.Helper()
		s := strings.Replace(string(src), "        value: \"65\"\n", "        value: \"65\"\n"+triggers, 1)
		f := filepath.Join(t.TempDir(), "worker.yaml")
		require.NoError(t, os.WriteFile(f, []byte(s), 0o644))
		set, err := scale.Read([]string{f}, scale.ReadOptions{})
		require.NoError(t, err)
		w, err := set.Find("shop/worker")
		require.NoError(t, err)
		return w
	}
	t.Run("a ScaledObject's own cron triggers are part of the policy replayed", func(t *testing.T) {
		w := write(t, `    - type: cron
      metadata:
        timezone: Europe/Berlin
        start: "0 8 * * MON-FRI"
        end: "0 18 * * MON-FRI"
        desiredReplicas: "6"
`)
		require.Empty(t, w.Autoscaler.Unreplayable)
		f := w.Autoscaler.Policy.Floor
		require.NotNil(t, f)
		require.Equal(t, "Europe/Berlin", f.Location.String())
		require.Equal(t, int32(6), f.ByMinute[12*60])
		require.Contains(t, w.Autoscaler.Policy.String(), "cron floor")
	})
	t.Run("cron triggers omen cannot read make the policy unreplayable, with the reason", func(t *testing.T) {
		w := write(t, `    - type: cron
      metadata:
        timezone: UTC
        start: "*/30 8 * * *"
        end: "0 18 * * *"
        desiredReplicas: "6"
`)
		require.Contains(t, w.Autoscaler.Unreplayable, "worker.yaml:23: ScaledObject worker: its cron triggers cannot be replayed: trigger 1: start")
		// No HPA proposal is made against a policy omen cannot replay.
		load := make([]float64, 5*24*60)
		for i := range load {
			load[i] = 0.5
		}
		start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
		rep := scale.Propose(w, scale.History{Demand: scale.Demand{Start: start, Step: time.Minute, Load: map[string][]float64{"cpu": load}}},
			scale.Config{HoldOut: 24 * time.Hour})
		for _, p := range rep.Proposals {
			require.NotEqual(t, scale.KindHPAProposal, p.Kind)
		}
		require.NotEmpty(t, rep.Skipped)
		require.Contains(t, rep.Skipped[0].Reason, "HPA: ")
		require.Contains(t, rep.Skipped[0].Reason, "cannot be replayed")
	})
}
