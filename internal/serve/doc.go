// Package serve is omen serve: it runs the job of a config (what omen run
// does) on a schedule — an interval or a 5-field cron expression — never
// two runs at once, and serves over HTTP:
//
//	/metrics          Prometheus text: the predictions (omen_exhaustion_eta_seconds,
//	                  omen_exhaustion_risk, omen_anomaly_score …), omen's own health
//	                  (runs, durations, errors, requests, last success) and the
//	                  realised accuracy of earlier predictions
//	                  (omen_prediction_interval_coverage, omen_prediction_eta_abs_error_seconds)
//	/api/v1/results   JSON of the last successful run
//	/api/v1/alerts    POST: an Alertmanager webhook receiver keeping the alert
//	                  history durably, in the format omen quality --history reads
//	/healthz, /readyz liveness, and readiness once results are available
//
// What must survive a restart lives in a state directory: the alert
// history (append-only, fsynced, a torn last line cut off on open), the
// predictions awaiting their horizon and the last results.
package serve
