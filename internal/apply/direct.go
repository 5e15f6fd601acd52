package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/omenhq/omen/tuner"
)

// direct applies changes by writing the rule files Prometheus reads and
// reloading it.
type direct struct {
	root       string
	ledgerPath string
	prom       *Prometheus
	timeout    time.Duration
	now        time.Time
	dryRun     bool
	log        *slog.Logger
	unlock     func() error
}

func newDirect(p *Policy, opt Options) (*direct, error) {
	fi, err := os.Stat(p.RulesDir)
	if err != nil {
		return nil, fmt.Errorf("rules_dir: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("rules_dir: %s is not a directory", p.RulesDir)
	}
	d := &direct{root: p.RulesDir, ledgerPath: filepath.FromSlash(p.ledgerPath()), prom: opt.Prometheus,
		timeout: time.Duration(p.HealthTimeout), now: opt.Now, dryRun: opt.DryRun, log: opt.Logger}
	if !opt.DryRun {
		if err := os.MkdirAll(filepath.Dir(d.ledgerPath), 0o755); err != nil {
			return nil, fmt.Errorf("cannot make the ledger's directory: %w", err)
		}
		// One omen at a time changes these rules: a second run waits for
		// none, it fails.
		if d.unlock, err = lockFile(d.ledgerPath + ".lock"); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *direct) where() string { return d.ledgerPath }

func (d *direct) close() error {
	if d.unlock != nil {
		return d.unlock()
	}
	return nil
}

func (d *direct) ledger(context.Context) (*Ledger, error) { return ReadLedger(d.ledgerPath) }

func (d *direct) path(file string) (string, error) {
	if err := checkFile(file); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(file)), nil
}

func (d *direct) read(_ context.Context, file string) ([]byte, error) {
	full, err := d.path(file)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(full)
	if err != nil {
		return nil, fmt.Errorf("cannot read the rule file: %w", err)
	}
	return b, nil
}

func (d *direct) save(_ context.Context, l *Ledger, _ string) error {
	if d.dryRun {
		return nil
	}
	return WriteLedger(d.ledgerPath, l)
}

// backup is where the file's bytes before e's change are kept until the
// change is settled: beside the ledger, named so that no rule_files glob
// of *.yml or *.yaml reads it.
func (d *direct) backup(e *Entry) string {
	return filepath.Join(filepath.Dir(d.ledgerPath), "backups", e.ID+".orig")
}

func (d *direct) before(_ context.Context, e *Entry) ([]byte, error) {
	b, err := os.ReadFile(d.backup(e))
	if err != nil {
		return nil, fmt.Errorf("the file as it was before the change: %w", err)
	}
	return b, nil
}

func (d *direct) forget(e *Entry) {
	if e != nil {
		_ = os.Remove(d.backup(e))
	}
}

// apply keeps old, writes content, reloads, waits for the rule to be
// loaded and evaluated, and records the entry; a refusal on the way
// restores old.
func (d *direct) apply(ctx context.Context, file string, old, content []byte, l *Ledger, e *Entry, rule tuner.Rule) (string, error) {
	full, err := d.path(file)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(d.backup(e)), 0o755); err != nil {
		return "", fmt.Errorf("cannot keep the file's bytes for a rollback: %w", err)
	}
	if err := writeAtomic(d.backup(e), old, 0o600); err != nil {
		return "", fmt.Errorf("cannot keep the file's bytes for a rollback: %w", err)
	}
	e.ContentSHA256 = sha256Hex(content)
	if err := writeAtomic(full, content, 0o644); err != nil {
		d.forget(e)
		return "", err
	}
	st, reasons := d.reloadAndCheck(ctx, file, rule)
	if reasons == nil && st.Health == "err" {
		reasons = []string{fmt.Sprintf("the rule's health is err after the reload: %s", st.LastError)}
	}
	if reasons != nil {
		undo := d.restore(ctx, full, old)
		reasons = append(reasons, undo...)
		e.set(StateRolledBack, d.now, "rolled back at once: "+strings.Join(reasons, "; "), "")
		d.forget(e)
		if werr := WriteLedger(d.ledgerPath, l); werr != nil {
			return "", fmt.Errorf("%s, and the ledger could not record it: %w", strings.Join(reasons, "; "), werr)
		}
		return "", &rejected{reasons: reasons}
	}
	if err := WriteLedger(d.ledgerPath, l); err != nil {
		undo := d.restore(ctx, full, old)
		d.forget(e)
		return "", fmt.Errorf("the ledger cannot be written, so the change is undone%s: %w", strings.Join(append([]string{""}, undo...), "; "), err)
	}
	return "", nil
}

// reloadAndCheck reloads the server and waits for it to load and
// evaluate rule. It returns the rule's status, or the reasons the file
// does not stand: the reload rejected, the rule not loaded as written or
// not evaluated in time, the server not answering.
func (d *direct) reloadAndCheck(ctx context.Context, file string, rule tuner.Rule) (RuleStatus, []string) {
	if err := d.prom.Reload(ctx); err != nil {
		return RuleStatus{}, []string{err.Error()}
	}
	st, err := d.prom.await(ctx, file, rule, d.timeout)
	var le *loadError
	switch {
	case errors.As(err, &le):
		return st, []string{le.msg}
	case err != nil:
		return st, []string{fmt.Sprintf("cannot ask %s whether the rule loaded: %v", d.prom.shownURL(), err)}
	}
	d.log.Info("reloaded", "server", d.prom.shownURL(), "alert", rule.Alert, "health", st.Health)
	return st, nil
}

// restore puts old back and reloads; it returns what went wrong doing so,
// as reasons to record.
func (d *direct) restore(ctx context.Context, full string, old []byte) []string {
	// A context that ended must not stop the undo.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := writeAtomic(full, old, 0o644); err != nil {
		return []string{fmt.Sprintf("and the original bytes could not be written back: %v", err)}
	}
	if err := d.prom.Reload(ctx); err != nil {
		return []string{fmt.Sprintf("the original bytes are back, but the reload after restoring failed too (%v): Prometheus keeps the rules it had loaded before", err)}
	}
	return []string{"the original bytes are back and Prometheus reloaded them"}
}

// rollback writes the file back, reloads and records the ledger: the
// bytes from before the change when the file is still as omen wrote it,
// else the change undone by the editor (someone changed other lines
// since). When the server refuses the restored file, cur goes back and
// the error says why.
func (d *direct) rollback(ctx context.Context, file string, cur, before []byte, l *Ledger, e *Entry, rule tuner.Rule, _ []string) (string, error) {
	full, err := d.path(file)
	if err != nil {
		return "", err
	}
	restored := before
	if e.ContentSHA256 == "" || sha256Hex(cur) != e.ContentSHA256 {
		if restored, err = e.reverseEdit(cur); err != nil {
			return "", fmt.Errorf("%s changed since omen wrote it, and the change cannot be undone on top: %w", file, err)
		}
	}
	if err := writeAtomic(full, restored, 0o644); err != nil {
		return "", err
	}
	st, reasons := d.reloadAndCheck(ctx, file, rule)
	if reasons != nil {
		undo := d.restore(ctx, full, cur)
		return "", fmt.Errorf("the rollback was refused (%s), so the change stays: %s", strings.Join(reasons, "; "), strings.Join(undo, "; "))
	}
	if st.Health == "err" {
		// The rule as it was is back; that it fails now is for a person,
		// not a reason to put the failed change back.
		d.log.Warn("the rolled-back rule's health is err", "alert", rule.Alert, "error", st.LastError)
		e.Reason += fmt.Sprintf("; after the rollback the rule's health is err: %s", st.LastError)
		e.History[len(e.History)-1].Reason = e.Reason
	}
	if err := WriteLedger(d.ledgerPath, l); err != nil {
		return "", fmt.Errorf("the rule is rolled back and reloaded, but the ledger could not record it: %w", err)
	}
	return "", nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
