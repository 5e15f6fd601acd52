package scale

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/omenhq/omen/tuner/yamledit"
)

// Object kinds omen reads.
const (
	KindDeployment   = "Deployment"
	KindStatefulSet  = "StatefulSet"
	KindHPA          = "HorizontalPodAutoscaler"
	KindScaledObject = "ScaledObject"
	// KindValues names a Helm values file.
	KindValues = "values"
)

// Ref locates one object: its file, its document in the file (0-based),
// its line, and its kind and name.
type Ref struct {
	File       string `json:"file"`
	Doc        int    `json:"doc"`
	Line       int    `json:"line"`
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// String returns "file:line Kind/name".
func (r Ref) String() string { return fmt.Sprintf("%s:%d %s/%s", r.File, r.Line, r.Kind, r.Name) }

// Workload is a Deployment or StatefulSet (or the chart a Helm values file
// configures) with its containers' resources and its autoscaler.
type Workload struct {
	// Namespace is the object's namespace; empty when the manifest names
	// none and ReadOptions.Namespace is empty.
	Namespace string
	Name      string
	// Kind is KindDeployment or KindStatefulSet (KindDeployment for a values
	// file).
	Kind string
	// Object is where the workload is written: the Deployment, the
	// StatefulSet or the values file.
	Object Ref
	// Replicas is spec.replicas (replicaCount), nil when not written.
	Replicas *int32
	// Containers are the pod's containers (a values file's one, unnamed).
	Containers []Container
	// Autoscaler is the HPA, ScaledObject or values autoscaling that
	// scales the workload; nil when none does.
	Autoscaler *Autoscaler
}

// ID returns "namespace/name" ("name" without a namespace).
func (w *Workload) ID() string {
	if w.Namespace == "" {
		return w.Name
	}
	return w.Namespace + "/" + w.Name
}

// Container is one container's resources.
type Container struct {
	Name     string
	Requests corev1.ResourceList
	Limits   corev1.ResourceList
}

// Autoscaler is what scales a workload, as a Policy plus where it is
// written. Utilization metrics carry no Request: it comes from the pods.
type Autoscaler struct {
	Object Ref
	// Enabled is false for a values file with autoscaling.enabled false.
	Enabled bool
	Policy  Policy
	// Fields are the current values of the fields a proposal may change,
	// by field name (see Fields in edit.go); absent fields are nil.
	Fields map[string]any
	// Unreplayable, when set, says why the policy cannot be replayed as
	// it is (a KEDA cron trigger omen cannot read): no HPA proposal is
	// made for it, the reason is given instead.
	Unreplayable string
}

// ReadOptions configure Read.
type ReadOptions struct {
	// Namespace is the namespace of objects whose manifest names none;
	// empty leaves it empty (omen scale then finds it in the metrics).
	Namespace string
}

// Skipped is an object or file left out, and why.
type Skipped struct {
	Workload string `json:"workload"`
	Reason   string `json:"reason"`
}

// Set is what Read found: the workloads, and what it left out.
type Set struct {
	Workloads []*Workload
	Skipped   []Skipped
	// Files are the files read, in order.
	Files []string
}

// Read reads Kubernetes manifests and Helm values files: each path is a
// file or a directory walked for *.yaml and *.yml (a chart's templates/
// directory, which is not YAML before rendering, and hidden directories are
// skipped). Multi-document streams are read document by document. A
// Deployment, StatefulSet, HorizontalPodAutoscaler (autoscaling/v1 or v2)
// or KEDA ScaledObject must decode strictly into its Kubernetes type (see
// DecodeStrict) or Read fails naming the file and line; other kinds are
// ignored. A document without apiVersion and kind that has a top-level
// autoscaling or resources key is a Helm values file (see DecodeValues).
//
// Autoscalers are matched to their scale target by namespace, kind and
// name. An autoscaler whose target is not among the files, or a second
// autoscaler of one workload, is in Skipped; so is autoscaling/v2beta2,
// which the API server no longer serves.
func Read(paths []string, opts ReadOptions) (*Set, error) {
	set := &Set{}
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("scale: %w", err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if path != p && strings.HasPrefix(name, ".") {
					return filepath.SkipDir
				}
				if name == "templates" {
					if _, err := os.Stat(filepath.Join(filepath.Dir(path), "Chart.yaml")); err == nil {
						return filepath.SkipDir
					}
				}
				return nil
			}
			if ext := filepath.Ext(name); ext == ".yaml" || ext == ".yml" {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("scale: %w", err)
		}
	}
	var scalers []*Autoscaler
	var targets []autoscalerTarget
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("scale: %w", err)
		}
		set.Files = append(set.Files, file)
		ws, as, ts, sk, err := parseFile(file, src, opts)
		if err != nil {
			return nil, err
		}
		set.Workloads = append(set.Workloads, ws...)
		scalers = append(scalers, as...)
		targets = append(targets, ts...)
		set.Skipped = append(set.Skipped, sk...)
	}
	for i, a := range scalers {
		t := targets[i]
		var w *Workload
		for _, c := range set.Workloads {
			if c.Object.Kind != KindValues && c.Kind == t.kind && c.Name == t.name && c.Namespace == t.namespace {
				w = c
				break
			}
		}
		id := t.name
		if t.namespace != "" {
			id = t.namespace + "/" + t.name
		}
		switch {
		case w == nil:
			set.Skipped = append(set.Skipped, Skipped{Workload: id, Reason: fmt.Sprintf("%s scales %s %s, which is not among the manifests read", a.Object, t.kind, id)})
		case w.Autoscaler != nil:
			set.Skipped = append(set.Skipped, Skipped{Workload: id, Reason: fmt.Sprintf("%s and %s both scale it; the second is ignored", w.Autoscaler.Object, a.Object)})
		default:
			w.Autoscaler = a
		}
	}
	return set, nil
}

type autoscalerTarget struct {
	namespace, kind, name string
}

// parseFile reads the documents of one file.
func parseFile(file string, src []byte, opts ReadOptions) ([]*Workload, []*Autoscaler, []autoscalerTarget, []Skipped, error) {
	f, err := yamledit.Parse(src)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("scale: %s: %w", file, err)
	}
	var ws []*Workload
	var as []*Autoscaler
	var ts []autoscalerTarget
	var sk []Skipped
	for i, doc := range f.Docs() {
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := doc.Content[0]
		apiVersion, kind := scalarOf(root, "apiVersion"), scalarOf(root, "kind")
		ref := Ref{File: file, Doc: i, Line: root.Line, APIVersion: apiVersion, Kind: kind}
		if apiVersion == "" && kind == "" {
			if w, err := valuesWorkload(file, doc, ref, opts); err != nil {
				return nil, nil, nil, nil, err
			} else if w != nil {
				ws = append(ws, w)
			}
			continue
		}
		if kind == KindHPA && strings.HasPrefix(apiVersion, "autoscaling/v2beta") {
			sk = append(sk, Skipped{Workload: scalarOf(yamledit.Resolve(getNode(root, "metadata")), "name"), Reason: fmt.Sprintf("%s:%d: %s is no longer served (since Kubernetes 1.26): migrate it to autoscaling/v2", file, root.Line, apiVersion)})
			continue
		}
		if !Decodes(apiVersion, kind) {
			continue
		}
		b, err := docBytes(doc)
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("scale: %s:%d: %w", file, root.Line, err)
		}
		obj, err := DecodeStrict(b)
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("%s:%d: %s %s: %w", file, root.Line, apiVersion, kind, err)
		}
		ns := func(n string) string {
			if n == "" {
				return opts.Namespace
			}
			return n
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			ref.Name = o.Name
			ws = append(ws, &Workload{Namespace: ns(o.Namespace), Name: o.Name, Kind: KindDeployment, Object: ref, Replicas: o.Spec.Replicas, Containers: containers(o.Spec.Template.Spec.Containers)})
		case *appsv1.StatefulSet:
			ref.Name = o.Name
			ws = append(ws, &Workload{Namespace: ns(o.Namespace), Name: o.Name, Kind: KindStatefulSet, Object: ref, Replicas: o.Spec.Replicas, Containers: containers(o.Spec.Template.Spec.Containers)})
		case *autoscalingv2.HorizontalPodAutoscaler:
			ref.Name = o.Name
			a, err := fromHPAv2(o, ref)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			as = append(as, a)
			ts = append(ts, autoscalerTarget{ns(o.Namespace), o.Spec.ScaleTargetRef.Kind, o.Spec.ScaleTargetRef.Name})
		case *autoscalingv1.HorizontalPodAutoscaler:
			ref.Name = o.Name
			a, err := fromHPAv1(o, ref)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			as = append(as, a)
			ts = append(ts, autoscalerTarget{ns(o.Namespace), o.Spec.ScaleTargetRef.Kind, o.Spec.ScaleTargetRef.Name})
		case *ScaledObject:
			ref.Name = o.Name
			a, err := fromScaledObject(o, ref)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			kind := KindDeployment
			if o.Spec.ScaleTargetRef != nil && o.Spec.ScaleTargetRef.Kind != "" {
				kind = o.Spec.ScaleTargetRef.Kind
			}
			name := ""
			if o.Spec.ScaleTargetRef != nil {
				name = o.Spec.ScaleTargetRef.Name
			}
			as = append(as, a)
			ts = append(ts, autoscalerTarget{ns(o.Namespace), kind, name})
		}
	}
	return ws, as, ts, sk, nil
}

func containers(cs []corev1.Container) []Container {
	out := make([]Container, len(cs))
	for i, c := range cs {
		out[i] = Container{Name: c.Name, Requests: c.Resources.Requests, Limits: c.Resources.Limits}
	}
	return out
}

// scalarOf returns the scalar value of key in mapping m ("" when absent).
func scalarOf(m *yaml.Node, key string) string {
	v := getNode(m, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

func getNode(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	v, _ := yamledit.Get(m, key)
	return yamledit.Resolve(v)
}

// valuesWorkload reads a Helm values document; nil when it has neither
// autoscaling nor resources at the top.
func valuesWorkload(file string, doc *yaml.Node, ref Ref, opts ReadOptions) (*Workload, error) {
	root := doc.Content[0]
	if getNode(root, "autoscaling") == nil && getNode(root, "resources") == nil {
		return nil, nil
	}
	b, err := docBytes(doc)
	if err != nil {
		return nil, fmt.Errorf("scale: %s:%d: %w", file, root.Line, err)
	}
	v, err := DecodeValues(b)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: Helm values: %w", file, root.Line, err)
	}
	name := valuesName(file, root)
	ns := scalarOf(root, "namespaceOverride")
	if ns == "" {
		ns = opts.Namespace
	}
	ref.Kind, ref.Name = KindValues, name
	w := &Workload{Namespace: ns, Name: name, Kind: KindDeployment, Object: ref, Replicas: v.ReplicaCount, Containers: []Container{{}}}
	if v.Resources != nil {
		w.Containers[0].Requests, w.Containers[0].Limits = v.Resources.Requests, v.Resources.Limits
	}
	if a := v.Autoscaling; a != nil {
		as := &Autoscaler{Object: ref, Enabled: a.Enabled != nil && *a.Enabled, Fields: map[string]any{}}
		p := Policy{MinReplicas: 1, MaxReplicas: 100, ScaleUp: DefaultScaleUp(), ScaleDown: DefaultScaleDown()}
		if a.MinReplicas != nil {
			p.MinReplicas = *a.MinReplicas
			as.Fields["minReplicas"] = int(*a.MinReplicas)
		}
		if a.MaxReplicas != nil {
			p.MaxReplicas = *a.MaxReplicas
			as.Fields["maxReplicas"] = int(*a.MaxReplicas)
		}
		if a.TargetCPUUtilizationPercentage != nil {
			p.Metrics = append(p.Metrics, Metric{Name: "cpu", Type: Utilization, Target: float64(*a.TargetCPUUtilizationPercentage) / 100})
			as.Fields["targetCPUUtilizationPercentage"] = int(*a.TargetCPUUtilizationPercentage)
		}
		if a.TargetMemoryUtilizationPercentage != nil {
			p.Metrics = append(p.Metrics, Metric{Name: "memory", Type: Utilization, Target: float64(*a.TargetMemoryUtilizationPercentage) / 100})
			as.Fields["targetMemoryUtilizationPercentage"] = int(*a.TargetMemoryUtilizationPercentage)
		}
		as.Policy = p
		if err := checkBounds(ref, "autoscaling.minReplicas", "autoscaling.maxReplicas", p.MinReplicas, p.MaxReplicas); err != nil && as.Enabled {
			return nil, err
		}
		if as.Enabled {
			w.Autoscaler = as
		}
	}
	return w, nil
}

// valuesName names the workload of a values file: fullnameOverride, else
// nameOverride, else the chart's directory (a Chart.yaml beside the file),
// else the file's name without "values".
func valuesName(file string, root *yaml.Node) string {
	for _, k := range []string{"fullnameOverride", "nameOverride"} {
		if v := scalarOf(root, k); v != "" {
			return v
		}
	}
	dir := filepath.Dir(file)
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil {
		return filepath.Base(dir)
	}
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	for _, cut := range []string{"-values", ".values", "_values", "values-", "values.", "values_"} {
		if s, ok := strings.CutSuffix(base, cut); ok && s != "" {
			return s
		}
		if s, ok := strings.CutPrefix(base, cut); ok && s != "" {
			return s
		}
	}
	if base == "values" {
		return filepath.Base(dir)
	}
	return base
}

// fromHPAv2 reads an autoscaling/v2 HPA into a Policy with Kubernetes's
// defaults filled in.
func fromHPAv2(h *autoscalingv2.HorizontalPodAutoscaler, ref Ref) (*Autoscaler, error) {
	a := &Autoscaler{Object: ref, Enabled: true, Fields: map[string]any{}}
	p := Policy{MinReplicas: 1, MaxReplicas: h.Spec.MaxReplicas}
	a.Fields["maxReplicas"] = int(h.Spec.MaxReplicas)
	if h.Spec.MinReplicas != nil {
		p.MinReplicas = *h.Spec.MinReplicas
		a.Fields["minReplicas"] = int(*h.Spec.MinReplicas)
	}
	for i, m := range h.Spec.Metrics {
		mm, ok := metricV2(m)
		if !ok {
			return nil, fmt.Errorf("%s:%d: HorizontalPodAutoscaler %s: metric %d (%s) has no target omen can simulate", ref.File, ref.Line, h.Name, i+1, m.Type)
		}
		if mm.Name == "cpu" && mm.Type == Utilization && mm.Source == SourceResource {
			a.Fields["averageUtilization"] = int(*m.Resource.Target.AverageUtilization)
		}
		p.Metrics = append(p.Metrics, mm)
	}
	if len(h.Spec.Metrics) == 0 {
		// The API server defaults an HPA without metrics to 80% CPU.
		p.Metrics = []Metric{{Name: "cpu", Source: SourceResource, Type: Utilization, Target: 0.8}}
	}
	p.ScaleUp, p.ScaleDown = DefaultScaleUp(), DefaultScaleDown()
	if b := h.Spec.Behavior; b != nil {
		p.ScaleUp = rulesOf(b.ScaleUp, p.ScaleUp)
		p.ScaleDown = rulesOf(b.ScaleDown, p.ScaleDown)
		if b.ScaleDown != nil && b.ScaleDown.StabilizationWindowSeconds != nil {
			a.Fields["behavior.scaleDown.stabilizationWindowSeconds"] = int(*b.ScaleDown.StabilizationWindowSeconds)
		}
		scaleUpFields(a.Fields, "behavior.scaleUp.", b.ScaleUp)
	}
	a.Policy = p
	return a, checkBounds(ref, "minReplicas", "maxReplicas", p.MinReplicas, p.MaxReplicas)
}

// checkBounds refuses what the API server refuses: minReplicas below 1
// (scale to zero is behind a feature gate) or above maxReplicas.
func checkBounds(ref Ref, minName, maxName string, minR, maxR int32) error {
	switch {
	case maxR < 1:
		return fmt.Errorf("%w: %s:%d: %s %s: %s %d: must be at least 1", ErrDecode, ref.File, ref.Line, ref.Kind, ref.Name, maxName, maxR)
	case minR < 1:
		return fmt.Errorf("%w: %s:%d: %s %s: %s %d: must be at least 1", ErrDecode, ref.File, ref.Line, ref.Kind, ref.Name, minName, minR)
	case minR > maxR:
		return fmt.Errorf("%w: %s:%d: %s %s: %s %d must be less than or equal to %s %d", ErrDecode, ref.File, ref.Line, ref.Kind, ref.Name, minName, minR, maxName, maxR)
	}
	return nil
}

func metricV2(m autoscalingv2.MetricSpec) (Metric, bool) {
	target := func(t autoscalingv2.MetricTarget) (MetricType, float64, bool) {
		switch t.Type {
		case autoscalingv2.UtilizationMetricType:
			if t.AverageUtilization == nil {
				return "", 0, false
			}
			return Utilization, float64(*t.AverageUtilization) / 100, true
		case autoscalingv2.AverageValueMetricType:
			if t.AverageValue == nil {
				return "", 0, false
			}
			return AverageValue, t.AverageValue.AsApproximateFloat64(), true
		case autoscalingv2.ValueMetricType:
			if t.Value == nil {
				return "", 0, false
			}
			return Value, t.Value.AsApproximateFloat64(), true
		}
		return "", 0, false
	}
	var out Metric
	var t autoscalingv2.MetricTarget
	switch m.Type {
	case autoscalingv2.ResourceMetricSourceType:
		if m.Resource == nil {
			return out, false
		}
		out.Name, out.Source, t = string(m.Resource.Name), SourceResource, m.Resource.Target
	case autoscalingv2.ContainerResourceMetricSourceType:
		if m.ContainerResource == nil {
			return out, false
		}
		out.Name, out.Source, t = string(m.ContainerResource.Name), SourceResource, m.ContainerResource.Target
	case autoscalingv2.PodsMetricSourceType:
		if m.Pods == nil {
			return out, false
		}
		out.Name, out.Source, t = m.Pods.Metric.Name, SourcePods, m.Pods.Target
	case autoscalingv2.ObjectMetricSourceType:
		if m.Object == nil {
			return out, false
		}
		out.Name, out.Source, t = m.Object.Metric.Name, SourceObject, m.Object.Target
	case autoscalingv2.ExternalMetricSourceType:
		if m.External == nil {
			return out, false
		}
		out.Name, out.Source, t = m.External.Metric.Name, SourceExternal, m.External.Target
	default:
		return out, false
	}
	var ok bool
	out.Type, out.Target, ok = target(t)
	return out, ok && out.Target > 0
}

// rulesOf merges written scaling rules over Kubernetes's defaults, as the
// API server's defaulting does.
// scaleUpFields records the scale-up behaviour's fields a proposal may
// change, named prefix + stabilizationWindowSeconds, selectPolicy and
// policies.TYPE.value / policies.TYPE.periodSeconds (the first policy of
// each type).
func scaleUpFields(fields map[string]any, prefix string, r *autoscalingv2.HPAScalingRules) {
	if r == nil {
		return
	}
	if r.StabilizationWindowSeconds != nil {
		fields[prefix+"stabilizationWindowSeconds"] = int(*r.StabilizationWindowSeconds)
	}
	if r.SelectPolicy != nil {
		fields[prefix+"selectPolicy"] = string(*r.SelectPolicy)
	}
	for _, q := range r.Policies {
		k := prefix + "policies." + string(q.Type) + "."
		if _, ok := fields[k+"value"]; ok {
			continue
		}
		fields[k+"value"] = int(q.Value)
		fields[k+"periodSeconds"] = int(q.PeriodSeconds)
	}
}

func rulesOf(r *autoscalingv2.HPAScalingRules, def Rules) Rules {
	if r == nil {
		return def
	}
	out := def
	if r.StabilizationWindowSeconds != nil {
		out.Window = time.Duration(*r.StabilizationWindowSeconds) * time.Second
	}
	if r.SelectPolicy != nil {
		out.Select = string(*r.SelectPolicy)
	}
	if len(r.Policies) > 0 {
		out.Policies = nil
		for _, q := range r.Policies {
			out.Policies = append(out.Policies, RatePolicy{Type: PolicyType(q.Type), Value: q.Value, Period: time.Duration(q.PeriodSeconds) * time.Second})
		}
	}
	if r.Tolerance != nil {
		t := r.Tolerance.AsApproximateFloat64()
		out.Tolerance = &t
	}
	return out
}

func fromHPAv1(h *autoscalingv1.HorizontalPodAutoscaler, ref Ref) (*Autoscaler, error) {
	a := &Autoscaler{Object: ref, Enabled: true, Fields: map[string]any{"maxReplicas": int(h.Spec.MaxReplicas)}}
	p := Policy{MinReplicas: 1, MaxReplicas: h.Spec.MaxReplicas, ScaleUp: DefaultScaleUp(), ScaleDown: DefaultScaleDown()}
	if h.Spec.MinReplicas != nil {
		p.MinReplicas = *h.Spec.MinReplicas
		a.Fields["minReplicas"] = int(*h.Spec.MinReplicas)
	}
	target := int32(80) // the API server's default
	if h.Spec.TargetCPUUtilizationPercentage != nil {
		target = *h.Spec.TargetCPUUtilizationPercentage
		a.Fields["targetCPUUtilizationPercentage"] = int(target)
	}
	p.Metrics = []Metric{{Name: "cpu", Source: SourceResource, Type: Utilization, Target: float64(target) / 100}}
	a.Policy = p
	return a, checkBounds(ref, "minReplicas", "maxReplicas", p.MinReplicas, p.MaxReplicas)
}

// fromScaledObject reads a ScaledObject's HPA: KEDA's defaults (1–100
// replicas), its cpu and memory triggers as resource metrics, its cron
// triggers as the floor they make (see TriggerFloor), other triggers as
// External metrics named by their type (or name).
func fromScaledObject(o *ScaledObject, ref Ref) (*Autoscaler, error) {
	a := &Autoscaler{Object: ref, Enabled: true, Fields: map[string]any{}}
	p := Policy{MinReplicas: 1, MaxReplicas: 100, ScaleUp: DefaultScaleUp(), ScaleDown: DefaultScaleDown()}
	if v := o.Spec.MinReplicaCount; v != nil {
		a.Fields["minReplicaCount"] = int(*v)
		if *v > 0 {
			p.MinReplicas = *v
		}
	}
	if v := o.Spec.MaxReplicaCount; v != nil {
		a.Fields["maxReplicaCount"] = int(*v)
		p.MaxReplicas = *v
	}
	if err := checkBounds(ref, "minReplicaCount", "maxReplicaCount", p.MinReplicas, p.MaxReplicas); err != nil {
		return nil, err
	}
	var crons []CronTrigger
	for i, t := range o.Spec.Triggers {
		switch t.Type {
		case "cpu", "memory":
			mt := t.MetricType
			if mt == "" {
				mt = autoscalingv2.MetricTargetType(t.Metadata["type"]) // the deprecated form
			}
			v, err := parseNumber(t.Metadata["value"])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: ScaledObject %s: trigger %d (%s): metadata.value: %v", ref.File, ref.Line, o.Name, i+1, t.Type, err)
			}
			m := Metric{Name: t.Type, Source: SourceResource, Type: Utilization, Target: v / 100}
			if mt == autoscalingv2.AverageValueMetricType {
				m.Type, m.Target = AverageValue, v
			}
			if t.Type == "cpu" && m.Type == Utilization {
				a.Fields["triggers.cpu.value"] = t.Metadata["value"]
			}
			p.Metrics = append(p.Metrics, m)
		case "cron":
			crons = append(crons, CronTrigger{Type: t.Type, Metadata: t.Metadata})
		default:
			name := t.Name
			if name == "" {
				name = t.Type
			}
			m := Metric{Name: name, Source: SourceExternal, Type: AverageValue}
			if t.MetricType == autoscalingv2.ValueMetricType {
				m.Type = Value
			}
			for _, k := range []string{"threshold", "value", "targetValue", "queueLength", "lagThreshold", "targetMetricValue"} {
				if s, ok := t.Metadata[k]; ok {
					if v, err := parseNumber(s); err == nil {
						m.Target = v
						break
					}
				}
			}
			if m.Target > 0 {
				p.Metrics = append(p.Metrics, m)
			}
		}
	}
	if adv := o.Spec.Advanced; adv != nil && adv.HorizontalPodAutoscalerConfig != nil && adv.HorizontalPodAutoscalerConfig.Behavior != nil {
		b := adv.HorizontalPodAutoscalerConfig.Behavior
		p.ScaleUp = rulesOf(b.ScaleUp, p.ScaleUp)
		p.ScaleDown = rulesOf(b.ScaleDown, p.ScaleDown)
		if b.ScaleDown != nil && b.ScaleDown.StabilizationWindowSeconds != nil {
			a.Fields["advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds"] = int(*b.ScaleDown.StabilizationWindowSeconds)
		}
		scaleUpFields(a.Fields, "advanced.horizontalPodAutoscalerConfig.behavior.scaleUp.", b.ScaleUp)
	}
	if len(crons) > 0 {
		f, err := TriggerFloor(crons)
		if err != nil {
			a.Unreplayable = fmt.Sprintf("%s:%d: ScaledObject %s: its cron triggers cannot be replayed: %v", ref.File, ref.Line, o.Name, err)
		}
		p.Floor = f
	}
	a.Policy = p
	return a, nil
}

func parseNumber(s string) (float64, error) {
	var v float64
	if _, err := fmt.Sscan(strings.TrimSpace(s), &v); err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// Find returns the workload with the given "namespace/name" (or "name",
// which matches in any namespace when it is the only one of that name).
func (s *Set) Find(id string) (*Workload, error) {
	ns, name, ok := strings.Cut(id, "/")
	if !ok {
		ns, name = "", id
	}
	var found []*Workload
	for _, w := range s.Workloads {
		if w.Name == name && (ns == "" || w.Namespace == ns || w.Namespace == "") {
			found = append(found, w)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("scale: no workload %s in the manifests read", id)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, w := range found {
		ids[i] = w.ID() + " (" + w.Object.String() + ")"
	}
	slices.Sort(ids)
	return nil, fmt.Errorf("scale: %d workloads match %s: %s; give namespace/name", len(found), id, strings.Join(ids, ", "))
}
