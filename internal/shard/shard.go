// Package shard merges the outputs of a sharded run (ACCEPTANCE_SHARD=i/N,
// docs/scaling-out.md) into the run one process would have measured: it
// adds the HDR histograms, counts and token totals of each load run,
// takes the union of the shards' time windows, and recomputes every check
// and verdict on the merged data with the same code a single process uses
// (load.Agg.LoadRun, load.GeneratorCheck). It never averages percentiles.
//
// It refuses shards of different runs, start times, targets or knobs, and
// names a missing or unfinished shard; the merged run is then incomplete
// and fails its "shards" check.
package shard

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/compare"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Part is one shard's output folder and its metrics.json.
type Part struct {
	Dir     string
	Metrics *sidecar.Metrics
}

// Index is the part's shard index.
func (p Part) Index() int { return p.Metrics.Run.Shard.Index }

// ErrNoMetrics is wrapped by Read when a folder has no metrics.json.
var ErrNoMetrics = errors.New("no metrics.json")

// Read reads dir/metrics.json and checks that it is a shard's.
func Read(dir string) (Part, error) {
	path := filepath.Join(dir, "metrics.json")
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Part{}, fmt.Errorf("%s: %w (the shard did not start, or crashed before its first checkpoint)", dir, ErrNoMetrics)
		}
		return Part{}, err
	}
	defer f.Close()
	m, err := compare.Decode(f)
	if err != nil {
		return Part{}, fmt.Errorf("%s: %w", dir, err)
	}
	if m.Run == nil || m.Run.Shard == nil {
		return Part{}, fmt.Errorf("%s: not a shard: its metrics.json has no run.shard (was ACCEPTANCE_SHARD or JOB_COMPLETION_INDEX set?)", dir)
	}
	return Part{Dir: dir, Metrics: m}, nil
}

// Expand turns the command line's arguments into shard folders: a folder
// holding metrics.json is a shard; a folder without one stands for its
// subfolders that hold one (the results volume's shards/ folder).
func Expand(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if _, err := os.Stat(filepath.Join(a, "metrics.json")); err == nil {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		found := false
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			sub := filepath.Join(a, e.Name())
			if _, err := os.Stat(filepath.Join(sub, "metrics.json")); err == nil {
				out, found = append(out, sub), true
			}
		}
		if !found {
			// Kept, so that Read names it as a missing shard's folder.
			out = append(out, a)
		}
	}
	return out, nil
}

// Check verifies that the parts are shards of one run: same run id, shard
// count, start time, target, knobs and suite, no shard twice. It returns
// the run's shard count and the indices that are missing. Any mismatch is
// an error of one line naming the two folders.
func Check(parts []Part) (count int, missing []int, err error) {
	if len(parts) == 0 {
		return 0, nil, errors.New("no shard given")
	}
	first := parts[0]
	r0 := first.Metrics.Run
	seen := map[int]string{}
	for _, p := range parts {
		r := p.Metrics.Run
		differ := func(what, a, b string) error {
			return fmt.Errorf("%s and %s are not shards of one run: different %s (%s vs %s); merge only the shards of one run", first.Dir, p.Dir, what, a, b)
		}
		switch {
		case r.ID != r0.ID:
			return 0, nil, differ("run ids", r0.ID, r.ID)
		case r.Shards != r0.Shards || r.Shard.Count != r0.Shard.Count:
			return 0, nil, differ("shard counts", fmt.Sprint(r0.Shards), fmt.Sprint(r.Shards))
		case !r.StartAt.Equal(r0.StartAt):
			return 0, nil, differ("ACCEPTANCE_START_AT", r0.StartAt.Format("2006-01-02T15:04:05Z07:00"), r.StartAt.Format("2006-01-02T15:04:05Z07:00"))
		case p.Metrics.Target.BaseURL != first.Metrics.Target.BaseURL || p.Metrics.Target.Model != first.Metrics.Target.Model:
			return 0, nil, differ("targets", first.Metrics.Target.BaseURL+" "+first.Metrics.Target.Model, p.Metrics.Target.BaseURL+" "+p.Metrics.Target.Model)
		case p.Metrics.Suite != first.Metrics.Suite:
			return 0, nil, differ("suite versions", first.Metrics.Suite, p.Metrics.Suite)
		}
		if k, a, b := knobDiff(first.Metrics.Knobs, p.Metrics.Knobs); k != "" {
			return 0, nil, differ("knobs: "+k, a, b)
		}
		if r.Shard.Index < 0 || r.Shard.Index >= r.Shard.Count {
			return 0, nil, fmt.Errorf("%s: shard %d/%d is out of range", p.Dir, r.Shard.Index, r.Shard.Count)
		}
		if d, dup := seen[r.Shard.Index]; dup {
			return 0, nil, fmt.Errorf("%s and %s are both shard %d/%d: give each shard once", d, p.Dir, r.Shard.Index, r.Shard.Count)
		}
		seen[r.Shard.Index] = p.Dir
	}
	count = r0.Shard.Count
	for i := range count {
		if _, ok := seen[i]; !ok {
			missing = append(missing, i)
		}
	}
	return count, missing, nil
}

// knobDiff names the first knob that differs, with both values.
func knobDiff(a, b sidecar.Knobs) (key, va, vb string) {
	ma, mb := flat(a), flat(b)
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range ma {
			if !yield(k) {
				return
			}
		}
		for k := range mb {
			if _, ok := ma[k]; !ok && !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		if ma[k] != mb[k] {
			return k, cmp.Or(ma[k], "(unset)"), cmp.Or(mb[k], "(unset)")
		}
	}
	return "", "", ""
}

func flat(k sidecar.Knobs) map[string]string {
	data, _ := json.Marshal(k)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	out := map[string]string{}
	for key, v := range m {
		if sub, ok := v.(map[string]any); ok {
			for sk, sv := range sub {
				out[key+"."+sk] = fmt.Sprint(sv)
			}
			continue
		}
		out[key] = fmt.Sprint(v)
	}
	return out
}

// sortParts orders parts by shard index.
func sortParts(parts []Part) {
	slices.SortFunc(parts, func(a, b Part) int { return a.Index() - b.Index() })
}

func indices(parts []Part) []int {
	var out []int
	for _, p := range parts {
		out = append(out, p.Index())
	}
	return out
}

func joinInts(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprint(x))
	}
	return strings.Join(s, ", ")
}

// Wait polls the shard folders (as Expand reads args) every poll until
// want shards (0: the count the shards themselves record) have written
// their final metrics.json, or until deadline. It returns what it saw
// last; Load then reads and checks the folders.
func Wait(args []string, want int, deadline time.Time, poll time.Duration, logf func(string, ...any)) {
	for {
		final, count := 0, want
		dirs, _ := Expand(args)
		for _, d := range dirs {
			p, err := Read(d)
			if err != nil {
				continue
			}
			if count == 0 {
				count = p.Metrics.Run.Shards
			}
			if p.Metrics.EndReason != "running" {
				final++
			}
		}
		if count > 0 && final >= count {
			return
		}
		if !time.Now().Before(deadline) {
			logf("waited until %s: %d of %d shards finished; merging what is there", deadline.Format(time.RFC3339), final, count)
			return
		}
		logf("%d of %d shards finished; waiting", final, max(count, final))
		time.Sleep(min(poll, time.Until(deadline)+time.Millisecond))
	}
}

// Load reads every shard folder in args (see Expand) and checks that they
// are shards of one run. A folder without metrics.json is a missing shard
// when the others say which index it should have been, and an error
// otherwise. want, when not 0, is the expected number of shards.
func Load(args []string, want int) (parts []Part, count int, missing []int, notes []string, err error) {
	dirs, err := Expand(args)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	for _, d := range dirs {
		p, err := Read(d)
		if errors.Is(err, ErrNoMetrics) {
			notes = append(notes, err.Error())
			continue
		}
		if err != nil {
			return nil, 0, nil, nil, err
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return nil, 0, nil, notes, fmt.Errorf("no shard's metrics.json found in %s", strings.Join(args, " "))
	}
	count, missing, err = Check(parts)
	if err != nil {
		return nil, 0, nil, notes, err
	}
	if want != 0 && want != count {
		return nil, 0, nil, notes, fmt.Errorf("--shards %d, but the shards say the run has %d", want, count)
	}
	return parts, count, missing, notes, nil
}
