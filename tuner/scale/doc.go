// Package scale proposes autoscaling policies and container sizes from
// forecasts, and proves each proposal on a replay of the Kubernetes HPA
// algorithm over the workload's own history.
//
// Simulate is the HPA controller (desired = ⌈current × metric / target⌉
// with the 10% tolerance, minReplicas and maxReplicas, behaviour policies
// and stabilisation windows, the 15-second sync period, pods that serve
// only once ready) run over a Demand: the total load of a workload (per-pod
// usage × replicas), which does not depend on how many replicas served it,
// so a policy replayed on it cannot feed back into its own input as
// per-pod recommendations of autoscaled workloads do (krr#169).
//
// The package is a library: it never prints and imports nothing of
// omen's internal packages.
package scale
