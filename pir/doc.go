// Package pir holds what happened: incident records and post-incident
// reviews (PIRs) read from the formats teams keep them in, the alert
// firings they are compared with, the matching of firings to incidents and
// the quality of every alert rule (precision, recall, lead time, pages).
//
// Incidents come from files whose format is told by content (Parse,
// DetectFormat, Load): minimal YAML lists as Lapilli reads them, CSV,
// PagerDuty REST API v2, incident.io API v2, FireHydrant API v1, Rootly API
// v1 and Opsgenie alert list bodies, and Markdown reviews with a YAML front
// matter and the sections of the Google SRE postmortem template. Records of
// one incident from several files are merged (Merge); a review's content is
// mined for how the incident was detected, its root-cause categories and
// the action items about alert rules, thresholds, disk, memory or capacity
// (LinkRules links them to rules by name).
//
// Firings come from a replay of the rules (package tuner), from a server's
// ALERTS series (FiringsFromAlerts) or from Alertmanager webhook logs
// (LoadAlertmanagerLog); Compare says how alike two histories are. Quality
// scores each rule's firings against the incidents with the exact
// definitions documented on it and on QualityConfig.
//
// The package is a library: it never prints and imports nothing of omen's
// internal packages.
package pir
