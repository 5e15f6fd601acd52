// Package deploy holds omen's deployment files — the Dockerfile, the
// Kubernetes manifests (kubernetes/), the Helm chart (helm/omen) and the
// Grafana dashboard (grafana/) — and the tests that check them: every
// rendered document decodes strictly into its Kubernetes type, every
// PromQL expression parses and names a series omen exposes, and promtool
// accepts the alerting rules.
package deploy
