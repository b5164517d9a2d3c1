package k8scheck

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Names the manifests use, and that the invariants look for.
const (
	ShardsJob    = "vllm-acceptance-shards"
	MainJob      = "vllm-acceptance-main"
	MergeJob     = "vllm-acceptance-merge"
	RunConfigMap = "vllm-acceptance-run"
	APIKeyEnv    = "VLLM_API_KEY"
	StartAtEnv   = "ACCEPTANCE_START_AT"
	BarrierEnv   = "ACCEPTANCE_SHARD_BARRIER"
	ShardsEnv    = "ACCEPTANCE_SHARDS"
	SuiteBinary  = "/usr/local/bin/acceptance.test"
)

// Build is a built kustomization, every object decoded strictly.
type Build struct {
	Jobs       map[string]*batchv1.Job
	ConfigMaps map[string]*corev1.ConfigMap
	PVCs       map[string]*corev1.PersistentVolumeClaim
	// Deployments and Services: the ci overlay's stand-in for vLLM (the
	// simulator), decoded as strictly as the rest.
	Deployments map[string]*appsv1.Deployment
	Services    map[string]*corev1.Service
	// configMapsByPrefix maps a generator's name to its hashed name.
	generated map[string]string
}

// Load builds the kustomization in dir with kustomize's Go API and decodes
// every object strictly into its k8s.io/api type: an unknown or misspelt
// field, or a kind the manifests should not hold, is an error.
func Load(fs filesys.FileSystem, dir string) (*Build, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(fs, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	b := &Build{Jobs: map[string]*batchv1.Job{}, ConfigMaps: map[string]*corev1.ConfigMap{}, PVCs: map[string]*corev1.PersistentVolumeClaim{},
		Deployments: map[string]*appsv1.Deployment{}, Services: map[string]*corev1.Service{}, generated: map[string]string{}}
	for _, r := range rm.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		id := fmt.Sprintf("%s %s", r.GetKind(), r.GetName())
		var obj any
		switch r.GetKind() {
		case "Job":
			j := &batchv1.Job{}
			b.Jobs[r.GetName()], obj = j, j
		case "ConfigMap":
			c := &corev1.ConfigMap{}
			b.ConfigMaps[r.GetName()], obj = c, c
			b.generated[strings.TrimSuffix(r.GetName(), "-"+hashSuffix(r.GetName()))] = r.GetName()
		case "PersistentVolumeClaim":
			p := &corev1.PersistentVolumeClaim{}
			b.PVCs[r.GetName()], obj = p, p
		case "Deployment":
			d := &appsv1.Deployment{}
			b.Deployments[r.GetName()], obj = d, d
		case "Service":
			v := &corev1.Service{}
			b.Services[r.GetName()], obj = v, v
		case "Secret":
			return nil, fmt.Errorf("%s: a Secret in the manifests: the API key must never be written in a manifest; create it with kubectl create secret", id)
		default:
			return nil, fmt.Errorf("%s: kind %s is not expected here (add a strict decoder for it in tools/k8scheck)", id, r.GetKind())
		}
		strict, err := json.UnmarshalStrict(data, obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		if len(strict) > 0 {
			return nil, fmt.Errorf("%s: %v", id, errorsLine(strict))
		}
	}
	return b, nil
}

func errorsLine(errs []error) string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Error())
	}
	return strings.Join(s, "; ")
}

// hashSuffix is the last dash-separated part of a generated name.
func hashSuffix(name string) string {
	i := strings.LastIndex(name, "-")
	if i < 0 {
		return ""
	}
	return name[i+1:]
}

// Summary is what the invariants found, for tests and messages.
type Summary struct {
	Shards  int
	StartAt time.Time
	RunID   string
}

// Check verifies the invariants a sharded run depends on and returns one
// error per broken one:
//   - the shards Job is Indexed, with completions == parallelism == its
//     ACCEPTANCE_SHARDS == the merge Job's ACCEPTANCE_SHARDS;
//   - ACCEPTANCE_START_AT of the shards comes from the run ConfigMap (one
//     value for every pod, an RFC 3339 time), never from a per-pod field;
//   - every container that talks to the server takes VLLM_API_KEY from a
//     Secret, and no ConfigMap holds it;
//   - every container sets CPU and memory requests;
//   - every Job mounts the same results claim, restarts Never, and the
//     main, shards and merge Jobs all exist;
//   - the main part waits for the shards (an init container running merge
//     --wait-only for the same N), and the merge Job runs merge --wait;
//   - the shards' ACCEPTANCE_SHARD_BARRIER, when set, is a folder on the
//     results claim every shard mounts (a folder of the pod's own disk
//     would never see the other shards, and each would wait it out).
func (b *Build) Check() (Summary, []error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	var sum Summary
	for _, name := range []string{MainJob, ShardsJob, MergeJob} {
		if b.Jobs[name] == nil {
			bad("Job %s is missing", name)
		}
	}
	for name, cm := range b.ConfigMaps {
		for k, v := range cm.Data {
			if k == APIKeyEnv || (v != "" && strings.Contains(strings.ToLower(k), "api_key")) {
				bad("ConfigMap %s holds %s: the API key must come from a Secret, never a manifest", name, k)
			}
		}
	}
	claims := map[string]bool{}
	for name, j := range b.Jobs {
		pod := j.Spec.Template.Spec
		if pod.RestartPolicy != corev1.RestartPolicyNever {
			bad("Job %s: restartPolicy %q, want Never (a restarted pod would send its load again)", name, pod.RestartPolicy)
		}
		for _, v := range pod.Volumes {
			if v.PersistentVolumeClaim != nil {
				claims[v.PersistentVolumeClaim.ClaimName] = true
				if b.PVCs[v.PersistentVolumeClaim.ClaimName] == nil {
					bad("Job %s: claim %s is not in the manifests", name, v.PersistentVolumeClaim.ClaimName)
				}
			}
		}
		for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
			where := fmt.Sprintf("Job %s container %s", name, c.Name)
			req := c.Resources.Requests
			if req.Cpu().IsZero() || req.Memory().IsZero() {
				bad("%s: resource requests for cpu and memory must be set", where)
			}
			seen := map[string]bool{}
			for _, e := range c.Env {
				if seen[e.Name] {
					bad("%s: %s is set twice", where, e.Name)
				}
				seen[e.Name] = true
				if e.Name == APIKeyEnv && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
					bad("%s: %s must come from a Secret (valueFrom.secretKeyRef), never a value or a ConfigMap", where, APIKeyEnv)
				}
			}
			if slices.Contains(c.Command, SuiteBinary) && !seen[APIKeyEnv] {
				bad("%s: %s is not set from the Secret (a server with --api-key would refuse every request)", where, APIKeyEnv)
			}
		}
	}
	if len(claims) != 1 {
		bad("the Jobs mount %d different results claims, want one shared by all: %v", len(claims), claims)
	}
	if g := b.Jobs[MainJob]; g != nil && g.Spec.CompletionMode != nil && *g.Spec.CompletionMode == batchv1.IndexedCompletion {
		bad("Job %s is Indexed: the main part runs once, unsharded", MainJob)
	}
	s := b.Jobs[ShardsJob]
	if s == nil {
		return sum, errs
	}
	if s.Spec.CompletionMode == nil || *s.Spec.CompletionMode != batchv1.IndexedCompletion {
		bad("Job %s: completionMode must be Indexed (each pod reads its shard from JOB_COMPLETION_INDEX)", ShardsJob)
	}
	completions, parallelism := deref(s.Spec.Completions), deref(s.Spec.Parallelism)
	if completions < 1 || completions != parallelism {
		bad("Job %s: completions (%d) and parallelism (%d) must be equal: every shard must run at once, or the loads do not overlap", ShardsJob, completions, parallelism)
	}
	sum.Shards = completions
	if len(s.Spec.Template.Spec.Containers) != 1 {
		bad("Job %s: want one container, the shard", ShardsJob)
		return sum, errs
	}
	c := s.Spec.Template.Spec.Containers[0]
	env := envMap(c.Env)
	if n, err := strconv.Atoi(literal(env[ShardsEnv])); err != nil || n != completions {
		bad("Job %s: %s=%q must equal completions (%d)", ShardsJob, ShardsEnv, literal(env[ShardsEnv]), completions)
	}
	if g := b.Jobs[MainJob]; g != nil {
		waits := false
		for _, ic := range g.Spec.Template.Spec.InitContainers {
			if slices.Contains(ic.Args, "--wait-only") {
				waits = true
				ienv := envMap(ic.Env)
				if n, err := strconv.Atoi(literal(ienv[ShardsEnv])); err != nil || n != completions {
					bad("Job %s: init container %s waits for %s=%q shards, but the shards Job has %d", MainJob, ic.Name, ShardsEnv, literal(ienv[ShardsEnv]), completions)
				}
			}
		}
		if !waits {
			bad("Job %s: no init container waits for the shards (merge --wait-only): the main part would run during the load and each would disturb the other", MainJob)
		}
	}
	if m := b.Jobs[MergeJob]; m != nil && len(m.Spec.Template.Spec.Containers) > 0 {
		mc := m.Spec.Template.Spec.Containers[0]
		if !slices.Contains(mc.Args, "merge") || !slices.Contains(mc.Args, "--wait") {
			bad("Job %s: args %q must run `vllm-acceptance merge --wait ...`, or it merges before the shards are done", MergeJob, mc.Args)
		}
		menv := envMap(mc.Env)
		if n, err := strconv.Atoi(literal(menv[ShardsEnv])); err != nil || n != completions {
			bad("Job %s: %s=%q must equal the shards' completions (%d), or the merge waits for shards that never come", MergeJob, ShardsEnv, literal(menv[ShardsEnv]), completions)
		}
	}
	if v, ok := env[BarrierEnv]; ok {
		dir := literal(v)
		onClaim := false
		for _, m := range c.VolumeMounts {
			if vol := volume(s.Spec.Template.Spec.Volumes, m.Name); vol != nil && vol.PersistentVolumeClaim != nil &&
				(dir == m.MountPath || strings.HasPrefix(dir, strings.TrimSuffix(m.MountPath, "/")+"/")) {
				onClaim = true
			}
		}
		if !onClaim {
			bad("Job %s: %s=%q is not on the results claim the shards share: each shard would wait for the others in a folder only it sees", ShardsJob, BarrierEnv, dir)
		}
	}
	start, ok := env[StartAtEnv]
	switch {
	case !ok:
		bad("Job %s: %s is not set: the shards would not start together", ShardsJob, StartAtEnv)
	case start.ValueFrom == nil || start.ValueFrom.ConfigMapKeyRef == nil:
		bad("Job %s: %s must come from the %s ConfigMap (configMapKeyRef), one value for every pod; a per-pod source gives each shard its own start", ShardsJob, StartAtEnv, RunConfigMap)
	default:
		ref := start.ValueFrom.ConfigMapKeyRef
		if ref.Optional != nil && *ref.Optional {
			bad("Job %s: %s must not be optional", ShardsJob, StartAtEnv)
		}
		cm := b.ConfigMaps[ref.Name]
		if cm == nil {
			bad("Job %s: %s refers to ConfigMap %s, which is not in the manifests", ShardsJob, StartAtEnv, ref.Name)
			break
		}
		if b.generated[RunConfigMap] != ref.Name {
			bad("Job %s: %s comes from %s, want the %s ConfigMap", ShardsJob, StartAtEnv, ref.Name, RunConfigMap)
		}
		t, err := time.Parse(time.RFC3339, cm.Data[ref.Key])
		if err != nil {
			bad("ConfigMap %s: %s=%q is not an RFC 3339 time", ref.Name, ref.Key, cm.Data[ref.Key])
		}
		sum.StartAt, sum.RunID = t, cm.Data["ACCEPTANCE_RUN_ID"]
	}
	return sum, errs
}

// volume is the pod volume called name, or nil.
func volume(vs []corev1.Volume, name string) *corev1.Volume {
	for i := range vs {
		if vs[i].Name == name {
			return &vs[i]
		}
	}
	return nil
}

func deref(p *int32) int {
	if p == nil {
		return 1 // the API's default
	}
	return int(*p)
}

func envMap(env []corev1.EnvVar) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range env {
		m[e.Name] = e
	}
	return m
}

func literal(e corev1.EnvVar) string {
	if e.ValueFrom != nil {
		return ""
	}
	return e.Value
}
