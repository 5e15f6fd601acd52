// Package tuner treats alert rules as data: it reads Prometheus rule files
// and PrometheusRule manifests exactly as written, edits a rule's
// threshold, `for` or labels in place changing only the bytes of that value,
// replays rules over history as Prometheus would have evaluated them, and
// answers what-if questions (another threshold, another `for`) cheaply.
//
// Reading: [Load] reads a rule file, a stream of Kubernetes manifests or a
// directory into [Rule] values. Each alerting rule's [Threshold] is the
// plain number on one side of its expression's outermost comparison,
// located byte for byte in the expression (and in the file) by a scanner
// of the original text and confirmed on metricsql's parse tree: the
// expression is never printed back.
//
// Editing: [Edit] and [Apply] change one rule ([Change]: threshold, for,
// keep_firing_for, labels) through package yamledit, which splices new
// bytes into the original and verifies the result by reading it again.
// [Find] picks one rule by name, group and labels, and reports an
// ambiguous name with its candidates.
//
// Predictive rules: [PredictiveRules] writes the alerting rules that page
// on omen's written-back capacity predictions instead of on
// predict_linear, and [PredictLinear] is PromQL's predict_linear
// reimplemented bit for bit (Kahan sums), with [PredictLinearRule] for a
// predict_linear rule's pending → firing replay without a server.
// [FindPredictLinear] recognises a rule's predict_linear comparison on
// metricsql's tree, and [BacktestPredictive] compares each disk or memory
// predict_linear rule with the omen rule that would replace it on the
// same history — the rule replayed, omen's capacity predictions made as
// of every past hour — by events caught, lead time and false pages a
// week; [PredictiveTuneExtra] gives Tune that evidence.
//
// The package is a library: it never prints and imports nothing of omen's
// internal packages. Data comes in through the small Querier interface.
package tuner
