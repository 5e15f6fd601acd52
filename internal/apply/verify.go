package apply

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/omenhq/omen/internal/delivery"
	"github.com/omenhq/omen/pir"
	"github.com/omenhq/omen/tuner"
)

// verifyDue verifies every entry whose verification is due, rolling back
// those that fail.
func (r *runner) verifyDue(ctx context.Context, l *Ledger) error {
	due := l.Due(r.opt.Now)
	if len(due) == 0 {
		return nil
	}
	if r.opt.Querier == nil {
		for _, e := range due {
			r.rep.Pending = append(r.rep.Pending, entryOutcome(e, "verification due, but no history source was given (--prometheus)"))
		}
		return nil
	}
	ids := make([]string, len(due))
	for i, e := range due {
		ids[i] = e.ID
	}
	var kept, settled []string
	for _, id := range ids {
		e := l.Find(id)
		out, err := r.verify(ctx, l, e)
		if err != nil {
			return err
		}
		switch out {
		case StateVerified, StateSuperseded:
			kept = append(kept, fmt.Sprintf("- %s %s: %s", e.Alert, e.ChangesText(), out))
			settled = append(settled, id)
		case StateRolledBack:
			settled = append(settled, id)
		}
	}
	if r.opt.DryRun {
		return nil
	}
	if len(kept) > 0 {
		msg := "omen: verified applied changes\n\n" + strings.Join(kept, "\n") + "\n"
		if err := r.d.save(ctx, l, msg); err != nil {
			return fmt.Errorf("the verifications passed but the ledger could not record them: %w", err)
		}
	}
	for _, id := range settled {
		r.d.forget(l.Find(id))
	}
	return nil
}

// verify verifies one entry and returns its new state ("" when it could
// not be verified now). Errors are those that stop the run.
func (r *runner) verify(ctx context.Context, l *Ledger, e *Entry) (State, error) {
	pending := func(format string, args ...any) (State, error) {
		msg := fmt.Sprintf(format, args...)
		r.log.Warn("verification postponed", "entry", e.ID, "alert", e.Alert, "reason", msg)
		r.rep.Pending = append(r.rep.Pending, entryOutcome(e, msg))
		return "", nil
	}
	superseded := func(why string) (State, error) {
		e.set(StateSuperseded, r.opt.Now, why, "")
		r.rep.Superseded = append(r.rep.Superseded, entryOutcome(e, why))
		return StateSuperseded, nil
	}
	cur, err := r.d.read(ctx, e.File)
	if notExist(err) {
		return superseded(fmt.Sprintf("%s is gone", e.File))
	}
	if err != nil {
		return pending("%v", err)
	}
	// The change must still be what is in effect: every value at "to".
	_, err = delivery.EditRules(cur, e.File, e.proposal())
	switch {
	case errors.Is(err, delivery.ErrApplied):
	case err == nil || errors.Is(err, delivery.ErrStale):
		return superseded("the rule was changed since it was applied: it is not omen's change any more")
	case errors.Is(err, tuner.ErrNoRule):
		return superseded(fmt.Sprintf("the rule is no longer in %s", e.File))
	default:
		return pending("%v", err)
	}
	// The rule as it was: the file before the change, else the change
	// undone by the editor.
	orig, err := r.d.before(ctx, e)
	if err != nil {
		r.log.Warn("the file as it was before the change is not at hand: the old rule is rebuilt by the editor", "entry", e.ID, "error", err)
		if orig, err = e.reverseEdit(cur); err != nil {
			return pending("cannot rebuild the rule as it was: %v", err)
		}
	}
	newRules, err := tuner.Parse(cur, e.File, e.File, tuner.LoadOptions{})
	if err != nil {
		return pending("%v", err)
	}
	oldRules, err := tuner.Parse(orig, e.File, e.File, tuner.LoadOptions{})
	if err != nil {
		return pending("%v", err)
	}
	sel := selectorAfter(e.proposal())
	newRule, err := tuner.Find(newRules, sel)
	if err != nil {
		return pending("%s: %v", e.File, err)
	}
	oldRule, err := tuner.Find(oldRules, tuner.Selector{Alert: e.Alert, Group: e.Group, Labels: e.Labels})
	if err != nil {
		return pending("%s: the rule as it was: %v", e.File, err)
	}

	obs, v, err := r.observe(ctx, e, newRule, oldRule, newRules)
	if err != nil {
		return pending("%v", err)
	}
	passed, reasons := Judge(e.Promise, obs, r.p.Verify.criteria())
	v.Passed, v.Reasons = passed, reasons
	e.Verification = v
	if passed {
		e.set(StateVerified, r.opt.Now, "verification passed: "+strings.Join(reasons, "; "), "")
		o := entryOutcome(e, reasons...)
		o.Verification = v
		r.rep.Verified = append(r.rep.Verified, o)
		r.log.Info("verified", "entry", e.ID, "alert", e.Alert, "checks", strings.Join(reasons, "; "))
		return StateVerified, nil
	}
	r.log.Warn("verification failed", "entry", e.ID, "alert", e.Alert, "reasons", strings.Join(reasons, "; "))
	if r.opt.DryRun {
		o := entryOutcome(e, append([]string{"would be rolled back (dry run)"}, reasons...)...)
		o.Verification = v
		r.rep.RolledBack = append(r.rep.RolledBack, o)
		return StateRolledBack, nil
	}
	before := l.Clone()
	e.set(StateRolledBack, r.opt.Now, "verification failed: "+strings.Join(reasons, "; "), "")
	commit, err := r.d.rollback(ctx, e.File, cur, orig, l, e, oldRule, reasons)
	if err != nil {
		// Nothing changed: record that it needs a person.
		*l = *before
		e = l.Find(e.ID)
		e.Verification = v
		why := fmt.Sprintf("verification failed (%s) and the rollback could not be made: %v", strings.Join(reasons, "; "), err)
		e.set(StateFailed, r.opt.Now, why, "")
		if serr := r.d.save(ctx, l, "omen: a failed change could not be rolled back\n\n"+e.Title()+"\n"+why+"\n"); serr != nil {
			return "", fmt.Errorf("%s; and the ledger could not record it: %w", why, serr)
		}
		o := entryOutcome(e, why)
		o.Verification = v
		r.rep.Failed = append(r.rep.Failed, o)
		r.comment(ctx, e, "omen could not roll this change back after its verification failed; a person must look:\n\n- "+strings.Join(reasons, "\n- ")+"\n\n"+err.Error())
		return StateFailed, nil
	}
	if commit != "" {
		e.History[len(e.History)-1].Commit = commit
	}
	o := entryOutcome(e, reasons...)
	o.Commit, o.Verification = commit, v
	r.rep.RolledBack = append(r.rep.RolledBack, o)
	r.comment(ctx, e, "omen rolled this change back: its verification over "+windowText(v.Start, v.End)+" failed:\n\n- "+strings.Join(reasons, "\n- ")+commitText(commit))
	return StateRolledBack, nil
}

func windowText(start, end time.Time) string {
	return start.UTC().Format("2006-01-02 15:04") + " – " + end.UTC().Format("2006-01-02 15:04 MST")
}

// observe replays (or reads) the rule as applied and replays the old rule
// over the entry's window, and scores both against the incidents.
func (r *runner) observe(ctx context.Context, e *Entry, newRule, oldRule tuner.Rule, all []tuner.Rule) (Observation, *Verification, error) {
	start, end := e.AppliedAt, e.VerifyAt
	res, err := tuner.Replay(ctx, r.opt.Querier, []tuner.Rule{newRule, oldRule}, tuner.ReplayConfig{
		Start: start, End: end, MaxPointsPerQuery: r.opt.MaxPointsPerQuery, Concurrency: r.opt.Concurrency, Rules: all,
	})
	if err != nil {
		return Observation{}, nil, err
	}
	for _, rr := range res.Rules {
		if rr.Err != nil {
			return Observation{}, nil, fmt.Errorf("cannot replay %s over %s: %w", rr.Rule.Alert, windowText(start, end), rr.Err)
		}
	}
	history := "replay"
	realised := res.Rules[0].Firings
	if r.p.Verify.History == "alerts" {
		history = "alerts"
		if realised, err = r.alerts(ctx, newRule, start, end); err != nil {
			return Observation{}, nil, err
		}
	}
	ref := func(rule tuner.Rule) pir.RuleRef {
		return pir.RuleRef{File: rule.File, Line: rule.Line, Group: rule.Group, Alert: rule.Alert, Labels: rule.Labels}
	}
	v := r.p.Verify
	q, err := pir.Quality([]pir.RuleFirings{
		{Rule: ref(newRule), Firings: realised},
		{Rule: ref(oldRule), Firings: res.Rules[1].Firings},
	}, r.opt.Incidents, pir.QualityConfig{Start: start, End: end, LeadWindow: time.Duration(v.LeadWindow), PageSeverities: v.PageSeverities})
	if err != nil {
		return Observation{}, nil, err
	}
	now, old := q.Rules[0], q.Rules[1]
	obs := Observation{Start: start, End: end, Pages: now.Pages, OldPages: old.Pages, Caught: now.Caught, OldCaught: old.Caught}
	for _, in := range q.Incidents {
		obs.Incidents = append(obs.Incidents, in.ID)
	}
	ver := &Verification{
		At: r.opt.Now.UTC().Truncate(time.Second), Start: start, End: end, History: history,
		Pages: now.Pages, PagesPerWeek: now.PagesPerWeek, Incidents: obs.Incidents, Caught: now.Caught,
		OldPages: old.Pages, OldPagesPerWeek: old.PagesPerWeek, OldCaught: old.Caught,
	}
	for _, id := range obs.Incidents {
		if !slices.Contains(now.Caught, id) {
			ver.Missed = append(ver.Missed, id)
		}
	}
	if r.opt.Prometheus != nil {
		rs, err := r.opt.Prometheus.Rules(ctx)
		if err != nil {
			return Observation{}, nil, err
		}
		if st, ok := find(rs, e.File, newRule.Group, newRule.Alert, newRule.Labels, r.p.Mode == ModeDirect); ok && st.matches(newRule) {
			obs.Health, obs.HealthError = st.Health, st.LastError
		} else {
			r.log.Warn("the server does not evaluate the rule as applied; its health is not verified", "server", r.opt.Prometheus.shownURL(), "alert", newRule.Alert)
		}
		ver.Health, ver.HealthError = obs.Health, obs.HealthError
	}
	return obs, ver, nil
}

// alerts reads the rule's firings over [start, end] from the server's
// ALERTS series.
func (r *runner) alerts(ctx context.Context, rule tuner.Rule, start, end time.Time) ([]pir.Firing, error) {
	step := rule.Interval
	if step <= 0 {
		step = tuner.DefaultInterval
	}
	matchers := []string{`alertstate="firing"`, fmt.Sprintf("alertname=%q", rule.Alert)}
	for _, k := range slices.Sorted(maps.Keys(rule.Labels)) {
		if v := rule.Labels[k]; !strings.Contains(v, "{{") {
			matchers = append(matchers, fmt.Sprintf("%s=%q", k, v))
		}
	}
	ss, err := r.opt.Querier.QueryRange(ctx, "ALERTS{"+strings.Join(matchers, ",")+"}", start, end, step)
	if err != nil {
		return nil, fmt.Errorf("cannot read the alert history: %w", err)
	}
	fs := pir.FiringsFromAlerts(ss, step, end)
	rfs, _ := pir.AssignFirings([]pir.RuleRef{{Alert: rule.Alert, Labels: rule.Labels}}, fs)
	return rfs[0].Firings, nil
}
