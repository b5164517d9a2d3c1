# shellcheck shell=bash
# Level 1 of scripts/k8s-e2e.sh (sourced by it): the manifests on a live API
# server, with a kwok node whose pods succeed without running.

# kube_copy: deploy/kubernetes copied into the work folder, where the
# script writes run.env and the broken variants; ci-broken is the ci
# overlay with the --break edit, or the ci overlay unchanged.
kube_copy() {
	rm -rf "$work/kube"
	cp -r deploy/kubernetes "$work/kube"
	mkdir -p "$work/kube/overlays/ci-broken"
	local patch=""
	case "$break_kind" in
	field) patch='[{"op": "add", "path": "/spec/template/spec/containers/0/resources/requets", "value": {"cpu": "1"}}]' ;;
	secret) patch='[{"op": "replace", "path": "/spec/template/spec/containers/0/env/6/valueFrom/secretKeyRef/name", "value": "vllm-acceptance-api-kye"}]' ;;
	cpu) patch='[{"op": "replace", "path": "/spec/template/spec/containers/0/resources", "value": {"requests": {"cpu": "64", "memory": "256Mi"}, "limits": {"cpu": "64", "memory": "1Gi"}}}]' ;;
	command) patch='[{"op": "replace", "path": "/spec/template/spec/containers/0/command", "value": ["/usr/local/bin/no-such-binary"]}]' ;;
	esac
	{
		printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../ci\n'
		[[ -z "$patch" ]] || printf 'patches:\n  - target: {kind: Job, name: vllm-acceptance-shards}\n    patch: %s\n' "'$patch'"
	} >"$work/kube/overlays/ci-broken/kustomization.yaml"
	if [[ -n "$patch" ]]; then say "--break $break_kind: the shards Job of the ci overlay patched with $patch"; fi
}

# prepare NS: a namespace with the API-key Secret and a hostPath
# PersistentVolume bound ahead to its results claim.
prepare() {
	local ns=$1 dir=$work/volumes/$1
	mkdir -p "$dir"
	chown 65532:65532 "$dir"
	kubectl create namespace "$ns" >/dev/null
	kubectl -n "$ns" create secret generic vllm-acceptance-api-key --from-literal=api-key="$api_key" >/dev/null
	kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: results-$ns
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: "$dir", type: Directory}
  claimRef: {namespace: "$ns", name: vllm-acceptance-results}
EOF
}

# secrets_exist DIR NS: every Secret the manifests name exists, or the API
# server's own NotFound is the failure.
secrets_exist() {
	local dir=$1 ns=$2 s out
	for s in $(kubectl kustomize "$dir" | awk '/secretKeyRef:/ {f = 1; next} f && /name:/ {print $2; f = 0} /secretName:/ {print $2}' | sort -u); do
		out=$(kubectl -n "$ns" get secret "$s" -o name 2>&1) || { echo "$out"; return 1; }
	done
}

# apply_overlay DIR NS: server-side apply, a dry run first; on refusal the
# API server's message is printed and the call fails.
apply_overlay() {
	local dir=$1 ns=$2 out
	out=$(secrets_exist "$dir" "$ns") || { echo "$out"; return 1; }
	out=$(kubectl apply -k "$dir" -n "$ns" --server-side --field-manager=k8s-e2e --dry-run=server 2>&1) || {
		echo "$out" | grep -iE '^error' || echo "$out"
		return 1
	}
	kubectl apply -k "$dir" -n "$ns" --server-side --field-manager=k8s-e2e 2>&1
}

# job_state NS JOB: Complete, Failed or empty (still running).
job_state() {
	kubectl -n "$1" get job "$2" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{"\n"}{end}' 2>/dev/null |
		grep -xE 'Complete|Failed' | head -n1 || true
}

# indexes N: the completedIndexes of an Indexed Job of N completions, as
# the Job controller writes them (a run of two is "0,1", of more "0-3").
indexes() { case $1 in 1) echo 0 ;; 2) echo 0,1 ;; *) echo "0-$(($1 - 1))" ;; esac; }

level1() {
	say "level 1: the manifests on the API server, pods on a kwok node"
	api_key=$(openssl rand -hex 16)
	kube_copy
	start kwok kwok --kubeconfig="$KUBECONFIG" --manage-all-nodes=false \
		--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --server-address="" --node-lease-duration-seconds=40
	kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {type: kwok, kubernetes.io/hostname: kwok-node, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
	waitfor "the kwok node" 60 bash -c "kubectl get node kwok-node -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"

	# The unbroken manifests: the base and every overlay, each in a
	# namespace of its own, on the kwok node (the only node of level 1).
	local d ns name out n job state got want
	for d in base $(cd "$work/kube" && ls -d overlays/* | grep -v ci-broken) overlays/ci-broken; do
		[[ "$d" == overlays/ci-broken && -z "$break_kind" ]] && continue
		[[ "$d" == overlays/ci && -n "$break_kind" ]] && continue
		name=${d#overlays/}
		ns=l1-$name
		prepare "$ns"
		out=$(apply_overlay "$work/kube/$d" "$ns") || die "level 1: $d refused: $out"
		say "level 1: $d admitted (server-side, dry run then for real): $(echo "$out" | wc -l) objects"
		for job in vllm-acceptance-shards vllm-acceptance-main vllm-acceptance-merge; do
			for _ in $(seq 300); do
				state=$(job_state "$ns" "$job")
				[[ -n "$state" ]] && break
				sleep 0.2
			done
			[[ "$state" == Complete ]] || die "level 1: $d: job $job is '${state:-not finished after 60s}': $(pod_trouble "$ns" || true) $(kubectl -n "$ns" describe job "$job" | tail -n 5)"
		done
		n=$(kubectl -n "$ns" get job vllm-acceptance-shards -o jsonpath='{.spec.completions}')
		got=$(kubectl -n "$ns" get job vllm-acceptance-shards -o jsonpath='{.status.completedIndexes}')
		want=$(indexes "$n")
		[[ "$got" == "$want" ]] || die "level 1: $d: shards Job completedIndexes=$got, want $want"
		say "level 1: $d: job vllm-acceptance-shards Complete, completedIndexes=$got ($n shards); vllm-acceptance-main and vllm-acceptance-merge Complete"
	done

	# The broken variants, always: each must be refused in the API server's
	# own words.
	mkdir -p "$work/kube/overlays/bad-field"
	cat >"$work/kube/overlays/bad-field/kustomization.yaml" <<'EOF'
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../n4
patches:
  - target: {kind: Job, name: vllm-acceptance-shards}
    patch: '[{"op": "add", "path": "/spec/parallelizm", "value": 4}]'
EOF
	prepare l1-bad-field
	if out=$(apply_overlay "$work/kube/overlays/bad-field" l1-bad-field); then
		die "level 1: a misspelt field (spec.parallelizm) was admitted"
	fi
	echo "$out" | grep -q 'parallelizm' || die "level 1: the misspelt field was refused, but not for the field: $out"
	say "level 1: a misspelt field is refused by the API server: $(echo "$out" | grep -m1 parallelizm)"
	kubectl create namespace l1-no-secret >/dev/null
	if out=$(apply_overlay "$work/kube/overlays/n4" l1-no-secret); then
		die "level 1: the n4 overlay was applied in a namespace without its Secret"
	fi
	echo "$out" | grep -q 'secrets "vllm-acceptance-api-key" not found' || die "level 1: missing Secret refused, but not for the Secret: $out"
	say "level 1: a missing Secret is refused with the API server's: $out"
	# Level 1's objects go before its node, so none of its pods is
	# rescheduled onto level 2's real node.
	kubectl delete namespace $(kubectl get ns -o name | grep -o 'l1-.*') --timeout=60s >/dev/null 2>&1 || say "level 1: its namespaces were not gone within 60 s"
	kubectl delete node kwok-node >/dev/null
	kill "${pids[-1]}" 2>/dev/null || true
	say "level 1: PASS"
}
