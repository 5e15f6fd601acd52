package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/omenhq/omen/capacity"
	"github.com/omenhq/omen/fixtures"
	"github.com/omenhq/omen/internal/engine"
)

// demoReport predicts the demo fleet once for the tests of this file.
var demoReport = sync.OnceValues(func() (*engine.Report, error) {
	src, err := fixtures.DemoSource()
	if err != nil {
		return nil, err
	}
	disk, _ := engine.Preset("disk")
	memory, _ := engine.Preset("memory")
	specs := append(disk, memory...)
	return engine.Predict(context.Background(), src, engine.PredictOptions{Specs: specs, AsOf: fixtures.DemoEndTime()})
})

func demoShown(t *testing.T, v viewOptions) shown {
	t.Helper()
	rep, err := demoReport()
	require.NoError(t, err)
	if v.Sort == "" {
		v.Sort, v.MinRisk = "risk", "ok"
	}
	require.NoError(t, v.parse())
	cp := *rep
	cp.Results = append([]engine.Result(nil), rep.Results...)
	require.NoError(t, v.choose(&cp))
	return v.show(&cp)
}

func TestThePredictionTableFitsEveryTerminalWidth(t *testing.T) {
	v := demoShown(t, viewOptions{})
	for _, width := range []int{60, 80, 100, 120, 160, 200} {
		t.Run(strconv.Itoa(width)+" columns", func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, renderPredictions(&b, "table", display{Width: width}, v))
			out := b.String()
			for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
				require.LessOrEqual(t, text.StringWidthWithoutEscSequences(line), width, "line %d is wider than the terminal: %q", i+1, line)
			}
			// Every target has its row, its risk first, and its whole
			// reason, word for word, under it.
			flat := strings.Join(strings.Fields(out), " ")
			for _, r := range v.Results {
				require.Contains(t, flat, strings.Join(strings.Fields(r.Reason), " "))
			}
			require.Regexp(t, `(?m)^critical  `, out)
			require.Equal(t, len(v.Results), strings.Count(out, "\nok ")+strings.Count(out, "\nwarning ")+strings.Count(out, "\ncritical ")+strings.Count(out, "\ninfo "))
		})
	}
	t.Run("a terminal wide enough shows the whole table, one line a row", func(t *testing.T) {
		var b bytes.Buffer
		require.NoError(t, renderPredictions(&b, "table", display{Width: 1000}, v))
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		require.Contains(t, lines[1], "WHY")
		require.Len(t, lines, 2+len(v.Results)+1, "title, header, rows, skipped")
	})
	t.Run("--wide shows every column whatever the width", func(t *testing.T) {
		var b bytes.Buffer
		require.NoError(t, renderPredictions(&b, "table", display{Width: 80, Wide: true}, v))
		require.Contains(t, b.String(), "P10 – P90")
		require.NotContains(t, b.String(), "left out")
		require.Regexp(t, `RISK\s+TARGET\s+SERIES\s+PATTERN\s+USAGE\s+FULL IN \(P50\)\s+P10 – P90\s+WHY`, b.String())
	})
	t.Run("at 80 columns a line says which columns were left out", func(t *testing.T) {
		var b bytes.Buffer
		require.NoError(t, renderPredictions(&b, "table", display{Width: 80}, v))
		require.Contains(t, b.String(), "(P10 – P90, TARGET, PATTERN left out to fit; --wide shows all)")
		require.Regexp(t, `\ncritical  shop/checkout-\S*…\S*x7k2p/checkout  `, b.String(), "a long name is cut in the middle, keeping both ends")
	})
}

func TestTablesUseColourOnlyOnATerminalThatWantsIt(t *testing.T) {
	tty := func(env map[string]string) func(g *globalOptions) {
		return func(g *globalOptions) {
			g.getenv = func(k string) string { return env[k] }
			g.termOf = func(w io.Writer) terminal {
				if w == g.stdout {
					return terminal{TTY: true, Width: 100}
				}
				return terminal{}
			}
		}
	}
	for _, c := range []struct {
		name   string
		setup  func(*globalOptions)
		colour bool
	}{
		{"a terminal gets colour", tty(nil), true},
		{"NO_COLOR turns it off", tty(map[string]string{"NO_COLOR": "1"}), false},
		{"TERM=dumb turns it off", tty(map[string]string{"TERM": "dumb"}), false},
		{"a pipe never gets colour", func(g *globalOptions) {}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runWith(t, c.setup, "demo", "--min-risk", "warning")
			require.Equal(t, ExitOK, code, stderr)
			if c.colour {
				require.Contains(t, stdout, ansiRed+"critical"+ansiReset)
				require.Contains(t, stdout, ansiYellow+"warning"+ansiReset)
				return
			}
			require.NotContains(t, stdout, "\x1b[")
		})
	}
	t.Run("a terminal's width is used unless COLUMNS says otherwise", func(t *testing.T) {
		_, stdout, _ := runWith(t, tty(map[string]string{"NO_COLOR": "1"}), "demo")
		require.Contains(t, stdout, "left out to fit")
		for _, l := range strings.Split(stdout, "\n") {
			require.LessOrEqual(t, text.StringWidthWithoutEscSequences(l), 100, l)
		}
		_, stdout, _ = runWith(t, tty(map[string]string{"NO_COLOR": "1", "COLUMNS": "400"}), "demo")
		require.NotContains(t, stdout, "left out to fit")
	})
}

func TestYAMLIsTheJSONDocument(t *testing.T) {
	for _, args := range [][]string{
		{"demo"},
		{"demo", "--min-risk", "warning"},
		{"rules", "list", "--rules", ruleFixtures},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, js, stderr := run(t, nil, append(args, "--format", "json")...)
			require.Equal(t, ExitOK, code, stderr)
			code, ym, stderr := run(t, nil, append(args, "--format", "yaml")...)
			require.Equal(t, ExitOK, code, stderr)
			var fromJSON, fromYAML any
			require.NoError(t, json.Unmarshal([]byte(js), &fromJSON))
			require.NoError(t, yaml.Unmarshal([]byte(ym), &fromYAML), ym)
			// Through JSON again, so that YAML's ints and JSON's floats
			// compare equal.
			b, err := json.Marshal(fromYAML)
			require.NoError(t, err)
			var back any
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, fromJSON, back)
			require.Regexp(t, `^(results|rules|as_of):\s`, ym, "block style, not JSON's flow style")
		})
	}
}

func TestJSONToYAMLQuotesStringsThatWouldReadAsSomethingElse(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, jsonToYAML(&b, []byte(`{"a":"true","b":"1.5","c":"2026-11-01T00:00:00Z","d":null,"e":"","f":"x: y","g":1e21,"h":[]}`)))
	var got map[string]any
	require.NoError(t, yaml.Unmarshal(b.Bytes(), &got))
	require.Equal(t, "true", got["a"])
	require.Equal(t, "1.5", got["b"])
	require.Equal(t, "2026-11-01T00:00:00Z", got["c"])
	require.Nil(t, got["d"])
	require.Equal(t, "", got["e"])
	require.Equal(t, "x: y", got["f"])
	require.InEpsilon(t, 1e21, got["g"], 1e-9)
	require.Equal(t, []any{}, got["h"])
}

func TestPredictionFiltersAndOrders(t *testing.T) {
	type row struct {
		Risk, Target string
		Labels       map[string]string
		ETA          *struct{ P50 *float64 } `json:"eta_seconds"`
	}
	results := func(t *testing.T, args ...string) []row {
		t.Helper()
		code, stdout, stderr := run(t, nil, append([]string{"demo", "--format", "json"}, args...)...)
		require.Equal(t, ExitOK, code, stderr)
		var out struct{ Results []row }
		require.NoError(t, json.Unmarshal([]byte(stdout), &out))
		return out.Results
	}
	all := results(t)
	t.Run("--min-risk warning keeps warnings and criticals", func(t *testing.T) {
		rs := results(t, "--min-risk", "warning")
		require.Len(t, rs, 5)
		for _, r := range rs {
			require.Contains(t, []string{"warning", "critical"}, r.Risk)
		}
	})
	t.Run("--target memory keeps the containers", func(t *testing.T) {
		rs := results(t, "--target", "memory")
		require.NotEmpty(t, rs)
		require.Less(t, len(rs), len(all))
		for _, r := range rs {
			require.Equal(t, "memory", r.Target)
		}
	})
	t.Run("--match keeps the series whose labels match", func(t *testing.T) {
		rs := results(t, "--match", "namespace=shop")
		require.Len(t, rs, 5)
		for _, r := range rs {
			require.Equal(t, "shop", r.Labels["namespace"])
		}
		rs = results(t, "--match", `namespace=~"shop|payments",container!="istio-proxy"`)
		for _, r := range rs {
			require.Contains(t, []string{"shop", "payments"}, r.Labels["namespace"])
			require.NotEqual(t, "istio-proxy", r.Labels["container"])
		}
		require.Len(t, rs, 6)
	})
	t.Run("--sort eta puts the soonest first and the targets without an ETA last", func(t *testing.T) {
		rs := results(t, "--sort", "eta")
		last := -1.0
		seenNone := false
		for _, r := range rs {
			if r.ETA == nil || r.ETA.P50 == nil {
				seenNone = true
				continue
			}
			require.False(t, seenNone, "an ETA after a target without one")
			require.GreaterOrEqual(t, *r.ETA.P50, last)
			last = *r.ETA.P50
		}
	})
	t.Run("--sort usage puts the fullest first", func(t *testing.T) {
		code, stdout, _ := run(t, nil, "demo", "--sort", "usage", "--format", "csv")
		require.Equal(t, ExitOK, code)
		lines := strings.Split(stdout, "\n")
		require.Contains(t, lines[1], "/data", "worker-1 /data is 97% full")
	})
	for _, c := range []struct{ name, flag, value, err string }{
		{"an unknown --sort", "--sort", "size", `invalid --sort "size"`},
		{"an unknown --min-risk", "--min-risk", "high", `invalid --min-risk "high"`},
		{"a --target the run does not predict", "--target", "inodes", `invalid --target "inodes": this run predicts disk, pvc, memory`},
		{"a malformed --match", "--match", "namespace", `invalid --match "namespace"`},
		{"a bad regular expression", "--match", "pod=~(", "bad regular expression for pod"},
	} {
		t.Run(c.name+" is a usage error", func(t *testing.T) {
			code, _, stderr := run(t, nil, "demo", c.flag, c.value)
			require.Equal(t, ExitUsage, code, stderr)
			require.Contains(t, stderr, c.err)
		})
	}
	t.Run("a --match no target satisfies is an error, not an empty report", func(t *testing.T) {
		code, _, stderr := run(t, nil, "demo", "--match", "namespace=shp")
		require.Equal(t, ExitFailure, code)
		require.Contains(t, stderr, "no target matches --match namespace=shp: none of the 21 targets predicted has such labels")
	})
}

func TestParseMatchers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []labelMatcher
		err  string
	}{
		{in: "namespace=shop", want: []labelMatcher{{name: "namespace", op: "=", value: "shop"}}},
		{in: `{namespace="shop", pod!="a,b"}`, want: []labelMatcher{{name: "namespace", op: "=", value: "shop"}, {name: "pod", op: "!=", value: "a,b"}}},
		{in: "namespace=", want: []labelMatcher{{name: "namespace", op: "=", value: ""}}},
		{in: "pod=~checkout-.*", want: []labelMatcher{{name: "pod", op: "=~", value: "checkout-.*"}}},
		{in: "=shop", err: "want NAME=VALUE"},
		{in: `pod="open`, err: "unterminated"},
		{in: `a="x" b="y"`, err: "want a comma"},
		{in: "", err: "no matcher"},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := parseMatchers(c.in)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, len(c.want))
			for i := range got {
				require.Equal(t, c.want[i].name, got[i].name)
				require.Equal(t, c.want[i].op, got[i].op)
				require.Equal(t, c.want[i].value, got[i].value)
			}
		})
	}
	t.Run("regular expressions are anchored, as in PromQL", func(t *testing.T) {
		ms, err := parseMatchers("pod=~check")
		require.NoError(t, err)
		require.False(t, ms[0].matches("checkout"))
		require.True(t, ms[0].matches("check"))
	})
}

func FuzzParseMatchers(f *testing.F) {
	for _, s := range []string{"namespace=shop", `{a="x",b!~"y|z"}`, `pod=~"(a`, "a=b,", ",", `a='x'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := parseMatchers(s)
		if err != nil {
			return
		}
		require.NotEmpty(t, ms)
		for _, m := range ms {
			require.NotEmpty(t, m.name)
			m.matches("x") // never panics
		}
	})
}

func TestWrapWordsKeepsNumbersWithTheirUnits(t *testing.T) {
	lines := wrapWords("grows 196 MiB/day since the restart, 132 MiB left (87%)", 12)
	for _, l := range lines {
		require.LessOrEqual(t, len([]rune(l)), 14)
		require.False(t, strings.HasPrefix(l, "MiB"), "a unit starts a line: %q", lines)
	}
	require.Equal(t, "grows 196 MiB/day since the restart, 132 MiB left (87%)", strings.Join(lines, " "))
	require.Equal(t, []string{"abcde", "fghij", "k"}, wrapWords("abcdefghijk", 5), "a word longer than a line is cut")
}

func TestCutMiddleKeepsBothEnds(t *testing.T) {
	require.Equal(t, "shop/chec…checkout", cutMiddle("shop/checkout-6d5f8b7c9-x7k2p/checkout", 18))
	require.Equal(t, "short", cutMiddle("short", 18))
	require.Equal(t, 10, text.StringWidthWithoutEscSequences(cutMiddle("ünïcödé-ünïcödé", 10)))
}

func TestStatusLineOnlyOnATerminal(t *testing.T) {
	tty := func(stdout bool) func(g *globalOptions) {
		return func(g *globalOptions) {
			g.termOf = func(w io.Writer) terminal {
				if w == g.stderr || (stdout && w == g.stdout) {
					return terminal{TTY: true, Width: 100}
				}
				return terminal{}
			}
		}
	}
	t.Run("on a terminal the line is drawn and cleared", func(t *testing.T) {
		code, _, stderr := runWith(t, tty(true), "demo")
		require.Equal(t, ExitOK, code, stderr)
		require.Contains(t, stderr, "\r\x1b[Kpredicting · ")
		require.Contains(t, stderr, "targets")
		require.True(t, strings.HasSuffix(stderr, "\r\x1b[K"), "the line is cleared at the end: %q", stderr)
		require.NotContains(t, stderr, "msg=predicted", "the summary goes to the debug log")
	})
	t.Run("JSON piped away gets no line, even with stderr on a terminal", func(t *testing.T) {
		code, _, stderr := runWith(t, tty(false), "demo", "--format", "json")
		require.Equal(t, ExitOK, code, stderr)
		require.NotContains(t, stderr, "\x1b[K")
	})
	t.Run("a CronJob's log gets the one-line summary instead", func(t *testing.T) {
		code, _, stderr := run(t, nil, "demo", "--format", "json")
		require.Equal(t, ExitOK, code, stderr)
		require.NotContains(t, stderr, "\x1b")
		require.Regexp(t, `level=INFO msg=predicted targets=21 critical=1 warning=4 info=0 skipped=1 took=`, stderr)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %s", stderr)
	})
}

func TestProgressCounterIsSafeFromManyGoroutines(t *testing.T) {
	var errb bytes.Buffer
	g := &globalOptions{stderr: &syncWriter{w: &errb}, stdout: io.Discard, termOf: func(io.Writer) terminal { return terminal{TTY: true, Width: 40} }}
	p := g.startProgress("working")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				g.requests(i*100+j, 800)
				p.Counter("items")(j, 100)
			}
		})
	}
	wg.Wait()
	p.Finish("")
	for _, l := range strings.Split(errb.String(), "\r\x1b[K") {
		require.LessOrEqual(t, len([]rune(l)), 39, "the line never wraps: %q", l)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func TestFailOnSaysHowManyTargetsInGoodEnglish(t *testing.T) {
	rep := &engine.Report{Results: []engine.Result{{Prediction: capacity.Prediction{Risk: capacity.RiskCritical}}}}
	err := failIfRisky(rep, capacity.RiskCritical)
	require.EqualError(t, err, "1 target at or above critical")
	require.Equal(t, "2 targets", plural(2, "target"))
	require.Equal(t, "1 series", plural(1, "series"))
	require.Equal(t, "3 series", plural(3, "series"))
}

func TestForecastTableShowsUnitsNotRawFloats(t *testing.T) {
	fleet := filepath.Join(t.TempDir(), "fleet.csv")
	code, _, stderr := run(t, nil, "demo", "--fleet", "--format", "csv", "--output", fleet)
	require.Equal(t, ExitOK, code, stderr)
	code, stdout, stderr := run(t, nil, "forecast", "--input", fleet, "--query", `node_filesystem_avail_bytes{mountpoint="/var/lib/kafka"}`, "--horizon", "1d")
	require.Equal(t, ExitOK, code, stderr)
	require.NotRegexp(t, `[0-9]e[+-][0-9]`, stdout)
	require.Regexp(t, `[0-9.]+ GiB\s+[0-9.]+ GiB\s+[0-9.]+ GiB\s+[0-9.]+ GiB`, stdout, "last, at horizon, lower and upper in GiB")
}

func TestPercentagesNeverUseAnExponent(t *testing.T) {
	require.Equal(t, "87%", pct(0.87))
	require.Equal(t, "123450%", pct(1234.5))
	require.Equal(t, "1.23M%", pct(12345))
}
