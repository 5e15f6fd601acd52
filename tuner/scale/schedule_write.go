package scale

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"

	"github.com/omenhq/omen/tuner/yamledit"
)

// DefaultKubectlImage is the image the CronJobs of a written schedule run
// kubectl from: the kubectl image the Kubernetes project publishes.
const DefaultKubectlImage = "registry.k8s.io/kubectl:v1.34.1"

// ErrSchedule is wrapped by the errors of a schedule that cannot be
// written.
var ErrSchedule = errors.New("scale: schedule cannot be written")

// ScheduleOptions are the settings of a written schedule.
type ScheduleOptions struct {
	// Image is the kubectl image of the CronJobs; empty means the
	// proposal's KubectlImage, else DefaultKubectlImage.
	Image string
}

// Step is one change of a schedule's minimum: at a minute of the week
// (UTC; Monday 00:00 is 0) the minimum becomes Replicas.
type Step struct {
	Minute   int   `json:"minute"`
	Replicas int32 `json:"replicas"`
}

const minutesPerWeek = 7 * 24 * 60

// ScheduleSteps returns the changes of the minimum of replicas the
// triggers of a schedule proposal make over a week, in minute order: at
// each minute m the minimum is max(base, the desiredReplicas of every
// trigger active at m; see TriggerSpans), as KEDA applies cron triggers
// beside an HPA whose minReplicas is base. Replaying the steps from any
// minute gives the same minimum at every minute of the week. It fails on
// a trigger TriggerSpans refuses, one whose time zone is not UTC, or one
// whose desiredReplicas is not a positive integer.
func ScheduleSteps(triggers []CronTrigger, base int32) ([]Step, error) {
	for i, t := range triggers {
		if tz := t.Metadata["timezone"]; !isUTC(tz) {
			return nil, fmt.Errorf("%w: trigger %d: timezone %q: want UTC", ErrSchedule, i+1, tz)
		}
	}
	week, err := triggerWeek(triggers, base)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSchedule, err)
	}
	var out []Step
	for m := range minutesPerWeek {
		prev := week[(m+minutesPerWeek-1)%minutesPerWeek]
		if week[m] != prev {
			out = append(out, Step{Minute: m, Replicas: week[m]})
		}
	}
	return out, nil
}

// TriggerFloor returns the floor KEDA cron triggers put under a
// ScaledObject's replicas, minute by minute in their time zone (one for
// all of them), for the simulator to replay: at each minute the largest
// desiredReplicas of the triggers active then (see TriggerSpans), 0 when
// none is. It fails on a trigger TriggerSpans refuses, an unknown time
// zone, triggers in different time zones, or a desiredReplicas that is
// not a positive integer.
func TriggerFloor(triggers []CronTrigger) (*Schedule, error) {
	var loc *time.Location
	for i, t := range triggers {
		l, err := triggerLocation(t)
		if err != nil {
			return nil, fmt.Errorf("trigger %d: %v", i+1, err)
		}
		if loc != nil && l.String() != loc.String() {
			return nil, fmt.Errorf("trigger %d: timezone %q, trigger 1's is %q: want one time zone for all", i+1, l, loc)
		}
		loc = l
	}
	week, err := triggerWeek(triggers, 0)
	if err != nil {
		return nil, err
	}
	return &Schedule{ByMinute: week, Location: loc}, nil
}

// triggerWeek returns the minimum of replicas at each minute of the week
// (Monday 00:00 first, in the triggers' time zone): max(base, the
// desiredReplicas of every trigger active then).
func triggerWeek(triggers []CronTrigger, base int32) ([]int32, error) {
	week := make([]int32, minutesPerWeek)
	for i := range week {
		week[i] = base
	}
	for i, t := range triggers {
		n, err := strconv.ParseInt(t.Metadata["desiredReplicas"], 10, 32)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("trigger %d: desiredReplicas %q: want a positive integer", i+1, t.Metadata["desiredReplicas"])
		}
		spans, err := TriggerSpans(t)
		if err != nil {
			return nil, fmt.Errorf("trigger %d: %v", i+1, err)
		}
		for _, sp := range spans {
			for m := sp[0]; m < sp[1]; m++ {
				k := m % minutesPerWeek
				week[k] = max(week[k], int32(n))
			}
		}
	}
	return week, nil
}

// isUTC reports whether a cron trigger's timezone names UTC ("" is UTC).
func isUTC(tz string) bool {
	return tz == "" || tz == "UTC" || tz == "Etc/UTC"
}

// triggerLocation returns the time zone of a cron trigger
// (metadata.timezone, an IANA name; UTC when empty).
func triggerLocation(t CronTrigger) (*time.Location, error) {
	tz := t.Metadata["timezone"]
	if isUTC(tz) {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("timezone %q: want an IANA time zone name: %v", tz, err)
	}
	return loc, nil
}

// TriggerSpans returns the minutes of the week (Monday 00:00 is 0, in the
// trigger's time zone) a KEDA cron trigger is active: from each instant
// its start expression names to the first instant its end expression
// names after it, as [from, to) with to > from (to may pass the week's
// end: it wraps). Start and end are "M H * * D": one minute, one hour,
// any day of the month and month (* or ?), and D a weekday — 0 to 7 (0
// and 7 are Sunday) or SUN to SAT — a list and ranges of them ("1-5",
// "MON-FRI", "0,6") or * or ?.
func TriggerSpans(t CronTrigger) ([][2]int, error) {
	starts, err := weekMinutes(t.Metadata["start"])
	if err != nil {
		return nil, fmt.Errorf("start: %v", err)
	}
	ends, err := weekMinutes(t.Metadata["end"])
	if err != nil {
		return nil, fmt.Errorf("end: %v", err)
	}
	var out [][2]int
	for _, from := range starts {
		to := -1
		for _, e := range ends {
			if e <= from {
				e += minutesPerWeek
			}
			if to < 0 || e < to {
				to = e
			}
		}
		out = append(out, [2]int{from, to})
	}
	return out, nil
}

// weekdayNames are cron's names of the days, Sunday first.
var weekdayNames = [7]string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

// weekMinutes reads "M H * * D" (see TriggerSpans) as the minutes of the
// week from Monday 00:00 it names, sorted.
func weekMinutes(s string) ([]int, error) {
	want := fmt.Errorf("%q: want \"minute hour * * weekdays\" (one minute and one hour; weekdays 0-7 or SUN-SAT, lists, ranges or *)", s)
	f := strings.Fields(s)
	if len(f) != 5 || !anyField(f[2]) || !anyField(f[3]) {
		return nil, want
	}
	mi, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || mi < 0 || mi > 59 || h < 0 || h > 23 {
		return nil, want
	}
	var days [7]bool
	if anyField(f[4]) {
		days = [7]bool{true, true, true, true, true, true, true}
	} else {
		for _, part := range strings.Split(f[4], ",") {
			lo, hi, isRange := strings.Cut(part, "-")
			a, ok1 := weekday(lo)
			b, ok2 := a, true
			if isRange {
				b, ok2 = weekday(hi)
			}
			if !ok1 || !ok2 || b < a {
				return nil, fmt.Errorf("%q: weekdays %q: want 0-7 or SUN-SAT, lists and ascending ranges of them", s, f[4])
			}
			for d := a; d <= b; d++ {
				days[d%7] = true
			}
		}
	}
	var out []int
	for d, on := range days {
		if on {
			out = append(out, ((d+6)%7)*1440+h*60+mi)
		}
	}
	slices.Sort(out)
	return out, nil
}

// anyField reports whether a cron field means every value.
func anyField(s string) bool { return s == "*" || s == "?" }

// weekday reads a cron weekday, 0–7 (0 and 7 are Sunday) or a name.
func weekday(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 0 && n <= 7
	}
	for i, name := range weekdayNames {
		if strings.EqualFold(s, name) {
			return i, true
		}
	}
	return 0, false
}

// ScheduleFile returns where a schedule proposal for an HPA is written,
// relative to the --write directory: beside the HPA's file (rel is that
// file's path under its root), named after the HPA.
func ScheduleFile(rel string, p Proposal) string {
	return filepath.Join(filepath.Dir(rel), dnsName(p.Object.Name, 253)+".omen-schedule.yaml")
}

// ScheduleManifest writes a schedule proposal for a HorizontalPodAutoscaler
// as a documented CronJob patch: a ServiceAccount allowed to get and patch
// that one HPA (Role, RoleBinding) and one CronJob per time of day and
// minimum, each running kubectl patch on spec.minReplicas at the minutes
// of ScheduleSteps, in UTC. The HPA controller raises replicas below
// minReplicas to it at its next sync without the scale-up policies, so
// the patch reaches the minimum at least as fast as the KEDA cron triggers
// the proposal's figures simulate. The file's comments say what it does,
// what GitOps controllers must ignore, and how to remove it; every
// document decodes strictly (CheckScheduleManifest). It fails for a
// proposal that is not a schedule for an HPA, or that names no namespace.
func ScheduleManifest(p Proposal, opt ScheduleOptions) ([]byte, error) {
	if p.Kind != KindScheduleProposal || p.Object.Kind != KindHPA {
		return nil, fmt.Errorf("%w: %s: a CronJob patch is written for an HPA's schedule, not a %s of a %s", ErrSchedule, p.Workload, p.Kind, p.Object.Kind)
	}
	ns, _, ok := strings.Cut(p.Workload, "/")
	if !ok || ns == "" {
		return nil, fmt.Errorf("%w: %s: no namespace (set it in the manifest or with --namespace)", ErrSchedule, p.Workload)
	}
	if p.MinReplicas < 1 {
		return nil, fmt.Errorf("%w: %s: no minReplicas to return to between the triggers", ErrSchedule, p.Workload)
	}
	steps, err := ScheduleSteps(p.Triggers, p.MinReplicas)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Workload, err)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("%w: %s: the triggers never raise the minimum above %d", ErrSchedule, p.Workload, p.MinReplicas)
	}
	image := opt.Image
	if image == "" {
		image = p.KubectlImage
	}
	if image == "" {
		image = DefaultKubectlImage
	}
	hpa := p.Object.Name
	sa := dnsName("omen-schedule-"+hpa, 253)
	jobs := cronJobs(steps)

	var b bytes.Buffer
	fmt.Fprintf(&b, "# omen scale: a predictive minimum of replicas for HorizontalPodAutoscaler %s/%s\n", ns, hpa)
	fmt.Fprintf(&b, "# (%s). Outside the times below its minReplicas is %d.\n", filepath.Base(p.Object.File), p.MinReplicas)
	b.WriteString("#\n# Each CronJob patches the HPA's spec.minReplicas at its times (UTC):\n")
	for _, j := range jobs {
		fmt.Fprintf(&b, "#   %s %02d:%02d → %d\n", daysText(j.days), j.minute/60, j.minute%60, j.replicas)
	}
	b.WriteString("# The HPA controller raises replicas below minReplicas to it at its next sync (without\n" +
		"# the scale-up policies) and scales down from it after its scale-down stabilisation window.\n" +
		"# If Argo CD or Flux manages the HPA, make it ignore /spec/minReplicas (Argo CD:\n" +
		"# ignoreDifferences with jsonPointers [/spec/minReplicas]), or its sync undoes the patches.\n" +
		fmt.Sprintf("# To remove the schedule: delete these objects and set minReplicas back to %d.\n", p.MinReplicas))
	if p.Why != "" {
		b.WriteString("#\n")
		for _, l := range wrapText(p.Why, 92) {
			b.WriteString("# " + l + "\n")
		}
	}
	labels := "  labels:\n    app.kubernetes.io/managed-by: omen\n    app.kubernetes.io/part-of: omen-schedule\n"
	meta := func(name string) string {
		return fmt.Sprintf("metadata:\n  name: %s\n  namespace: %s\n%s", name, ns, labels)
	}
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ServiceAccount\n%s", meta(sa))
	fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n%srules:\n"+
		"  - apiGroups: [autoscaling]\n    resources: [horizontalpodautoscalers]\n    resourceNames: [%s]\n    verbs: [get, patch]\n", meta(sa), yamlString(hpa))
	fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n%sroleRef:\n"+
		"  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: %s\nsubjects:\n  - kind: ServiceAccount\n    name: %s\n    namespace: %s\n", meta(sa), sa, sa, ns)
	for _, j := range jobs {
		name := dnsName(fmt.Sprintf("%s-min-%02d%02d-%d", hpa, j.minute/60, j.minute%60, j.replicas), 52)
		patch := fmt.Sprintf(`{"spec":{"minReplicas":%d}}`, j.replicas)
		fmt.Fprintf(&b, "---\napiVersion: batch/v1\nkind: CronJob\n%s", meta(name))
		fmt.Fprintf(&b, "spec:\n  schedule: %q\n  timeZone: Etc/UTC\n  concurrencyPolicy: Replace\n  startingDeadlineSeconds: 600\n"+
			"  successfulJobsHistoryLimit: 1\n  failedJobsHistoryLimit: 3\n  jobTemplate:\n    spec:\n      backoffLimit: 4\n      activeDeadlineSeconds: 600\n"+
			"      template:\n        metadata:\n          labels:\n            app.kubernetes.io/managed-by: omen\n            app.kubernetes.io/part-of: omen-schedule\n        spec:\n          serviceAccountName: %s\n          restartPolicy: OnFailure\n"+
			"          containers:\n            - name: kubectl\n              image: %s\n              command: [kubectl]\n"+
			"              args: [patch, horizontalpodautoscaler, %s, --namespace, %s, --type, merge, --patch, %s]\n"+
			"              securityContext:\n                runAsNonRoot: true\n                runAsUser: 65532\n                allowPrivilegeEscalation: false\n"+
			"                readOnlyRootFilesystem: true\n                capabilities:\n                  drop: [ALL]\n",
			fmt.Sprintf("%d %d * * %s", j.minute%60, j.minute/60, cronDays(j.days)),
			sa, yamlString(image), yamlString(hpa), ns, yamlString(patch))
	}
	out := b.Bytes()
	if err := CheckScheduleManifest(out); err != nil {
		return nil, fmt.Errorf("%s: %w", p.Workload, err)
	}
	return out, nil
}

// cronJob is one CronJob of a written schedule: at minute of the day
// minute, on days (Monday is 0), the minimum becomes replicas.
type cronJob struct {
	minute   int
	replicas int32
	days     []int
}

// cronJobs groups steps by time of day and minimum.
func cronJobs(steps []Step) []cronJob {
	var out []cronJob
	for _, s := range steps {
		d, m := s.Minute/1440, s.Minute%1440
		i := slices.IndexFunc(out, func(j cronJob) bool { return j.minute == m && j.replicas == s.Replicas })
		if i < 0 {
			out = append(out, cronJob{minute: m, replicas: s.Replicas})
			i = len(out) - 1
		}
		out[i].days = append(out[i].days, d)
	}
	slices.SortFunc(out, func(a, b cronJob) int {
		if a.minute != b.minute {
			return a.minute - b.minute
		}
		return int(a.replicas - b.replicas)
	})
	return out
}

// cronDays writes days (Monday 0) as cron weekdays (Sunday 0), runs of
// three or more as ranges: "1-5", "0,6".
func cronDays(days []int) string {
	c := make([]int, len(days))
	for i, d := range days {
		c[i] = (d + 1) % 7
	}
	slices.Sort(c)
	return joinRuns(slices.Compact(c), strconv.Itoa, "-")
}

var dayNames = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// daysText writes days (Monday 0, sorted) for a reader: "Mon–Fri",
// "every day".
func daysText(days []int) string {
	if len(days) == 7 {
		return "every day"
	}
	return joinRuns(days, func(d int) string { return dayNames[d] }, "–")
}

// joinRuns writes sorted distinct days separated by commas, a run of
// three or more consecutive ones as its first and last joined by dash.
func joinRuns(days []int, name func(int) string, dash string) string {
	var parts []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1] == days[j]+1 {
			j++
		}
		if j-i >= 2 {
			parts = append(parts, name(days[i])+dash+name(days[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, name(days[k]))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// dnsName makes s a DNS-1123 name of at most n characters: lower case,
// other characters as '-', and when too long cut with a hash of the whole
// so that different long names stay different.
func dnsName(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) <= n {
		return out
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	suffix := fmt.Sprintf("-%08x", h.Sum32())
	return strings.TrimRight(out[:n-len(suffix)], "-") + suffix
}

// yamlString writes s as a YAML flow scalar: plain when it reads back as
// the same string, else single-quoted, else double-quoted.
func yamlString(s string) string {
	var v any
	if err := yaml.Unmarshal([]byte("["+s+"]"), &v); err == nil {
		if l, ok := v.([]any); ok && len(l) == 1 {
			if got, ok := l[0].(string); ok && got == s {
				return s
			}
		}
	}
	if !strings.ContainsAny(s, "'\n\r\t") {
		return "'" + s + "'"
	}
	return strconv.Quote(s)
}

// wrapText splits s into lines of at most width characters at spaces.
func wrapText(s string, width int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

var (
	scheduleScheme  = runtime.NewScheme()
	scheduleDecoder runtime.Decoder
)

func init() {
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, rbacv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheduleScheme); err != nil {
			panic(err)
		}
	}
	scheduleDecoder = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheduleScheme, scheduleScheme, kjson.SerializerOptions{Yaml: true, Strict: true})
}

// CheckScheduleManifest decodes every document of a written schedule
// strictly into its Kubernetes type (ServiceAccount, Role, RoleBinding,
// CronJob), as the API server does with strict field validation, and
// checks each CronJob's schedule and time zone; an error names the
// document and wraps ErrDecode.
func CheckScheduleManifest(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 1; ; i++ {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				if i == 1 {
					return fmt.Errorf("%w: no documents", ErrDecode)
				}
				return nil
			}
			return fmt.Errorf("%w: document %d: %v", ErrDecode, i, err)
		}
		raw, err := yaml.Marshal(&doc)
		if err != nil {
			return fmt.Errorf("%w: document %d: %v", ErrDecode, i, err)
		}
		obj, _, err := scheduleDecoder.Decode(raw, nil, nil)
		if err != nil {
			return fmt.Errorf("%w: document %d: %s", ErrDecode, i, strictMessage(err))
		}
		switch o := obj.(type) {
		case *corev1.ServiceAccount, *rbacv1.Role, *rbacv1.RoleBinding:
		case *batchv1.CronJob:
			if f := strings.Fields(o.Spec.Schedule); len(f) != 5 {
				return fmt.Errorf("%w: document %d: CronJob %s: schedule %q: want five fields", ErrDecode, i, o.Name, o.Spec.Schedule)
			}
			if o.Spec.TimeZone == nil || *o.Spec.TimeZone != "Etc/UTC" {
				return fmt.Errorf("%w: document %d: CronJob %s: want timeZone Etc/UTC", ErrDecode, i, o.Name)
			}
			if len(o.Name) > 52 {
				return fmt.Errorf("%w: document %d: CronJob name %q longer than 52 characters", ErrDecode, i, o.Name)
			}
		default:
			return fmt.Errorf("%w: document %d: a %T in a schedule", ErrDecode, i, obj)
		}
	}
}

// EditSchedule appends a schedule proposal's cron triggers to its KEDA
// ScaledObject's spec.triggers with the minimal editor, each named
// omen-schedule-N: only the appended lines differ from src. The result is
// checked as Edit's is: it decodes strictly, it is the original object
// with those triggers added and nothing else changed, and it reads back.
// A ScaledObject that holds omen-schedule triggers already gives
// ErrApplied when they are these, ErrStale otherwise (remove them to
// write the new ones: the editor adds and never removes).
func EditSchedule(src []byte, p Proposal) ([]byte, error) {
	obj := p.Object
	if p.Kind != KindScheduleProposal || obj.Kind != KindScaledObject {
		return nil, fmt.Errorf("%w: %s: cron triggers are appended to a ScaledObject, not to a %s", ErrSchedule, p.Workload, obj.Kind)
	}
	if len(p.Triggers) == 0 {
		return nil, fmt.Errorf("%w: %s: no triggers", ErrSchedule, p.Workload)
	}
	f, doc, root, err := openObject(src, obj)
	if err != nil {
		return nil, err
	}
	seq := getNode(getNode(root, "spec"), "triggers")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%w: %s:%d: ScaledObject %s has no spec.triggers list", ErrField, obj.File, root.Line, obj.Name)
	}
	var mine []map[string]string
	for _, it := range seq.Content {
		it = yamledit.Resolve(it)
		if strings.HasPrefix(scalarOf(it, "name"), "omen-schedule-") {
			m := map[string]string{}
			if md := getNode(it, "metadata"); md != nil && md.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(md.Content); i += 2 {
					m[md.Content[i].Value] = md.Content[i+1].Value
				}
			}
			mine = append(mine, m)
		}
	}
	if len(mine) > 0 {
		same := len(mine) == len(p.Triggers)
		for i := 0; same && i < len(mine); i++ {
			same = maps.Equal(mine[i], p.Triggers[i].Metadata)
		}
		if same {
			return nil, fmt.Errorf("%w: ScaledObject %s in %s has these omen-schedule triggers", ErrApplied, obj.Name, obj.File)
		}
		return nil, fmt.Errorf("%w: %s: ScaledObject %s holds %d other omen-schedule triggers: remove them to write the new schedule", ErrStale, obj.File, obj.Name, len(mine))
	}
	var added []ScaleTrigger
	for i, t := range p.Triggers {
		name := fmt.Sprintf("omen-schedule-%d", i+1)
		md := []yamledit.Pair{}
		for _, k := range []string{"timezone", "start", "end", "desiredReplicas"} {
			if v, ok := t.Metadata[k]; ok {
				md = append(md, yamledit.Pair{Key: k, Value: v})
			}
		}
		if err := f.Append(seq, []yamledit.Pair{{Key: "type", Value: "cron"}, {Key: "name", Value: name}, {Key: "metadata", Pairs: md}}); err != nil {
			return nil, fmt.Errorf("%s:%d: ScaledObject %s: cannot append to spec.triggers: %w", obj.File, seq.Line, obj.Name, err)
		}
		added = append(added, ScaleTrigger{Type: "cron", Name: name, Metadata: maps.Clone(t.Metadata)})
	}
	out, g, err := edited(f, obj)
	if err != nil {
		return nil, err
	}
	decode := func(d *yaml.Node) (*ScaledObject, error) {
		b, err := docBytes(d)
		if err != nil {
			return nil, err
		}
		o, err := DecodeStrict(b)
		if err != nil {
			return nil, err
		}
		so, ok := o.(*ScaledObject)
		if !ok {
			return nil, fmt.Errorf("%w: not a ScaledObject", ErrDecode)
		}
		return so, nil
	}
	before, err := decode(f.Docs()[doc])
	if err != nil {
		return nil, fmt.Errorf("%s: ScaledObject %s: %w", obj.File, obj.Name, err)
	}
	after, err := decode(g.Docs()[doc])
	if err != nil {
		return nil, fmt.Errorf("%s: ScaledObject %s: the edited object: %w", obj.File, obj.Name, err)
	}
	before.Spec.Triggers = append(before.Spec.Triggers, added...)
	if !reflect.DeepEqual(before, after) {
		return nil, fmt.Errorf("%w: %s: ScaledObject %s: the edited object differs from the original in more than the appended triggers", yamledit.ErrVerify, obj.File, obj.Name)
	}
	if _, _, _, _, err := parseFile(obj.File, out, ReadOptions{}); err != nil {
		return nil, fmt.Errorf("ScaledObject %s: the edited file would not be accepted: %w", obj.Name, err)
	}
	return out, nil
}

// ApplyProposal applies one proposal to src, the bytes of the file of its
// Object: its changes with Edit, or, for a ScaledObject's schedule, its
// cron triggers with EditSchedule. An HPA's schedule is not an edit of its
// file but a file of its own (ScheduleManifest); it is refused here with
// ErrSchedule, as is a values file's (the chart makes the HPA).
func ApplyProposal(src []byte, p Proposal) ([]byte, error) {
	if p.Kind != KindScheduleProposal {
		return Edit(src, p.Object, p.Changes)
	}
	if p.Object.Kind == KindScaledObject {
		return EditSchedule(src, p)
	}
	return nil, fmt.Errorf("%w: %s: the schedule of a %s is a file of its own (ScheduleManifest), not an edit", ErrSchedule, p.Workload, p.Object.Kind)
}
