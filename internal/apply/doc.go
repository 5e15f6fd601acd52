// Package apply applies the tuner's proposals itself, under an explicit
// policy, verifies them once verify_after has passed, and rolls back the
// ones that made things worse.
//
// # Policy
//
// Nothing is applied without a Policy (the apply: section of omen.yaml or
// a policy file): which rules (files, groups, alerts, labels), which kinds
// of change (threshold, for, keep_firing_for, labels), the largest step,
// the time windows, and which rules need a person's approval (severity
// critical by default): those go to a pull request instead. ExamplePolicy
// documents every field.
//
// # Modes
//
// In direct mode a change is written to the rule file (a temporary file
// renamed over it), Prometheus is reloaded (POST /-/reload; it must run
// with --web.enable-lifecycle), and /api/v1/rules must show the rule as
// written, evaluated, with health ok. A rejected reload, a rule not loaded
// or not evaluated in time, or health err undoes the change at once: the
// original bytes are written back, Prometheus reloaded again, and the
// ledger records why. In GitOps mode a change is one commit on the deploy
// branch (pushed with a lease: never over someone else's push) holding the
// rule file and the ledger; Argo CD or Flux deploy it.
//
// # Ledger
//
// The ledger (.omen/ledger.yaml) records each change: what (file, group,
// alert, fields from → to), when, why, the promise (pages per week and
// incidents caught, from the proposal's validation evidence when it has
// some), and its states with reasons: applied, verified, rolled_back,
// superseded (someone changed the rule since), failed (a rollback that
// could not be made). It is written atomically, or committed with the
// change. Ledger.Series turns it into series for omen serve.
//
// # Verification
//
// Every run verifies the entries whose verify_after has passed, over the
// window [applied, applied + verify_after]: the rule as applied (replayed,
// or its ALERTS) and the old rule, replayed over the same window, are
// scored against the incidents with pir's definitions, and the server is
// asked for the rule's health. Judge fails a change whose health is err,
// that missed an incident the old rule would have caught, whose pages
// exceed the promise beyond a tolerance, or that caught a smaller share of
// the incidents than promised. A failed change is rolled back: a revert
// commit of the rule file (GitOps) or the old bytes written and reloaded
// (direct), the ledger updated in the same step, and the pull request that
// proposed it, when omen knows one, told why.
package apply
