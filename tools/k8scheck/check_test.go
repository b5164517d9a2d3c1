package k8scheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// root is deploy/kubernetes, two folders up from this module.
var root = filepath.Join("..", "..", "deploy", "kubernetes")

func TestManifestsBuildAndHoldTheInvariants(t *testing.T) {
	type testCase struct {
		dir    string
		shards int
		reason string
	}
	run := func(t *testing.T, tc testCase) {
		b, err := Load(filesys.MakeFsOnDisk(), filepath.Join(root, tc.dir))
		require.NoError(t, err, tc.reason)
		sum, errs := b.Check()
		require.Empty(t, errs, tc.reason)
		assert.Equal(t, tc.shards, sum.Shards, tc.reason)
		assert.False(t, sum.StartAt.IsZero(), "the run ConfigMap carries the common start time")
		assert.NotEmpty(t, sum.RunID)
		assert.Len(t, b.Jobs, 3, "main, shards, merge")
	}
	for _, tc := range []testCase{
		{"base", 1, "the base alone is a valid one-shard run"},
		{"overlays/n4", 4, "the overlay for N = 4"},
		{"overlays/ci", 2, "make k8s-e2e's overlay: 2 shards and the simulator on a 2-core node"},
	} {
		t.Run(tc.dir, func(t *testing.T) { run(t, tc) })
	}
}

// copyTree loads deploy/kubernetes into an in-memory file system, so each
// broken variant below edits a copy.
func copyTree(t *testing.T) filesys.FileSystem {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		return mem.WriteFile(filepath.Join("/k", rel), data)
	})
	require.NoError(t, err)
	return mem
}

func edit(t *testing.T, fs filesys.FileSystem, file, old, new string) {
	t.Helper()
	p := filepath.Join("/k", file)
	data, err := fs.ReadFile(p)
	require.NoError(t, err)
	require.Contains(t, string(data), old, "the test's edit must apply to %s", file)
	require.NoError(t, fs.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1))))
}

func TestBrokenManifestsAreCaught(t *testing.T) {
	type testCase struct {
		name      string
		file      string
		old, new  string
		loadError string // the strict decode or the build fails
		checkErr  string // an invariant fails
		reason    string
	}
	run := func(t *testing.T, tc testCase) {
		fs := copyTree(t)
		edit(t, fs, tc.file, tc.old, tc.new)
		b, err := Load(fs, "/k/overlays/n4")
		if tc.loadError != "" {
			require.Error(t, err, tc.reason)
			assert.Contains(t, err.Error(), tc.loadError, tc.reason)
			return
		}
		require.NoError(t, err, tc.reason)
		_, errs := b.Check()
		require.NotEmpty(t, errs, tc.reason)
		var all []string
		for _, e := range errs {
			all = append(all, e.Error())
		}
		assert.Contains(t, strings.Join(all, "\n"), tc.checkErr, tc.reason)
	}
	for _, tc := range []testCase{
		{name: "unknown field", file: "base/shards-job.yaml", old: "  backoffLimit: 0", new: "  backofLimit: 0",
			loadError: `unknown field "spec.backofLimit"`, reason: "a misspelt field would be silently dropped by the API server's lenient decoding"},
		{name: "completions differ", file: "overlays/n4/kustomization.yaml", old: "path: /spec/parallelism\n        value: 4", new: "path: /spec/parallelism\n        value: 2",
			checkErr: "completions (4) and parallelism (2) must be equal", reason: "shards that do not all run at once do not overlap"},
		{name: "not indexed", file: "base/shards-job.yaml", old: "  completionMode: Indexed\n", new: "",
			checkErr: "completionMode must be Indexed", reason: "without an index every pod would be shard 0"},
		{name: "key as a value", file: "base/main-job.yaml", old: "            - name: VLLM_API_KEY\n              valueFrom:\n                secretKeyRef:\n                  name: vllm-acceptance-api-key\n                  key: api-key",
			new: "            - name: VLLM_API_KEY\n              value: sk-pasted", checkErr: "VLLM_API_KEY must come from a Secret", reason: "the key must never be in a manifest"},
		{name: "key in the knobs", file: "base/knobs.env", old: "VLLM_MODEL=", new: "VLLM_API_KEY=sk-pasted\nVLLM_MODEL=",
			checkErr: "ConfigMap vllm-acceptance-knobs-", reason: "nor in a ConfigMap"},
		{name: "no requests", file: "base/merge-job.yaml", old: "            requests:\n              cpu: 250m\n              memory: 256Mi\n", new: "",
			checkErr: "resource requests for cpu and memory must be set", reason: "unrequested pods get evicted first and starve the generator"},
		{name: "per-pod start", file: "base/shards-job.yaml", old: "            - name: ACCEPTANCE_START_AT\n              valueFrom:\n                configMapKeyRef:\n                  name: vllm-acceptance-run\n                  key: ACCEPTANCE_START_AT",
			new:      "            - name: ACCEPTANCE_START_AT\n              valueFrom:\n                fieldRef:\n                  fieldPath: metadata.creationTimestamp",
			checkErr: "must come from the vllm-acceptance-run ConfigMap", reason: "each pod's own creation time is a different start per shard"},
		{name: "start not a time", file: "overlays/n4/run.env", old: "ACCEPTANCE_START_AT=2026-11-30T12:00:00Z", new: "ACCEPTANCE_START_AT=noon",
			checkErr: "is not an RFC 3339 time", reason: "the shards would refuse to start"},
		{name: "shard count differs", file: "overlays/n4/kustomization.yaml", old: "path: /spec/template/spec/containers/0/env/0/value\n        value: \"4\"\n  - target",
			new: "path: /spec/template/spec/containers/0/env/0/value\n        value: \"3\"\n  - target", checkErr: "ACCEPTANCE_SHARDS=\"3\" must equal completions (4)", reason: "shard 3 of 3 does not exist"},
		{name: "merge without waiting", file: "base/merge-job.yaml", old: `"merge", "--wait", "90m", `, new: `"merge", `,
			checkErr: "must run `vllm-acceptance merge --wait", reason: "a merge that starts with the shards merges nothing"},
		{name: "main during the load", file: "base/main-job.yaml", old: `"--wait-only", `, new: ``,
			checkErr: "no init container waits for the shards", reason: "the main part and the load would disturb each other"},
		{name: "main waits for another N", file: "overlays/n4/kustomization.yaml", old: "path: /spec/template/spec/initContainers/0/env/0/value\n        value: \"4\"",
			new: "path: /spec/template/spec/initContainers/0/env/0/value\n        value: \"2\"", checkErr: "waits for ACCEPTANCE_SHARDS=\"2\" shards", reason: "it would start after half the shards"},
		{name: "barrier on the pod's own disk", file: "base/shards-job.yaml", old: "              value: /results/barrier", new: "              value: /tmp/barrier",
			checkErr: "ACCEPTANCE_SHARD_BARRIER=\"/tmp/barrier\" is not on the results claim", reason: "no shard would see the others, and each would wait out the barrier's timeout"},
		{name: "a Secret in the manifests", file: "base/kustomization.yaml", old: "configMapGenerator:", new: "secretGenerator:\n  - name: vllm-acceptance-api-key\n    literals:\n      - api-key=sk-pasted\nconfigMapGenerator:",
			loadError: "a Secret in the manifests", reason: "a generated Secret puts the key in the repository"},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}
