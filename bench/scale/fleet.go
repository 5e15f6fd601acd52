package scale

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/series"
)

// Defaults of Config.
const (
	// DefaultSize is the fleet of the acceptance benchmark.
	DefaultSize = 10_000
	// DefaultBatch is the number of resources per batch.
	DefaultBatch = 100
	// DefaultPerNamespace is the number of containers per namespace.
	DefaultPerNamespace = 50
	// DefaultPerNode is the number of containers per Kubernetes node.
	DefaultPerNode = 30
)

// ErrConfig is returned for a Config with a negative field.
var ErrConfig = errors.New("scale: invalid fleet config")

// chunk is the number of suite scenarios drawn per seed: one full cycle
// of the suite's sixteen templates.
const chunk = 16

// queueCap bounds the scenarios of one kind kept waiting; the surplus of
// the more frequent kind (disks, ten templates of sixteen) is dropped.
const queueCap = chunk

// Config describes a fleet. The zero value is the acceptance fleet:
// 10,000 resources from seed 0 in batches of 100.
type Config struct {
	// Size is the number of resources, that is of usage series; 0 means
	// DefaultSize. Even indexes are disks, odd ones containers.
	Size int
	// Seed seeds the scenarios: the same Seed and Size give the same fleet,
	// and a fleet is a prefix of any larger one with the same Seed and
	// PerNamespace.
	Seed uint64
	// Batch is the number of resources handed over at a time; 0 means
	// DefaultBatch.
	Batch int
	// PerNamespace is the number of containers sharing a namespace; 0
	// means DefaultPerNamespace. The memory preset fetches by namespace,
	// so this sets how finely a fleet's containers can be batched.
	PerNamespace int
	// CloudNames names disks' instances and containers' nodes like EC2
	// private DNS names, ip-10-A-B-C.eu-west-1.compute.internal (up to 45
	// characters, as in many real fleets), instead of the short
	// node-IIIII and k8s-node-NNNN.
	CloudNames bool
}

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Size < 0 || c.Batch < 0 || c.PerNamespace < 0 {
		return c, fmt.Errorf("%w: size %d, batch %d, per namespace %d: want 0 (the default) or more",
			ErrConfig, c.Size, c.Batch, c.PerNamespace)
	}
	if c.Size == 0 {
		c.Size = DefaultSize
	}
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	if c.PerNamespace == 0 {
		c.PerNamespace = DefaultPerNamespace
	}
	return c, nil
}

// At returns the instant every fleet is predicted at: the end of the
// 14 days of history, fixtures.SuiteAt().
func At() time.Time { return fixtures.SuiteAt() }

// Window and Step are the history every fleet holds before At: 14 days at
// 5 minutes, 4,033 samples per series (both ends included) less the
// scenario's missed scrapes.
const (
	Window = fixtures.SuiteHistory
	Step   = fixtures.SuiteStep
)

// Resource is one disk or container of a fleet.
type Resource struct {
	// Index is the resource's position in the fleet, from 0.
	Index int
	// Kind is fixtures.KindDisk or fixtures.KindMemory.
	Kind string
	// Scenario is the suite scenario it was drawn from (its name within
	// its chunk), its pattern and whether it is a trap.
	Scenario, Pattern string
	Trap              bool
	// Usage is the label set of the usage series (node_filesystem_avail_bytes
	// or container_memory_working_set_bytes).
	Usage series.Labels
	// Series are the usage series, the limit (node_filesystem_size_bytes or
	// kube_pod_container_resource_limits) and node_filesystem_readonly or
	// kube_pod_container_status_restarts_total, as of At, without the
	// missed scrapes.
	Series []series.Series
}

// Generate draws the fleet of cfg and hands it to yield in batches of
// cfg.Batch resources (the last may be shorter), in index order, stopping
// at the first error yield returns. Only one batch and a few waiting
// scenarios are held at a time.
//
// Scenarios come from fixtures.CapacitySuite(fixtures.SubSeed(cfg.Seed, c), 16)
// for c = 0, 1, 2, …: each chunk holds every template once. Resource i is
// a disk when i is even and a container when i is odd, the next unused
// scenario of that kind; disks left over (ten templates in sixteen are
// disks) are dropped. The labels that identify a resource are rewritten
// from its index, so that label sets never collide, whatever the size:
//
//   - a disk's instance becomes node-IIIII:9100;
//   - a container's pod becomes <container>-IIIII-<suffix>, its namespace
//     team-NNN (PerNamespace containers each) and its node, which is also
//     its cAdvisor instance, k8s-node-NNNN (DefaultPerNode containers each);
//   - with CloudNames, hosts are named as cloudName says instead.
func Generate(cfg Config, yield func([]Resource) error) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	at := At()
	var queues [2][]fixtures.Scenario // disks, containers
	next := 0                         // next chunk
	draw := func(kind int) fixtures.Scenario {
		for len(queues[kind]) == 0 {
			for _, sc := range fixtures.CapacitySuite(fixtures.SubSeed(cfg.Seed, next), chunk) {
				k := kindIndex(sc.Kind)
				if len(queues[k]) < queueCap {
					queues[k] = append(queues[k], sc)
				}
			}
			next++
		}
		sc := queues[kind][0]
		queues[kind][0] = fixtures.Scenario{} // let its samples go
		queues[kind] = queues[kind][1:]
		return sc
	}
	batch := make([]Resource, 0, cfg.Batch)
	for i := range cfg.Size {
		batch = append(batch, relabel(cfg, i, draw(i%2), at))
		if len(batch) == cfg.Batch || i == cfg.Size-1 {
			if err := yield(batch); err != nil {
				return err
			}
			batch = make([]Resource, 0, cfg.Batch)
		}
	}
	return nil
}

// kindIndex is 0 for disks and 1 for containers.
func kindIndex(kind string) int {
	if kind == fixtures.KindMemory {
		return 1
	}
	return 0
}

// relabel turns scenario sc into resource i of the fleet.
func relabel(cfg Config, i int, sc fixtures.Scenario, at time.Time) Resource {
	var set func(series.Labels) series.Labels
	if sc.Kind == fixtures.KindMemory {
		c := i / 2 // the container's rank among containers
		pod := sc.Series.Labels.Get("pod")
		suffix := pod[strings.LastIndexByte(pod, '-')+1:]
		newPod := fmt.Sprintf("%s-%05d-%s", sc.Series.Labels.Get("container"), i, suffix)
		ns := fmt.Sprintf("team-%03d", c/cfg.PerNamespace)
		node := fmt.Sprintf("k8s-node-%04d", c/DefaultPerNode)
		if cfg.CloudNames {
			node = cloudName(1<<16 + c/DefaultPerNode) // apart from the disks' hosts
		}
		set = func(ls series.Labels) series.Labels {
			ls = ls.With("pod", newPod).With("namespace", ns).With("node", node)
			if ls.Get("job") == "kubelet" { // cAdvisor's instance is the node
				ls = ls.With("instance", node)
			}
			return ls
		}
	} else {
		instance := fmt.Sprintf("node-%05d:9100", i)
		if cfg.CloudNames {
			instance = cloudName(i) + ":9100"
		}
		set = func(ls series.Labels) series.Labels { return ls.With("instance", instance) }
	}
	r := Resource{
		Index: i, Kind: sc.Kind, Scenario: sc.Name, Pattern: sc.Pattern, Trap: sc.Trap,
		Usage:  set(sc.Series.Labels),
		Series: sc.SeriesAsOf(at),
	}
	for k := range r.Series {
		r.Series[k].Labels = set(r.Series[k].Labels)
	}
	return r
}

// cloudName returns the EC2-style private DNS name of host k < 2²⁴:
// ip-10-A-B-C.eu-west-1.compute.internal with A.B.C the bytes of k.
func cloudName(k int) string {
	return fmt.Sprintf("ip-10-%d-%d-%d.eu-west-1.compute.internal", k>>16&255, k>>8&255, k&255)
}
