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
// Read reads the workloads from manifests and Helm values, each decoded
// strictly into its Kubernetes type; Propose makes a workload's proposals
// from its History (the search for the HPA policy, the forecast-only
// schedule, the sizing) and judges them on the held-out window; Edit
// applies a proposal's changes to a file with the minimal editor
// (tuner/yamledit) and checks the result by strict decoding.
//
// A schedule proposal is written on request: EditSchedule appends its cron
// triggers to a ScaledObject (ApplyProposal chooses Edit or EditSchedule),
// and ScheduleManifest writes an HPA's as a documented CronJob patch of its
// minReplicas, a file of its own (ScheduleFile) whose every document
// decodes strictly (CheckScheduleManifest). ScheduleSteps and TriggerSpans
// read the triggers back as the minimum they make at each minute of the
// week.
//
// # Delivery
//
// A Proposal is data — the object (file, document, kind, name), the fields
// changed with their from and to, the figures — as the rule tuner's are,
// and Edit is to manifests what the rule editor is to rule files: it has
// the same ErrApplied and ErrStale. `omen pr` delivers the JSON of omen
// scale (internal/delivery's DeliverManifests): Edit per proposal, Read as
// the check of an edited file, a branch omen/scale-<hash of the objects
// and fields>; forecast-only proposals and proposals without changes
// (schedules aside) are never applied. CheckDiff is the byte-level check of a written manifest:
// only the changed values' bytes differ.
//
// The package is a library: it never prints and imports nothing of
// omen's internal packages.
package scale
