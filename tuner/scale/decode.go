package scale

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	kyaml "sigs.k8s.io/yaml"
)

// ErrDecode is wrapped by the errors of a manifest that does not decode
// strictly into its Kubernetes type: an unknown or misspelt field, a
// duplicate key, a value of the wrong type.
var ErrDecode = errors.New("scale: manifest does not decode")

// KEDA's group and version.
var kedaGV = schema.GroupVersion{Group: "keda.sh", Version: "v1alpha1"}

// ScaledObject is KEDA's ScaledObject (keda.sh/v1alpha1), the fields of
// KEDA 2.x's apis/keda/v1alpha1 written out so that a ScaledObject decodes
// strictly without importing KEDA and its dependencies; its behaviour is
// the autoscaling/v2 type.
type ScaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ScaledObjectSpec `json:"spec"`
	Status            json.RawMessage  `json:"status,omitempty"`
}

// ScaledObjectSpec is the spec of a ScaledObject.
type ScaledObjectSpec struct {
	ScaleTargetRef        *ScaleTarget    `json:"scaleTargetRef"`
	PollingInterval       *int32          `json:"pollingInterval,omitempty"`
	InitialCooldownPeriod *int32          `json:"initialCooldownPeriod,omitempty"`
	CooldownPeriod        *int32          `json:"cooldownPeriod,omitempty"`
	IdleReplicaCount      *int32          `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32          `json:"minReplicaCount,omitempty"`
	MaxReplicaCount       *int32          `json:"maxReplicaCount,omitempty"`
	Advanced              *AdvancedConfig `json:"advanced,omitempty"`
	Triggers              []ScaleTrigger  `json:"triggers"`
	Fallback              *Fallback       `json:"fallback,omitempty"`
}

// ScaleTarget is the object a ScaledObject scales.
type ScaleTarget struct {
	Name                   string `json:"name"`
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

// AdvancedConfig holds a ScaledObject's HPA settings.
type AdvancedConfig struct {
	HorizontalPodAutoscalerConfig *HPAConfig        `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool              `json:"restoreToOriginalReplicaCount,omitempty"`
	ScalingModifiers              *ScalingModifiers `json:"scalingModifiers,omitempty"`
}

// HPAConfig is the HPA a ScaledObject makes.
type HPAConfig struct {
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
	Name     string                                         `json:"name,omitempty"`
}

// ScalingModifiers combine a ScaledObject's triggers with a formula.
type ScalingModifiers struct {
	Formula          string                         `json:"formula,omitempty"`
	Target           string                         `json:"target,omitempty"`
	ActivationTarget string                         `json:"activationTarget,omitempty"`
	MetricType       autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

// ScaleTrigger is one KEDA scaler.
type ScaleTrigger struct {
	Type              string                         `json:"type"`
	Name              string                         `json:"name,omitempty"`
	UseCachedMetrics  bool                           `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string              `json:"metadata"`
	AuthenticationRef *AuthenticationRef             `json:"authenticationRef,omitempty"`
	MetricType        autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

// AuthenticationRef names a TriggerAuthentication.
type AuthenticationRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

// Fallback is a ScaledObject's replicas when its scalers fail.
type Fallback struct {
	FailureThreshold int32  `json:"failureThreshold"`
	Replicas         int32  `json:"replicas"`
	Behavior         string `json:"behavior,omitempty"`
}

// DeepCopyObject implements runtime.Object.
func (s *ScaledObject) DeepCopyObject() runtime.Object {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // every field marshals
	}
	out := new(ScaledObject)
	if err := json.Unmarshal(b, out); err != nil {
		panic(err)
	}
	return out
}

// Values is what omen reads of a Helm values file in the common chart
// convention (helm create): replicaCount, autoscaling and resources. Other
// keys are the chart's own and are left alone.
type Values struct {
	ReplicaCount *int32                       `json:"replicaCount,omitempty"`
	Autoscaling  *ValuesAutoscaling           `json:"autoscaling,omitempty"`
	Resources    *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// ValuesAutoscaling is the autoscaling block of a values file.
type ValuesAutoscaling struct {
	Enabled                           *bool  `json:"enabled,omitempty"`
	MinReplicas                       *int32 `json:"minReplicas,omitempty"`
	MaxReplicas                       *int32 `json:"maxReplicas,omitempty"`
	TargetCPUUtilizationPercentage    *int32 `json:"targetCPUUtilizationPercentage,omitempty"`
	TargetMemoryUtilizationPercentage *int32 `json:"targetMemoryUtilizationPercentage,omitempty"`
}

var (
	scheme  = runtime.NewScheme()
	decoder *kjson.Serializer
)

func init() {
	for _, add := range []func(*runtime.Scheme) error{appsv1.AddToScheme, autoscalingv1.AddToScheme, autoscalingv2.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	scheme.AddKnownTypes(kedaGV, &ScaledObject{})
	decoder = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: true, Strict: true})
}

// Decodes reports whether omen reads objects of this apiVersion and kind.
func Decodes(apiVersion, kind string) bool {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return false
	}
	return scheme.Recognizes(gv.WithKind(kind))
}

// DecodeStrict decodes one YAML document into its Kubernetes type (a
// Deployment, StatefulSet, HorizontalPodAutoscaler autoscaling/v1 or v2,
// or KEDA ScaledObject) as the API server does with strict field
// validation: an unknown or misspelt field, a duplicate key or a value of
// the wrong type is an error wrapping ErrDecode.
func DecodeStrict(doc []byte) (runtime.Object, error) {
	obj, _, err := decoder.Decode(doc, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrDecode, strictMessage(err))
	}
	return obj, nil
}

func strictMessage(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "strict decoding error: ")
	return s
}

// DecodeValues decodes the parts omen reads of a Helm values document
// strictly: replicaCount, the autoscaling keys of the common convention
// with their types, and resources as a Kubernetes ResourceRequirements.
// Other keys, at the top and in autoscaling (a chart's own behavior
// block), are left alone.
func DecodeValues(doc []byte) (Values, error) {
	var top map[string]json.RawMessage
	if err := kyaml.UnmarshalStrict(doc, &top); err != nil {
		return Values{}, fmt.Errorf("%w: %v", ErrDecode, err)
	}
	var v Values
	pick := func(key string, dst any, strict bool) error {
		raw, ok := top[key]
		if !ok || string(raw) == "null" {
			return nil
		}
		if !strict {
			if err := json.Unmarshal(raw, dst); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrDecode, key, err)
			}
			return nil
		}
		if err := kyaml.UnmarshalStrict(raw, dst); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrDecode, key, err)
		}
		return nil
	}
	if err := pick("replicaCount", &v.ReplicaCount, false); err != nil {
		return v, err
	}
	if raw, ok := top["autoscaling"]; ok && string(raw) != "null" {
		var a map[string]json.RawMessage
		if err := json.Unmarshal(raw, &a); err != nil {
			return v, fmt.Errorf("%w: autoscaling: want a mapping: %v", ErrDecode, err)
		}
		v.Autoscaling = &ValuesAutoscaling{}
		for key, dst := range map[string]any{
			"enabled": &v.Autoscaling.Enabled, "minReplicas": &v.Autoscaling.MinReplicas, "maxReplicas": &v.Autoscaling.MaxReplicas,
			"targetCPUUtilizationPercentage": &v.Autoscaling.TargetCPUUtilizationPercentage, "targetMemoryUtilizationPercentage": &v.Autoscaling.TargetMemoryUtilizationPercentage,
		} {
			if r, ok := a[key]; ok && string(r) != "null" {
				if err := json.Unmarshal(r, dst); err != nil {
					return v, fmt.Errorf("%w: autoscaling.%s: %v", ErrDecode, key, err)
				}
			}
		}
	}
	if err := pick("resources", &v.Resources, true); err != nil {
		return v, err
	}
	return v, nil
}

// docBytes returns one document of a stream as YAML text.
func docBytes(doc *yaml.Node) ([]byte, error) {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 0 {
		return nil, nil
	}
	return yaml.Marshal(doc)
}
