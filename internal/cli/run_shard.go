package cli

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/omenhq/omen/internal/engine"
)

// shardFlag adds --shard to a command's flags.
func shardFlag(f *pflag.FlagSet, v *string) {
	f.StringVar(v, "shard", "", "predict only shard `I/N` of the targets (a stable hash partition; default: $"+
		engine.EnvShardIndex+"/$"+engine.EnvShardCount+" of a Kubernetes Indexed Job, else the whole fleet)")
}

// shard resolves the shard of this process: the --shard flag, else the
// job file's shard:, else the Indexed Job's environment
// (JOB_COMPLETION_INDEX and JOB_COMPLETIONS), else the whole fleet.
func (g *globalOptions) shard(flag, file string) (engine.Shard, error) {
	for _, v := range []struct{ name, value string }{{"--shard", flag}, {"shard", file}} {
		if v.value == "" {
			continue
		}
		s, err := engine.ParseShard(v.value)
		if err != nil {
			return s, usagef("invalid %s: %v", v.name, err)
		}
		return s, nil
	}
	s, _, err := engine.ShardFromEnv(g.getenv)
	if errors.Is(err, engine.ErrShard) {
		return s, usageError{err}
	}
	return s, err
}
