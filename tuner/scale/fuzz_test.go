package scale

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/tuner/yamledit"
)

// FuzzEditRoundTrip reads a manifest, changes one of its fields with Edit,
// and reads the result again: whatever Edit returns without an error must
// decode strictly, hold the new value, and equal the original everywhere
// else (Edit checks the last itself; this checks that it never returns
// anything else).
func FuzzEditRoundTrip(f *testing.F) {
	files, _ := filepath.Glob("testdata/manifests/*/*.yaml")
	more, _ := filepath.Glob("testdata/manifests/charts/*/values.yaml")
	for _, file := range append(files, more...) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for k := range uint8(6) {
			f.Add(b, k, uint16(7+k))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, pick uint8, value uint16) {
		ws, as, _, _, err := parseFile("m.yaml", src, ReadOptions{})
		if err != nil {
			return
		}
		type target struct {
			obj   Ref
			field Change
		}
		var targets []target
		for _, w := range ws {
			for _, c := range w.Containers {
				for _, fld := range []string{"requests.cpu", "requests.memory", "limits.memory"} {
					targets = append(targets, target{obj: w.Object, field: Change{Field: fld, Container: c.Name}})
				}
			}
			if w.Object.Kind == KindValues {
				for _, fld := range []string{"minReplicas", "maxReplicas", "targetCPUUtilizationPercentage"} {
					targets = append(targets, target{obj: w.Object, field: Change{Field: fld}})
				}
			}
		}
		for _, a := range as {
			for fld := range a.Fields {
				targets = append(targets, target{obj: a.Object, field: Change{Field: fld}})
			}
		}
		if len(targets) == 0 {
			return
		}
		tg := targets[int(pick)%len(targets)]
		ed, err := yamledit.Parse(src)
		if err != nil {
			return
		}
		_, root, err := findDoc(ed, tg.obj)
		if err != nil {
			return
		}
		p, err := fieldPath(root, tg.obj.Kind, tg.obj.APIVersion, tg.field)
		if err != nil {
			return
		}
		cur, _ := valueAt(root, p)
		c := tg.field
		c.From = cur
		switch {
		case quantityField(p) && c.Field[len(c.Field)-3:] == "cpu":
			c.To = strconv.Itoa(int(value)%4000+1) + "m"
		case quantityField(p):
			c.To = strconv.Itoa(int(value)%4000+1) + "Mi"
		case c.Field == "triggers.cpu.value":
			c.To = strconv.Itoa(int(value)%99 + 1)
		default:
			c.To = int(value)%500 + 1
		}
		out, err := Edit(src, tg.obj, []Change{c})
		if err != nil {
			return
		}
		ws2, as2, _, _, err := parseFile("m.yaml", out, ReadOptions{})
		require.NoError(t, err, "the edited file must read back:\n%s", out)
		require.Equal(t, len(ws), len(ws2))
		require.Equal(t, len(as), len(as2))
		ed2, err := yamledit.Parse(out)
		require.NoError(t, err)
		_, root2, err := findDoc(ed2, tg.obj)
		require.NoError(t, err)
		got, n := valueAt(root2, p)
		require.True(t, sameValue(got, c.To), "%s is %v, want %v", p, got, c.To)
		require.Equal(t, yaml.ScalarNode, n.Kind)
	})
}

// FuzzTriggerSpans checks that any cron trigger is either refused or read
// as spans inside the week, each shorter than a week, whose floor is the
// trigger's desiredReplicas exactly where a span is.
func FuzzTriggerSpans(f *testing.F) {
	for _, s := range [][2]string{
		{"0 8 * * 1", "0 10 * * 1"}, {"45 23 ? * MON-FRI", "15 0 * * 2-6"}, {"0 0 * * *", "0 0 * * *"},
		{"30 23 * * 0", "0 1 * * 1"}, {"*/5 8 * * 1", "0 9 * * 1"}, {"0 8 * * 7", "0 9 * * sun,sat"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, start, end string) {
		c := CronTrigger{Type: "cron", Metadata: map[string]string{"start": start, "end": end, "desiredReplicas": "3"}}
		spans, err := TriggerSpans(c)
		if err != nil {
			return
		}
		on := make([]bool, minutesPerWeek)
		for _, sp := range spans {
			if sp[0] < 0 || sp[0] >= minutesPerWeek || sp[1] <= sp[0] || sp[1]-sp[0] > minutesPerWeek {
				t.Fatalf("%q–%q: span %v", start, end, sp)
			}
			for m := sp[0]; m < sp[1]; m++ {
				on[m%minutesPerWeek] = true
			}
		}
		fl, err := TriggerFloor([]CronTrigger{c})
		if err != nil {
			t.Fatalf("%q–%q: spans read but the floor is refused: %v", start, end, err)
		}
		for m, o := range on {
			if want := map[bool]int32{true: 3, false: 0}[o]; fl.ByMinute[m] != want {
				t.Fatalf("%q–%q: minute %d: floor %d, want %d", start, end, m, fl.ByMinute[m], want)
			}
		}
	})
}
