// Package shard merges the outputs of a sharded run (ACCEPTANCE_SHARD=i/N,
// docs/scaling-out.md) into the run one process would have measured: it
// adds the HDR histograms, counts and token totals of each load run,
// takes the union of the shards' time windows, and recomputes every check
// and verdict on the merged data with the same code a single process uses
// (load.Agg.ConcurrencyRun, load.GeneratorCheck). It never averages percentiles.
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

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Part is one shard's output folder and its metrics.json, or the main part's:
// the unsharded process of the same run (ACCEPTANCE_RUN_ID, no shard)
// that ran tool calling, stability and the conversation (the main Job
// beside the shards on Kubernetes).
type Part struct {
	Dir     string
	Metrics *sidecar.Metrics
}

// Main reports whether the part is the run's main part: the unsharded
// process that ran tool calling, stability and the conversation.
func (p Part) Main() bool { return p.Metrics.Run.Shard == nil }

// Index is the part's shard index, -1 for the main part.
func (p Part) Index() int {
	if p.Main() {
		return -1
	}
	return p.Metrics.Run.Shard.Index
}

// Set is what merge reads: the shards of one run, and its main part if given.
type Set struct {
	Shards []Part
	Main   *Part
	// Count is the run's number of shards; Missing the indices absent.
	Count   int
	Missing []int
	// Notes name the folders that held no metrics.json.
	Notes []string
}

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
	m, err := sidecar.Decode(f)
	if err != nil {
		return Part{}, fmt.Errorf("%s: %w", dir, err)
	}
	if (m.Run == nil || m.Run.ID == "") && m.EndReason == sidecar.EndPreflight && m.EndDetail != "" {
		return Part{}, fmt.Errorf("%s: this part did not run: %s", dir, m.EndDetail)
	}
	if m.Run == nil || m.Run.ID == "" {
		return Part{}, fmt.Errorf("%s: not part of a sharded run: its metrics.json has no run id (was ACCEPTANCE_SHARD, JOB_COMPLETION_INDEX or, for the main part, ACCEPTANCE_RUN_ID set?)", dir)
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

// sameRun is the one-line refusal when b is not of a's run, or nil.
func sameRun(a, b Part) error {
	differ := func(what, x, y string) error {
		return fmt.Errorf("%s and %s are not parts of one run: different %s (%s vs %s); merge only the shards of one run", a.Dir, b.Dir, what, x, y)
	}
	ra, rb := a.Metrics.Run, b.Metrics.Run
	switch {
	case ra.ID != rb.ID:
		return differ("run ids", ra.ID, rb.ID)
	case a.Metrics.Target.BaseURL != b.Metrics.Target.BaseURL || a.Metrics.Target.Model != b.Metrics.Target.Model:
		return differ("targets", a.Metrics.Target.BaseURL+" "+a.Metrics.Target.Model, b.Metrics.Target.BaseURL+" "+b.Metrics.Target.Model)
	case a.Metrics.Suite != b.Metrics.Suite:
		return differ("suite versions", a.Metrics.Suite, b.Metrics.Suite)
	}
	if k, x, y := knobDiff(a.Metrics.Knobs, b.Metrics.Knobs); k != "" {
		return differ("knobs: "+k, x, y)
	}
	return nil
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
		if err := sameRun(first, p); err != nil {
			return 0, nil, err
		}
		switch {
		case r.Shards != r0.Shards || r.Shard.Count != r0.Shard.Count:
			return 0, nil, fmt.Errorf("%s and %s are not shards of one run: different shard counts (%d vs %d)", first.Dir, p.Dir, r0.Shards, r.Shards)
		case !r.StartAt.Equal(r0.StartAt):
			return 0, nil, fmt.Errorf("%s and %s are not shards of one run: different ACCEPTANCE_START_AT (%s vs %s): their loads did not overlap",
				first.Dir, p.Dir, r0.StartAt.Format(time.RFC3339), r.StartAt.Format(time.RFC3339))
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

// Wait polls the folders in args every poll until every one exists, every
// part in them has written its final metrics.json (not a checkpoint), and
// want shards (0: the count the shards record) are there; or until
// deadline. Load then reads and checks what is there.
func Wait(args []string, want int, deadline time.Time, poll time.Duration, logf func(string, ...any)) {
	for {
		final, shards, parts, count := 0, 0, 0, want
		present := true
		var dirs []string
		for _, a := range args {
			ds, err := Expand([]string{a}) // one at a time: a folder not there yet hides no other
			if err != nil {
				present = false
			}
			dirs = append(dirs, ds...)
		}
		for _, d := range dirs {
			p, err := Read(d)
			if err != nil {
				continue
			}
			parts++
			if !p.Main() {
				shards++
				if count == 0 {
					count = p.Metrics.Run.Shards
				}
			}
			if p.Metrics.EndReason != "running" {
				final++
			}
		}
		if present && count > 0 && shards >= count && final == parts {
			return
		}
		if !time.Now().Before(deadline) {
			logf("waited until %s: %d of %d parts finished; merging what is there", deadline.Format(time.RFC3339), final, max(parts, count))
			return
		}
		logf("%d of %d parts finished; waiting", final, max(parts, count))
		time.Sleep(min(poll, time.Until(deadline)+time.Millisecond))
	}
}

// Load reads every folder in args (see Expand): the shards of one run,
// and at most one main part of the same run. A folder without metrics.json is
// a note (the shard it should have held is then missing); want, when not
// 0, is the expected number of shards.
func Load(args []string, want int) (*Set, error) {
	dirs, err := Expand(args)
	if err != nil {
		return nil, err
	}
	set := &Set{}
	for _, d := range dirs {
		p, err := Read(d)
		if errors.Is(err, ErrNoMetrics) {
			set.Notes = append(set.Notes, err.Error())
			continue
		}
		if err != nil {
			return nil, err
		}
		if !p.Main() {
			set.Shards = append(set.Shards, p)
			continue
		}
		if set.Main != nil {
			return nil, fmt.Errorf("%s and %s are both unsharded parts of run %s: give one main folder", set.Main.Dir, p.Dir, p.Metrics.Run.ID)
		}
		set.Main = &p
	}
	if len(set.Shards) == 0 {
		why := ""
		if len(set.Notes) > 0 {
			why = ": " + set.Notes[0]
		}
		return nil, fmt.Errorf("no shard's metrics.json found in %s%s", strings.Join(args, " "), why)
	}
	set.Count, set.Missing, err = Check(set.Shards)
	if err != nil {
		return nil, err
	}
	if set.Main != nil {
		if err := sameRun(set.Shards[0], *set.Main); err != nil {
			return nil, err
		}
	}
	if want != 0 && want != set.Count {
		return nil, fmt.Errorf("--shards %d, but the shards say the run has %d", want, set.Count)
	}
	sortParts(set.Shards)
	return set, nil
}
