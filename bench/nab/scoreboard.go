package nab

import (
	"encoding/csv"
	"fmt"
	"os"
	"sort"
	"strconv"
)

// ReadScoreboard reads a published scoreboard in the layout of
// results/derived_scores_shared51_files.csv — detector, standard,
// reward_low_FP_rate, reward_low_FN_rate — and returns its rows (those four
// fields), best standard score first.
func ReadScoreboard(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		return nil, fmt.Errorf("cannot read the scoreboard %s: %w", path, err)
	}
	rows = rows[1:]
	sort.SliceStable(rows, func(i, j int) bool {
		a, _ := strconv.ParseFloat(rows[i][1], 64)
		b, _ := strconv.ParseFloat(rows[j][1], 64)
		return a > b
	})
	for i := range rows {
		if len(rows[i]) > 4 {
			rows[i] = rows[i][:4]
		}
	}
	return rows, nil
}
