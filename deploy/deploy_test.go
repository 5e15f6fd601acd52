package deploy

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metricsql"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	kyaml "sigs.k8s.io/yaml"

	"github.com/omenhq/omen/internal/engine"
	"github.com/omenhq/omen/internal/serve"
	"github.com/omenhq/omen/internal/sink"
	"github.com/omenhq/omen/internal/testrig"
)

// ServiceMonitor is the Prometheus Operator's ServiceMonitor
// (monitoring.coreos.com/v1), the fields the manifests use written out so
// that it decodes strictly without importing the operator.
type ServiceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		JobLabel          string               `json:"jobLabel,omitempty"`
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector *struct {
			Any        bool     `json:"any,omitempty"`
			MatchNames []string `json:"matchNames,omitempty"`
		} `json:"namespaceSelector,omitempty"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path,omitempty"`
			Scheme        string `json:"scheme,omitempty"`
			Interval      string `json:"interval,omitempty"`
			ScrapeTimeout string `json:"scrapeTimeout,omitempty"`
			HonorLabels   bool   `json:"honorLabels,omitempty"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// PrometheusRule is the Prometheus Operator's PrometheusRule
// (monitoring.coreos.com/v1).
type PrometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Groups []RuleGroup `json:"groups"`
	} `json:"spec"`
}

// RuleGroup is a Prometheus rule group, as in a rule file.
type RuleGroup struct {
	Name     string `json:"name"`
	Interval string `json:"interval,omitempty"`
	Rules    []struct {
		Alert       string            `json:"alert,omitempty"`
		Record      string            `json:"record,omitempty"`
		Expr        string            `json:"expr"`
		For         string            `json:"for,omitempty"`
		Labels      map[string]string `json:"labels,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	} `json:"rules"`
}

var decoder = func() *kjson.Serializer {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: true, Strict: true})
}()

// decoded is a rendered set of documents, by kind.
type decoded struct {
	objects  []runtime.Object
	kinds    []string
	monitors []ServiceMonitor
	rules    []PrometheusRule
}

func (d *decoded) only(t *testing.T, kind string) runtime.Object {
	t.Helper()
	var found []runtime.Object
	for i, k := range d.kinds {
		if k == kind {
			found = append(found, d.objects[i])
		}
	}
	require.Len(t, found, 1, "one %s in %v", kind, d.kinds)
	return found[0]
}

// decodeAll decodes every YAML document of data strictly: Kubernetes
// types as the API server does with strict field validation, the two
// Prometheus Operator kinds into the local structs with unknown fields
// refused.
func decodeAll(t *testing.T, name string, data []byte) *decoded {
	t.Helper()
	d := &decoded{}
	for i, doc := range splitDocs(data) {
		var meta metav1.TypeMeta
		require.NoError(t, kyaml.Unmarshal(doc, &meta), "%s document %d", name, i)
		where := fmt.Sprintf("%s document %d (%s)", name, i, meta.Kind)
		switch meta.Kind {
		case "ServiceMonitor":
			var sm ServiceMonitor
			require.NoError(t, kyaml.UnmarshalStrict(doc, &sm), where)
			require.Equal(t, "monitoring.coreos.com/v1", sm.APIVersion, where)
			d.monitors = append(d.monitors, sm)
		case "PrometheusRule":
			var pr PrometheusRule
			require.NoError(t, kyaml.UnmarshalStrict(doc, &pr), where)
			require.Equal(t, "monitoring.coreos.com/v1", pr.APIVersion, where)
			d.rules = append(d.rules, pr)
		default:
			obj, _, err := decoder.Decode(doc, nil, nil)
			require.NoError(t, err, "%s: %s", where, doc)
			d.objects = append(d.objects, obj)
		}
		d.kinds = append(d.kinds, meta.Kind)
	}
	return d
}

// splitDocs splits a multi-document YAML stream, dropping empty
// documents and comments-only ones.
func splitDocs(data []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if hasContent(cur.Bytes()) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if line == "---" || strings.HasPrefix(line, "--- ") {
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return docs
}

func hasContent(doc []byte) bool {
	for line := range strings.SplitSeq(string(doc), "\n") {
		if s := strings.TrimSpace(line); s != "" && !strings.HasPrefix(s, "#") {
			return true
		}
	}
	return false
}

func helmTemplate(t *testing.T, helm string, values string) []byte {
	t.Helper()
	args := []string{"template", "omen", "helm/omen", "--namespace", "monitoring"}
	if values != "" {
		path := filepath.Join(t.TempDir(), "values.yaml")
		require.NoError(t, os.WriteFile(path, []byte(values), 0o644))
		args = append(args, "--values", path)
	}
	cmd := exec.Command(helm, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "helm %s: %s", strings.Join(args, " "), stderr.String())
	return out
}

// checkJobConfig parses the ConfigMap's omen.yaml as omen does.
func checkJobConfig(t *testing.T, d *decoded) *engine.Config {
	t.Helper()
	cm := d.only(t, "ConfigMap").(*corev1.ConfigMap)
	cfg, err := engine.ParseConfig(strings.NewReader(cm.Data["omen.yaml"]))
	require.NoError(t, err, "the ConfigMap's omen.yaml is a valid job file:\n%s", cm.Data["omen.yaml"])
	_, err = serve.ParseSchedule(cfg.Schedule, metav1.Now().Time)
	require.NoError(t, err)
	return cfg
}

func checkPodSecurity(t *testing.T, what string, spec corev1.PodSpec) {
	t.Helper()
	require.NotNil(t, spec.SecurityContext, what)
	require.True(t, *spec.SecurityContext.RunAsNonRoot, what)
	require.NotZero(t, *spec.SecurityContext.RunAsUser, what)
	for _, c := range spec.Containers {
		require.NotNil(t, c.SecurityContext, what)
		require.True(t, *c.SecurityContext.ReadOnlyRootFilesystem, what)
		require.False(t, *c.SecurityContext.AllowPrivilegeEscalation, what)
		require.Equal(t, []corev1.Capability{"ALL"}, c.SecurityContext.Capabilities.Drop, what)
		mounts := map[string]bool{}
		for _, m := range c.VolumeMounts {
			mounts[m.MountPath] = true
		}
		require.True(t, mounts["/etc/omen"] && mounts["/tmp"], "%s: the config and a writable /tmp are mounted", what)
	}
}

// checkWorkersFollowCPURequest checks that the job's GOMAXPROCS (and so
// its prediction workers) is its CPU request, of at least 2 CPUs: the
// 100,000-series figure of bench/RESULTS.md was measured with 2 workers.
func checkWorkersFollowCPURequest(t *testing.T, c corev1.Container) {
	t.Helper()
	var ref *corev1.ResourceFieldSelector
	for _, e := range c.Env {
		if e.Name == "GOMAXPROCS" && e.ValueFrom != nil {
			ref = e.ValueFrom.ResourceFieldRef
		}
	}
	require.NotNil(t, ref, "GOMAXPROCS from the CPU request")
	require.Equal(t, "requests.cpu", ref.Resource)
	require.Equal(t, "omen", ref.ContainerName)
	require.GreaterOrEqual(t, c.Resources.Requests.Cpu().Value(), int64(2))
}

func envOf(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func TestChartRendersAndEveryDocumentDecodesStrictly(t *testing.T) {
	helm := testrig.Helm(t)
	t.Run("helm lint passes strictly", func(t *testing.T) {
		out, err := exec.Command(helm, "lint", "--strict", "helm/omen").CombinedOutput()
		require.NoError(t, err, string(out))
	})
	t.Run("the defaults are omen serve with its Service, state volume and ConfigMap", func(t *testing.T) {
		d := decodeAll(t, "defaults", helmTemplate(t, helm, ""))
		require.ElementsMatch(t, []string{"ServiceAccount", "ConfigMap", "PersistentVolumeClaim", "Service", "Deployment"}, d.kinds)
		checkJobConfig(t, d)
		dep := d.only(t, "Deployment").(*appsv1.Deployment)
		require.Equal(t, int32(1), *dep.Spec.Replicas)
		require.Equal(t, appsv1.RecreateDeploymentStrategyType, dep.Spec.Strategy.Type, "never two servers on one state volume")
		checkPodSecurity(t, "Deployment", dep.Spec.Template.Spec)
		c := dep.Spec.Template.Spec.Containers[0]
		require.Equal(t, "ghcr.io/omenhq/omen:0.1.0", c.Image)
		require.Equal(t, []string{"serve", "--config=/etc/omen/omen.yaml", "--listen=:9477", "--state-dir=/var/lib/omen", "--grace=20s"}, c.Args)
		require.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path)
		require.Equal(t, "/healthz", c.LivenessProbe.HTTPGet.Path)
		require.Equal(t, int64(30), *dep.Spec.Template.Spec.TerminationGracePeriodSeconds)
		svc := d.only(t, "Service").(*corev1.Service)
		require.Equal(t, int32(9477), svc.Spec.Ports[0].Port)
		require.Equal(t, dep.Spec.Selector.MatchLabels, svc.Spec.Selector, "the Service selects the Deployment's pods")
	})
	t.Run("a sharded CronJob is an Indexed Job of N pods told N", func(t *testing.T) {
		d := decodeAll(t, "sharded", helmTemplate(t, helm, "serve: {enabled: false}\ncronjob: {enabled: true, shards: 4, parallelism: 2}\n"))
		require.ElementsMatch(t, []string{"ServiceAccount", "ConfigMap", "CronJob"}, d.kinds)
		checkJobConfig(t, d)
		cj := d.only(t, "CronJob").(*batchv1.CronJob)
		require.Equal(t, batchv1.ForbidConcurrent, cj.Spec.ConcurrencyPolicy, "never two runs at once")
		js := cj.Spec.JobTemplate.Spec
		require.Equal(t, batchv1.IndexedCompletion, *js.CompletionMode)
		require.Equal(t, int32(4), *js.Completions)
		require.Equal(t, int32(2), *js.Parallelism)
		checkPodSecurity(t, "CronJob", js.Template.Spec)
		c := js.Template.Spec.Containers[0]
		require.Equal(t, []string{"run", "--config=/etc/omen/omen.yaml"}, c.Args)
		n, ok := envOf(c, "JOB_COMPLETIONS")
		require.True(t, ok)
		require.Equal(t, "4", n)
		checkWorkersFollowCPURequest(t, c)
	})
	t.Run("an unsharded CronJob is a plain Job", func(t *testing.T) {
		d := decodeAll(t, "cronjob", helmTemplate(t, helm, "serve: {enabled: false}\ncronjob: {enabled: true}\n"))
		js := d.only(t, "CronJob").(*batchv1.CronJob).Spec.JobTemplate.Spec
		require.Nil(t, js.CompletionMode)
		_, ok := envOf(js.Template.Spec.Containers[0], "JOB_COMPLETIONS")
		require.False(t, ok)
		checkWorkersFollowCPURequest(t, js.Template.Spec.Containers[0])
	})
	t.Run("serve with monitoring adds the ServiceMonitor and PrometheusRule", func(t *testing.T) {
		d := decodeAll(t, "monitoring", helmTemplate(t, helm, `serviceMonitor: {enabled: true, labels: {release: kps}}
prometheusRule: {enabled: true, runbookURL: "https://runbooks.example/omen"}
serve: {persistence: {enabled: false}, extraArgs: [--log-level=debug], grace: 2m}
env:
  - name: OMEN_BEARER_TOKEN
    valueFrom: {secretKeyRef: {name: omen-token, key: token}}
`))
		require.ElementsMatch(t, []string{"ServiceAccount", "ConfigMap", "Service", "Deployment", "ServiceMonitor", "PrometheusRule"}, d.kinds)
		require.Len(t, d.monitors, 1)
		require.Equal(t, "kps", d.monitors[0].Labels["release"])
		require.Equal(t, "http", d.monitors[0].Spec.Endpoints[0].Port)
		dep := d.only(t, "Deployment").(*appsv1.Deployment)
		require.Equal(t, d.monitors[0].Spec.Selector.MatchLabels, dep.Spec.Selector.MatchLabels)
		require.Contains(t, dep.Spec.Template.Spec.Containers[0].Args, "--log-level=debug")
		require.Contains(t, dep.Spec.Template.Spec.Containers[0].Args, "--grace=2m")
		require.Equal(t, int64(130), *dep.Spec.Template.Spec.TerminationGracePeriodSeconds, "the grace and 10s to spare")
		require.NotNil(t, dep.Spec.Template.Spec.Volumes[2].EmptyDir, "no persistence: an emptyDir")
		require.Len(t, d.rules, 1)
		for _, g := range d.rules[0].Spec.Groups {
			for _, r := range g.Rules {
				require.Equal(t, "https://runbooks.example/omen", r.Annotations["runbook_url"], r.Alert)
			}
		}
		checkRules(t, "chart", d.rules[0].Spec.Groups)
	})
	t.Run("everything at once", func(t *testing.T) {
		d := decodeAll(t, "all", helmTemplate(t, helm, "cronjob: {enabled: true, shards: 3}\nserviceMonitor: {enabled: true}\nprometheusRule: {enabled: true}\nserviceAccount: {create: false, name: omen}\n"))
		require.ElementsMatch(t, []string{"ConfigMap", "PersistentVolumeClaim", "Service", "Deployment", "CronJob", "ServiceMonitor", "PrometheusRule"}, d.kinds)
		checkRules(t, "chart with the CronJob", d.rules[0].Spec.Groups)
	})
}

func TestPlainManifestsDecodeStrictly(t *testing.T) {
	files, err := filepath.Glob("kubernetes/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	kinds := map[string]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			d := decodeAll(t, f, b)
			for _, k := range d.kinds {
				kinds[k] = true
			}
			for _, obj := range d.objects {
				switch o := obj.(type) {
				case *appsv1.Deployment:
					checkPodSecurity(t, f, o.Spec.Template.Spec)
				case *batchv1.CronJob:
					checkPodSecurity(t, f, o.Spec.JobTemplate.Spec.Template.Spec)
					checkWorkersFollowCPURequest(t, o.Spec.JobTemplate.Spec.Template.Spec.Containers[0])
					if o.Spec.JobTemplate.Spec.CompletionMode != nil {
						n, ok := envOf(o.Spec.JobTemplate.Spec.Template.Spec.Containers[0], "JOB_COMPLETIONS")
						require.True(t, ok)
						require.Equal(t, fmt.Sprint(*o.Spec.JobTemplate.Spec.Completions), n)
					}
				case *corev1.ConfigMap:
					checkJobConfig(t, d)
				}
			}
			for _, pr := range d.rules {
				checkRules(t, f, pr.Spec.Groups)
			}
		})
	}
	for _, k := range []string{"ConfigMap", "Deployment", "Service", "PersistentVolumeClaim", "CronJob", "ServiceMonitor", "PrometheusRule", "ServiceAccount"} {
		require.True(t, kinds[k], "deploy/kubernetes has a %s", k)
	}
}

// knownMetrics are the series the dashboard and rules may use: omen's
// own, the write-back's, and the scrape's and client library's.
func knownMetric(name string) bool {
	switch name {
	case sink.MetricETA, sink.MetricAt, sink.MetricRisk, engine.MetricAnomalyScore,
		"up", "kube_job_status_failed", "process_resident_memory_bytes", "go_memstats_heap_inuse_bytes":
		return true
	}
	for _, m := range []string{serve.MetricRuns, serve.MetricRunsSkipped, serve.MetricRunDuration, serve.MetricLastRunDuration,
		serve.MetricLastSuccess, serve.MetricLastRun, serve.MetricRunning, serve.MetricSeriesAnalysed, serve.MetricSeriesSkipped,
		serve.MetricErrors, serve.MetricReloads, serve.MetricReloadOK, serve.MetricHTTPRequests, serve.MetricAlertNotifications,
		serve.MetricAlertsReceived, serve.MetricReady, serve.MetricBuildInfo, serve.MetricCoverage, serve.MetricChecks,
		serve.MetricPending, serve.MetricDropped, serve.MetricETAError, serve.MetricETAErrorMean} {
		if name == m || name == m+"_bucket" || name == m+"_sum" || name == m+"_count" {
			return true
		}
	}
	return false
}

// checkQuery parses q with metricsql and checks every metric it names.
func checkQuery(t *testing.T, where, q string) {
	t.Helper()
	e, err := metricsql.Parse(q)
	require.NoError(t, err, "%s: %q does not parse", where, q)
	metricsql.VisitAll(e, func(e metricsql.Expr) {
		me, ok := e.(*metricsql.MetricExpr)
		if !ok {
			return
		}
		for _, lfs := range me.LabelFilterss {
			for _, lf := range lfs {
				if lf.Label == "__name__" && !lf.IsRegexp {
					require.True(t, knownMetric(lf.Value), "%s: %q uses %s, which omen does not expose", where, q, lf.Value)
				}
			}
		}
	})
}

// checkRules parses every expression and runs promtool check rules on
// the groups as a rule file.
func checkRules(t *testing.T, where string, groups []RuleGroup) {
	t.Helper()
	require.NotEmpty(t, groups)
	for _, g := range groups {
		for _, r := range g.Rules {
			checkQuery(t, where+" "+r.Alert+r.Record, r.Expr)
		}
	}
	promtool := testrig.RequireBinary(t, "promtool")
	b, err := kyaml.Marshal(map[string]any{"groups": groups})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "rules.yml")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	require.NoError(t, err, "promtool check rules (%s): %s\n%s", where, out, b)
}

func TestDashboardQueriesParse(t *testing.T) {
	b, err := os.ReadFile("grafana/omen-dashboard.json")
	require.NoError(t, err)
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	require.NoError(t, dec.Decode(&dash))
	require.NotEmpty(t, dash.UID)
	n := 0
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		require.NotEmpty(t, p.Targets, "panel %q has queries", p.Title)
		for _, tg := range p.Targets {
			checkQuery(t, "panel "+p.Title, tg.Expr)
			n++
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((\w+), \w+\)$`)
	for _, v := range dash.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			m := labelValues.FindStringSubmatch(q["query"].(string))
			require.NotNil(t, m, "variable %s: %v", v.Name, q["query"])
			require.True(t, knownMetric(m[1]), "variable %s uses %s", v.Name, m[1])
		}
	}
	t.Logf("%d queries in %d panels parse", n, len(dash.Panels))
}

func TestDockerfileBuildsAStaticBinaryForANonRootMinimalImage(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	var froms []string
	user, build := "", ""
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			froms = append(froms, f[1])
		case "USER":
			user = f[1]
		}
		if strings.Contains(line, "go build") {
			build = line
		}
	}
	require.GreaterOrEqual(t, len(froms), 2, "multi-stage")
	final := froms[len(froms)-1]
	require.True(t, strings.HasPrefix(final, "gcr.io/distroless/static") || final == "scratch", "minimal base, got %s", final)
	require.NotEmpty(t, user)
	require.NotContains(t, []string{"root", "0", "0:0"}, user, "non-root")
	require.Contains(t, build, "CGO_ENABLED=0")

	gomod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	require.NotNil(t, goVersion)
	require.Equal(t, "golang:"+string(goVersion[1]), froms[0][:strings.Index(froms[0]+" ", " ")], "the build stage's Go is go.mod's")

	if testing.Short() {
		t.Skip("builds the binary")
	}
	// Build as the Dockerfile does and check the binary is static: no
	// interpreter, no dynamic section (distroless static has no libc).
	bin := filepath.Join(t.TempDir(), "omen")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/omen")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	f, err := elf.Open(bin)
	require.NoError(t, err)
	defer f.Close()
	for _, p := range f.Progs {
		require.NotEqual(t, elf.PT_INTERP, p.Type, "a static binary has no interpreter")
		require.NotEqual(t, elf.PT_DYNAMIC, p.Type, "a static binary has no dynamic section")
	}
}

func TestStrictDecodingRefusesAMisspeltField(t *testing.T) {
	_, _, err := decoder.Decode([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n"), nil, nil)
	require.ErrorContains(t, err, `unknown field "spec.replica"`)
	var sm ServiceMonitor
	require.Error(t, kyaml.UnmarshalStrict([]byte("apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec:\n  endpoints: [{port: http, intervall: 30s}]\n"), &sm))
}
