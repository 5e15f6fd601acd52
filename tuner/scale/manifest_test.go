package scale

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func readTestdata(t *testing.T) *Set {
	t.Helper()
	set, err := Read([]string{"testdata/manifests"}, ReadOptions{})
	require.NoError(t, err)
	return set
}

func find(t *testing.T, set *Set, id string) *Workload {
	t.Helper()
	w, err := set.Find(id)
	require.NoError(t, err)
	return w
}

func TestReadFindsWorkloadsAndTheirAutoscalers(t *testing.T) {
	set := readTestdata(t)
	require.Len(t, set.Workloads, 5)
	require.Empty(t, set.Skipped)

	t.Run("a Deployment with an autoscaling/v2 HPA in one stream", func(t *testing.T) {
		w := find(t, set, "shop/web")
		require.Equal(t, KindDeployment, w.Kind)
		require.Len(t, w.Containers, 2)
		require.Equal(t, resource.MustParse("500m"), w.Containers[0].Requests["cpu"])
		require.NotNil(t, w.Autoscaler)
		a := w.Autoscaler
		require.Equal(t, Ref{File: "testdata/manifests/shop/web.yaml", Doc: 1, Line: 31, APIVersion: "autoscaling/v2", Kind: KindHPA, Name: "web"}, a.Object)
		require.Equal(t, int32(2), a.Policy.MinReplicas)
		require.Equal(t, int32(4), a.Policy.MaxReplicas)
		require.Equal(t, []Metric{{Name: "cpu", Source: SourceResource, Type: Utilization, Target: 0.7}}, a.Policy.Metrics)
		require.Equal(t, 300*time.Second, a.Policy.ScaleDown.Window, "the default behaviour is filled in")
		require.Equal(t, map[string]any{"minReplicas": 2, "maxReplicas": 4, "averageUtilization": 70}, a.Fields)
	})
	t.Run("an autoscaling/v1 HPA without minReplicas defaults to 1", func(t *testing.T) {
		a := find(t, set, "shop/api").Autoscaler
		require.Equal(t, int32(1), a.Policy.MinReplicas)
		require.Equal(t, 0.6, a.Policy.Metrics[0].Target)
		require.Equal(t, map[string]any{"maxReplicas": 12, "targetCPUUtilizationPercentage": 60}, a.Fields)
	})
	t.Run("a KEDA ScaledObject with its HPA behaviour", func(t *testing.T) {
		a := find(t, set, "shop/worker").Autoscaler
		require.Equal(t, KindScaledObject, a.Object.Kind)
		require.Equal(t, int32(8), a.Policy.MaxReplicas)
		require.Equal(t, 0.65, a.Policy.Metrics[0].Target)
		require.Equal(t, 120*time.Second, a.Policy.ScaleDown.Window)
		require.Equal(t, "65", a.Fields["triggers.cpu.value"])
	})
	t.Run("a StatefulSet without an autoscaler", func(t *testing.T) {
		w := find(t, set, "shop/db")
		require.Equal(t, KindStatefulSet, w.Kind)
		require.Nil(t, w.Autoscaler)
		require.Equal(t, int32(3), *w.Replicas)
	})
	t.Run("a Helm values file named by its chart, its templates skipped", func(t *testing.T) {
		w := find(t, set, "shop/checkout")
		require.Equal(t, KindValues, w.Object.Kind)
		require.Equal(t, resource.MustParse("768Mi"), w.Containers[0].Limits["memory"])
		require.Equal(t, int32(6), w.Autoscaler.Policy.MaxReplicas)
		require.Equal(t, 0.8, w.Autoscaler.Policy.Metrics[0].Target)
	})
}

func TestReadRefusesManifestsTheAPIServerWouldRefuse(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"a misspelt field", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec:\n  scaleTargetRef: {kind: Deployment, name: x}\n  minReplica: 2\n  maxReplicas: 3\n", `unknown field "spec.minReplica"`},
		{"a field in the wrong case", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec:\n  scaleTargetRef: {kind: Deployment, name: x}\n  maxreplicas: 3\n", `unknown field "spec.maxreplicas"`},
		{"a duplicate key", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: 2\n  replicas: 3\n", `already set`},
		{"a value of the wrong type", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: two\n", `replicas`},
		{"a bad quantity", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        resources: {requests: {cpu: lots}}\n", `quantities must match`},
		{"a ScaledObject with an unknown field", "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec:\n  scaleTargetRef: {name: x}\n  maxReplicas: 3\n  triggers: []\n", `unknown field "spec.maxReplicas"`},
		{"values with a misspelt resources key", "autoscaling:\n  enabled: true\nresources:\n  request:\n    cpu: 1\n", `unknown field "request"`},
		{"an HPA with minReplicas above maxReplicas", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec:\n  scaleTargetRef: {kind: Deployment, name: x}\n  minReplicas: 5\n  maxReplicas: 3\n", `minReplicas 5 must be less than or equal to maxReplicas 3`},
		{"values with a string for maxReplicas", "autoscaling:\n  enabled: true\n  maxReplicas: ten\n", `autoscaling.maxReplicas`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "m.yaml")
			require.NoError(t, os.WriteFile(file, []byte("# first\n"+tc.doc), 0o644))
			_, err := Read([]string{dir}, ReadOptions{})
			require.ErrorIs(t, err, ErrDecode)
			require.ErrorContains(t, err, file+":2:")
			require.ErrorContains(t, err, tc.want)
		})
	}
	t.Run("autoscaling/v2beta2 is skipped with the reason", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "h.yaml"), []byte("apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec: {}\n"), 0o644))
		set, err := Read([]string{dir}, ReadOptions{})
		require.NoError(t, err)
		require.Len(t, set.Skipped, 1)
		require.Contains(t, set.Skipped[0].Reason, "migrate it to autoscaling/v2")
	})
	t.Run("an HPA whose target is not among the files is skipped", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "h.yaml"), []byte("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x, namespace: a}\nspec:\n  scaleTargetRef: {kind: Deployment, name: web2}\n  maxReplicas: 3\n"), 0o644))
		set, err := Read([]string{dir}, ReadOptions{})
		require.NoError(t, err)
		require.Equal(t, []Skipped{{Workload: "a/web2", Reason: dir + "/h.yaml:1 HorizontalPodAutoscaler/x scales Deployment a/web2, which is not among the manifests read"}}, set.Skipped)
	})
}

func TestEditChangesOnlyTheValues(t *testing.T) {
	set := readTestdata(t)
	for _, tc := range []struct {
		name, workload string
		hpa            bool
		changes        []Change
		golden         string
	}{
		{"HPA bounds and target, and a stabilisation window inserted", "shop/web", true, []Change{
			{Field: "minReplicas", From: 2, To: 3}, {Field: "maxReplicas", From: 4, To: 10},
			{Field: "averageUtilization", From: 70, To: 60}, {Field: "behavior.scaleDown.stabilizationWindowSeconds", From: nil, To: 600},
		}, "web-hpa.yaml"},
		{"container requests and limits, one in a flow mapping", "shop/web", false, []Change{
			{Field: "requests.cpu", Container: "web", From: "500m", To: "250m"},
			{Field: "limits.memory", Container: "web", From: "1Gi", To: "1536Mi"},
			{Field: "requests.cpu", Container: "envoy", From: "100m", To: "50m"},
		}, "web-resources.yaml"},
		{"an autoscaling/v1 HPA gets minReplicas inserted after scaleTargetRef", "shop/api", true, []Change{
			{Field: "minReplicas", From: nil, To: 2}, {Field: "targetCPUUtilizationPercentage", From: 60, To: 65},
		}, "api-hpa.yaml"},
		{"a quoted quantity keeps its quotes", "shop/api", false, []Change{
			{Field: "requests.cpu", Container: "api", From: "1", To: "750m"},
		}, "api-resources.yaml"},
		{"a ScaledObject's counts, trigger and behaviour", "shop/worker", true, []Change{
			{Field: "minReplicaCount", From: 1, To: 2}, {Field: "maxReplicaCount", From: 8, To: 12}, {Field: "triggers.cpu.value", From: "65", To: "60"},
			{Field: "advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds", From: 120, To: 600},
		}, "worker-keda.yaml"},
		{"a values file's autoscaling and resources", "shop/checkout", true, []Change{
			{Field: "maxReplicas", From: 6, To: 9}, {Field: "requests.cpu", From: "300m", To: "200m"}, {Field: "limits.memory", From: "768Mi", To: "1Gi"},
		}, "checkout-values.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := find(t, set, tc.workload)
			obj := w.Object
			if tc.hpa {
				obj = w.Autoscaler.Object
			}
			src, err := os.ReadFile(obj.File)
			require.NoError(t, err)
			out, err := Edit(src, obj, tc.changes)
			require.NoError(t, err)
			golden := filepath.Join("testdata", "edited", tc.golden)
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, out, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			require.Equal(t, string(want), string(out))
			// Only the lines holding the values (and inserted lines) differ.
			a, b := strings.Split(string(src), "\n"), strings.Split(string(out), "\n")
			require.LessOrEqual(t, len(b)-len(a), 3)
			require.NoError(t, CheckDiff(src, out, tc.changes), "only the changed values' bytes differ")
			// Applying again is a no-op, and an older proposal is stale.
			_, err = Edit(out, obj, tc.changes)
			require.ErrorIs(t, err, ErrApplied)
			stale := []Change{tc.changes[0]}
			stale[0].From, stale[0].To = 99, 98
			if _, ok := number(tc.changes[0].To); !ok {
				stale[0].From, stale[0].To = "9", "8"
			}
			_, err = Edit(src, obj, stale)
			require.ErrorIs(t, err, ErrStale)
		})
	}
	t.Run("a field the object lacks and cannot have is refused", func(t *testing.T) {
		w := find(t, set, "shop/web")
		src, _ := os.ReadFile(w.Object.File)
		_, err := Edit(src, w.Object, []Change{{Field: "requests.cpu", Container: "nginx", From: nil, To: "1"}})
		require.ErrorIs(t, err, ErrField)
		_, err = Edit(src, w.Autoscaler.Object, []Change{{Field: "targetCPUUtilizationPercentage", From: nil, To: 1}})
		require.ErrorIs(t, err, ErrField)
	})
}

func TestHasObjectFindsTheObjectARefNames(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "manifests", "shop", "worker.yaml"))
	require.NoError(t, err)
	ref := Ref{File: "worker.yaml", Doc: 1, APIVersion: "keda.sh/v1alpha1", Kind: KindScaledObject, Name: "worker"}
	require.NoError(t, HasObject(src, ref))
	ref.Doc = 0
	require.NoError(t, HasObject(src, ref), "found in another document")
	ref.Name = "web"
	err = HasObject(src, ref)
	require.ErrorIs(t, err, ErrField)
	require.ErrorContains(t, err, "worker.yaml: no ScaledObject web")
}
