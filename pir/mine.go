package pir

import (
	"regexp"
	"slices"
	"strings"
)

// Category is a kind of root cause and the words that tell it.
type Category struct {
	// Name is the category's name (disk, memory, deploy).
	Name string
	// Words are matched, case-insensitively, as whole words or phrases.
	Words []string
}

// Categories are the root-cause categories, in the order a cause is tried
// against them: the most specific first, so "a deploy introduced a memory
// leak" is memory, and "an expired TLS certificate" certificate.
var Categories = []Category{
	{"disk", []string{"disk full", "disk space", "disk usage", "filesystem", "file system", "inode", "inodes", "no space left", "volume full", "out of disk", "storage full", "disk filled", "disk"}},
	{"memory", []string{"memory", "oom", "oomkilled", "out of memory", "heap", "memory leak", "leak", "gc pause", "garbage collection"}},
	{"certificate", []string{"certificate", "cert", "certs", "tls", "ssl", "expired", "expiry", "expiration"}},
	{"capacity", []string{"capacity", "saturation", "saturated", "exhausted", "exhaustion", "traffic spike", "load spike", "overload", "overloaded", "throttled", "throttling", "rate limit", "rate limited", "quota", "connection pool", "thread pool", "autoscaling", "autoscaler", "scaling", "too many connections", "cpu", "retry storm", "retries", "thundering herd"}},
	{"database", []string{"database", "db", "sql", "postgres", "postgresql", "mysql", "replication", "replica", "deadlock", "slow query", "query", "index", "schema", "vacuum"}},
	{"network", []string{"network", "packet loss", "partition", "connectivity", "load balancer", "firewall", "bgp", "routing", "timeout", "timeouts"}},
	{"dependency", []string{"third-party", "third party", "upstream", "vendor", "provider", "external service", "dependency", "cdn", "dns", "aws", "gcp", "azure", "saas"}},
	{"config", []string{"config", "configuration", "misconfiguration", "misconfigured", "feature flag", "flag", "setting", "settings", "parameter"}},
	{"bug", []string{"bug", "regression", "race condition", "null pointer", "nil pointer", "exception", "panic", "crash", "logic error", "off-by-one", "infinite loop"}},
	{"deploy", []string{"deploy", "deployed", "deployment", "release", "rollout", "rolled out", "rollback", "new version", "upgrade", "migration", "change"}},
	{"human", []string{"human error", "manual", "manually", "typo", "accidentally", "by mistake", "wrong command", "operator error"}},
	{"hardware", []string{"hardware", "disk failure", "node failure", "host failure", "power", "datacenter", "data center", "rack"}},
}

var categoryRes = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(Categories))
	for i, c := range Categories {
		words := make([]string, len(c.Words))
		for j, w := range c.Words {
			words[j] = regexp.QuoteMeta(w)
		}
		out[i] = regexp.MustCompile(`(?i)\b(?:` + strings.Join(words, "|") + `)\b`)
	}
	return out
}()

// Categorize returns the root-cause category of a text: the first of
// Categories whose words appear in it, or "".
func Categorize(text string) string {
	for i, re := range categoryRes {
		if re.MatchString(text) {
			return Categories[i].Name
		}
	}
	return ""
}

var (
	// alertNameRe is an identifier that looks like an alert rule's name:
	// CamelCase with two humps (HighErrorRate, KubePodCrashLooping) or with
	// an underscore (disk_almost_full).
	alertNameRe = regexp.MustCompile("`([A-Za-z_:][A-Za-z0-9_:]{2,})`" + `|\b([A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]+)+|[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+)\b`)
	// notAlertNames are CamelCase words that name tools, not alerts.
	notAlertNames = []string{"PagerDuty", "OpsGenie", "Opsgenie", "VictoriaMetrics", "GitHub", "GitLab", "PostgreSQL", "MySQL", "MongoDB", "CloudFront", "CloudWatch", "JavaScript", "TypeScript", "StatusPage", "ElasticSearch", "OpenSearch", "DynamoDB", "BigQuery", "LinkedIn", "YouTube", "WhatsApp", "iOS", "MacOS", "DevOps", "FireHydrant", "PromQL", "MetricsQL", "OpenTelemetry", "SaaS"}

	customerRe = regexp.MustCompile(`(?i)\bcustomers?\b.{0,40}\b(?:report|reported|reporting|complain|complained|contacted|noticed|opened|wrote|tweet)|\b(?:reported|raised|flagged) by (?:a |an |the |several |many )?(?:customers?|users?|clients?|merchants?|partners?)\b|\bcustomer[- ]reported\b|\bsupport (?:ticket|tickets|request|requests|team|escalat)|\busers? (?:report|reported|complain|complained)|\bcomplaints?\b|\btwitter\b|\btweets?\b`)
	humanRe    = regexp.MustCompile(`(?i)\b(?:engineer|engineers|developer|developers|someone|on-?call|sre|sres|we|team|operator|operators|an? employee|staff)\b.{0,30}\b(?:noticed|spotted|saw|observed|discovered|found|realised|realized)\b|\bnoticed (?:by|during|while|that)\b|\bmanually (?:detected|discovered|noticed)\b|\bdetected (?:by|during) (?:a |an )?(?:manual|human|engineer|deploy|review)`)
	alertRe    = regexp.MustCompile(`(?i)\bpaged\b|\bpages?d? (?:by|for|on)\b|\balert(?:ed|s|ing)?\b|\bfired\b|\bfiring\b|\bpagerduty\b|\bopsgenie\b|\bmonitoring (?:detected|caught|flagged)|\balarm(?:ed|s)?\b|\btriggered (?:an? |the )?(?:alert|page)`)
	negAlertRe = regexp.MustCompile(`(?i)\bno alerts?\b|\bdid(?: not|n't) (?:fire|page|alert|trigger)|\bwithout (?:an? )?(?:alert|page)|\bnot alerted\b|\bfailed to (?:fire|page|alert)|\bnever (?:fired|paged|alerted)|\bno page\b|\bwasn't paged\b|\bwas not paged\b`)
)

// alertNames returns the alert-like names in text, in order, once each.
func alertNames(text string) []string {
	var out []string
	for _, m := range alertNameRe.FindAllStringSubmatch(text, -1) {
		n := m[1]
		if n == "" {
			n = m[2]
		}
		if n == "" || slices.Contains(notAlertNames, n) || slices.Contains(out, n) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// classify reads how a sentence says an incident was detected.
func classify(text string) (Method, []string) {
	switch {
	case customerRe.MatchString(text):
		return MethodCustomer, nil
	case alertRe.MatchString(text) && !negAlertRe.MatchString(text):
		return MethodAlert, alertNames(text)
	case humanRe.MatchString(text):
		return MethodHuman, nil
	}
	return MethodUnknown, nil
}

// mine reads what a record's content says beyond its fields: the
// detection method, alerts and time (front matter, else the Detection
// section, else the first timeline entry that tells), the root causes'
// categories and what each action item is about.
func mine(in *Incident) {
	if in.Detection.Method == MethodUnknown && in.detectionText != "" {
		if m, alerts := classify(in.detectionText); m != MethodUnknown {
			in.Detection.Method = m
			in.Detection.Evidence = "Detection: " + firstSentence(in.detectionText)
			in.Detection.Alerts = appendNew(in.Detection.Alerts, alerts...)
		}
	}
	for _, e := range in.Timeline {
		m, alerts := classify(e.Text)
		if m == MethodUnknown {
			continue
		}
		if in.Detection.Method == MethodUnknown {
			in.Detection.Method = m
			in.Detection.Evidence = "Timeline: " + e.Text
		}
		if m != in.Detection.Method {
			continue
		}
		if in.DetectedAt.IsZero() {
			in.DetectedAt = e.At
		}
		if m == MethodAlert && len(in.Detection.Alerts) == 0 {
			in.Detection.Alerts = appendNew(in.Detection.Alerts, alerts...)
		}
		break
	}
	if in.Detection.Method == MethodAlert && len(in.Detection.Alerts) == 0 && in.detectionText != "" {
		in.Detection.Alerts = appendNew(in.Detection.Alerts, alertNames(in.detectionText)...)
	}
	for i := range in.RootCauses {
		if in.RootCauses[i].Category == "" {
			in.RootCauses[i].Category = Categorize(in.RootCauses[i].Text)
		}
	}
	for i := range in.ActionItems {
		it := &in.ActionItems[i]
		it.Alerts = appendNew(it.Alerts, alertNames(it.Text)...)
		it.Topics = topics(it.Text)
	}
}

func appendNew(dst []string, names ...string) []string {
	for _, n := range names {
		if !slices.Contains(dst, n) {
			dst = append(dst, n)
		}
	}
	return dst
}

func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i+1]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// topicRes tell what an action item is about.
var topicRes = []struct {
	name string
	re   *regexp.Regexp
}{
	{"threshold", regexp.MustCompile(`(?i)\bthresholds?\b|\b(?:raise|lower|tune|tuning|adjust|increase|decrease|reduce)\b.{0,30}\b(?:alert|alerting|rule|for:?|duration|sensitivity|limit)|\bfor:\s*\d|\bsensitivity\b`)},
	{"disk", regexp.MustCompile(`(?i)\bdisks?\b|\bfilesystems?\b|\bfile systems?\b|\binodes?\b|\bvolumes?\b|\bpvcs?\b|\bstorage\b`)},
	{"memory", regexp.MustCompile(`(?i)\bmemory\b|\boom(?:killed|s)?\b|\bheap\b|\brss\b|\bworking set\b|\bleaks?\b`)},
	{"capacity", regexp.MustCompile(`(?i)\bcapacity\b|\bheadroom\b|\bscal(?:e|ing)\b|\bautoscal\w*|\bquotas?\b|\bprovision\w*|\breplicas?\b|\bhpa\b`)},
	{"alert", regexp.MustCompile(`(?i)\balert(?:s|ing)?\b|\bpag(?:e|es|ing)\b|\bmonitor(?:s|ing)?\b|\brules?\b|\bslo\b`)},
}

// topics returns what a text is about among threshold, disk, memory,
// capacity and alert.
func topics(text string) []string {
	var out []string
	for _, t := range topicRes {
		if t.re.MatchString(text) {
			out = append(out, t.name)
		}
	}
	return out
}

// topicWords are the words of alert names that relate them to a topic.
var topicWords = map[string][]string{
	"disk":     {"disk", "filesystem", "fs", "inode", "volume", "pvc", "storage"},
	"memory":   {"memory", "mem", "oom", "heap", "rss"},
	"capacity": {"capacity", "cpu", "saturation", "throttl", "quota", "replica", "hpa"},
}

// LinkRules links the action items of the incidents to the alert rules
// they are about: an item that names a rule (word for word) is linked to
// it, and an item about disk, memory or capacity that names no rule is
// linked to the rules whose names hold that topic's words (DiskAlmostFull
// for disk, ContainerOOMKilled for memory). It returns how many items were
// linked to at least one rule.
func LinkRules(incs []Incident, alerts []string) int {
	linked := 0
	for i := range incs {
		for j := range incs[i].ActionItems {
			it := &incs[i].ActionItems[j]
			var names []string
			for _, a := range alerts {
				if a != "" && containsWord(it.Text, a) {
					names = append(names, a)
				}
			}
			if len(names) == 0 && !hasKnown(it.Alerts, alerts) {
				for _, t := range it.Topics {
					for _, a := range alerts {
						la := strings.ToLower(a)
						for _, w := range topicWords[t] {
							if strings.Contains(la, w) {
								names = append(names, a)
								break
							}
						}
					}
				}
			}
			// Keep the names that are rules, then the new links.
			var kept []string
			for _, a := range it.Alerts {
				if slices.Contains(alerts, a) {
					kept = append(kept, a)
				}
			}
			it.Alerts = appendNew(kept, names...)
			if len(it.Alerts) > 0 {
				linked++
			}
		}
	}
	return linked
}

func hasKnown(names, alerts []string) bool {
	for _, n := range names {
		if slices.Contains(alerts, n) {
			return true
		}
	}
	return false
}

// containsWord reports whether w appears in s not inside a longer
// identifier.
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before := j == 0 || !isIdent(s[j-1])
		after := j+len(w) == len(s) || !isIdent(s[j+len(w)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isIdent(c byte) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
