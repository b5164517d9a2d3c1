# shellcheck shell=bash
# Level 2 of scripts/k8s-e2e.sh (sourced by it): a real node (kubelet,
# containerd, runc, kube-proxy) running the ci overlay's pods from an image
# of the suite's own binaries.

l2ns=l2-ci
bridge=k8se2ebr0
pod_cidr=10.251.0.0/24

# level2_cleanup runs from the teardown, before the processes are stopped:
# the pods go first (the kubelet stops their containers and networks), then
# what the node left on the host.
level2_cleanup() {
	if [[ -n "${kubelet_started:-}" ]]; then
		kubectl delete namespace "$l2ns" --timeout=60s >/dev/null 2>&1
	fi
}
level2_host_cleanup() {
	local p m
	# Containers whose pods outlived the kubelet: their shims, started by
	# this run's containerd (their command line names its socket).
	for p in $(pgrep -f "$work/containerd/" || true); do kill -9 "$p" 2>/dev/null; done
	grep -o " $work[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	ip addr del "$node_ip/32" dev lo 2>/dev/null
	ip link del "$bridge" 2>/dev/null
	nft delete table ip kube-proxy 2>/dev/null
	nft delete table ip6 kube-proxy 2>/dev/null
	[[ -n "${old_ip_forward:-}" ]] && echo "$old_ip_forward" >/proc/sys/net/ipv4/ip_forward
	return 0
}

# image NAME DIR: DIR as a one-layer docker-archive image localhost/NAME:e2e,
# imported into the node's containerd (no daemon, no registry).
image() {
	local name=$1 root=$2 img=$work/img/$1 cfg diff
	shift 2
	mkdir -p "$img"
	tar -C "$root" --numeric-owner --owner=0 --group=0 --sort=name -cf "$img/layer.tar" .
	diff=$(sha256sum "$img/layer.tar" | cut -d' ' -f1)
	printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$1" "$diff" >"$img/config.json"
	cfg=$(sha256sum "$img/config.json" | cut -d' ' -f1)
	mv "$img/config.json" "$img/$cfg.json"
	printf '[{"Config":"%s.json","RepoTags":["localhost/%s:e2e"],"Layers":["layer.tar"]}]' "$cfg" "$name" >"$img/manifest.json"
	tar -C "$img" -cf "$work/img/$name.tar" manifest.json "$cfg.json" layer.tar
	ctr -a "$work/containerd/containerd.sock" -n k8s.io images import "$work/img/$name.tar" >/dev/null
	say "level 2: image localhost/$name:e2e ($(du -h "$img/layer.tar" | cut -f1)) imported"
}

# suite_image: the Dockerfile's image without a Docker engine: the same
# binaries built the same way (cgo, glibc-linked), the same folders, the
# same environment and user, on the host's glibc (Debian 12, as
# distroless/base-debian12) instead of the distroless layer, which no
# registry here can serve.
suite_image() {
	local root=$work/rootfs/suite f
	mkdir -p "$root/usr/local/bin" "$root/opt/vllm-acceptance" "$root/tmp" "$root/etc"
	chmod 1777 "$root/tmp"
	say "level 2: building the suite's binaries (go test -c -tags live ./acceptance, go build ./cmd/vllm-acceptance)"
	# As the Dockerfile builds them, less -trimpath: the self-tests' build
	# cache then serves the packages (only file paths in the binaries differ).
	CGO_ENABLED=1 nice -n 10 go test -c -tags live -o "$root/usr/local/bin/acceptance.test" ./acceptance
	CGO_ENABLED=1 nice -n 10 go build -o "$root/usr/local/bin/vllm-acceptance" ./cmd/vllm-acceptance
	cp -r tolerances fixtures settings "$root/opt/vllm-acceptance/"
	for f in $(ldd "$root/usr/local/bin/acceptance.test" "$root/usr/local/bin/vllm-acceptance" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
		cp --parents -L "$f" "$root/"
	done
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
	image vllm-acceptance "$root" '{"Entrypoint":["/usr/local/bin/acceptance.test","-test.v"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin","ACCEPTANCE_FIXTURES=/opt/vllm-acceptance/fixtures","ACCEPTANCE_OUT=/results"],"WorkingDir":"/opt/vllm-acceptance","User":"65532"}'
}

node_up() {
	# The node IP, on lo (this kernel may have no dummy interfaces): an
	# address outside 127/8, reachable only from this machine.
	ip -o addr show dev lo | grep -q " $node_ip/" && die "level 2: lo already has $node_ip: is another k8s-e2e running? (ip addr del $node_ip/32 dev lo if not)"
	node_up_started=1
	ip addr add "$node_ip/32" dev lo
	old_ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)
	echo 1 >/proc/sys/net/ipv4/ip_forward
	mkdir -p "$work/containerd" "$work/cni" "$work/kubelet"
	cat >"$work/cni/10-e2e.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "k8s-e2e", "plugins": [{"type": "bridge", "bridge": "$bridge", "isGateway": true,
 "ipMasq": false, "hairpinMode": true, "ipam": {"type": "host-local", "ranges": [[{"subnet": "$pod_cidr"}]],
 "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$work/cni-ipam"}}]}
EOF
	cat >"$work/containerd/config.toml" <<EOF
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
[grpc]
  address = "$work/containerd/containerd.sock"
[ttrpc]
  address = "$work/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$work/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/pause:e2e"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$work/cni"
EOF
	start containerd containerd --config "$work/containerd/config.toml"
	waitfor containerd 30 ctr -a "$work/containerd/containerd.sock" version
	local root=$work/rootfs/pause
	mkdir -p "$root"
	cp "$bin/pause" "$root/pause"
	image pause "$root" '{"Entrypoint":["/pause"],"User":"65535"}'
	suite_image

	local kport
	kport=$(freeport)
	cat >"$work/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $node_ip
port: $kport
readOnlyPort: 0
healthzPort: 0
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$work/containerd/containerd.sock
resolvConf: /etc/resolv.conf
localStorageCapacityIsolation: false
evictionHard: {memory.available: "1Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
	start kube-proxy kube-proxy --kubeconfig="$KUBECONFIG" --proxy-mode=nftables --masquerade-all \
		--cluster-cidr="$pod_cidr" --hostname-override=e2e-node --conntrack-max-per-core=0 \
		--healthz-bind-address="127.0.0.1:$(freeport)" --metrics-bind-address="127.0.0.1:$(freeport)"
	kubelet_started=1
	start kubelet kubelet --config="$work/kubelet/config.yaml" --kubeconfig="$KUBECONFIG" \
		--hostname-override=e2e-node --node-ip="$node_ip" --root-dir="$work/kubelet" --cert-dir="$work/kubelet/pki"
	waitfor "the node e2e-node (kubelet)" 120 bash -c "kubectl get node e2e-node -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
	say "level 2: node e2e-node Ready at $node_ip ($(kubectl get node e2e-node -o jsonpath='{.status.allocatable.cpu} CPUs, {.status.nodeInfo.containerRuntimeVersion}'))"
}

# pod_trouble NS: the first pod that cannot start, in the words of the
# scheduler (PodScheduled False) or the kubelet (a waiting or terminated
# container's reason and message); empty when none.
pod_trouble() {
	kubectl -n "$1" get pods -o json | python3 -c '
import json, sys
bad = {"CreateContainerConfigError", "CreateContainerError", "RunContainerError", "StartError",
       "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName", "CrashLoopBackOff"}
for p in json.load(sys.stdin)["items"]:
    name = p["metadata"]["name"]
    for c in p["status"].get("conditions", []):
        if c["type"] == "PodScheduled" and c["status"] == "False" and c.get("message"):
            print("pod %s cannot be scheduled: %s: %s" % (name, c.get("reason"), c["message"])); sys.exit()
    for cs in p["status"].get("initContainerStatuses", []) + p["status"].get("containerStatuses", []):
        st = cs.get("state", {})
        w, t = st.get("waiting"), st.get("terminated")
        if w and w.get("reason") in bad:
            print("pod %s, container %s: %s: %s" % (name, cs["name"], w["reason"], w.get("message", ""))); sys.exit()
        if t and t.get("reason") in bad:
            print("pod %s, container %s: %s: %s" % (name, cs["name"], t["reason"], t.get("message", ""))); sys.exit()
'
}

level2() {
	say "level 2: real pods on one node (kubelet, containerd, runc, kube-proxy)"
	node_up
	local dir=$work/kube/overlays/ci-broken run_id start_at state trouble t0 i
	run_id="ci-$(date -u +%Y%m%dT%H%M%SZ)"
	start_at=$(date -u -d '+40 sec' +%Y-%m-%dT%H:%M:%SZ)
	printf 'ACCEPTANCE_RUN_ID=%s\nACCEPTANCE_START_AT=%s\n' "$run_id" "$start_at" >"$work/kube/overlays/ci/run.env"
	prepare "$l2ns"
	# The stand-in for vLLM first, as a server is up before it is tested:
	# every object but the Jobs, then the simulator's rollout, then the
	# whole overlay (a dry run first) starts the Jobs.
	kubectl kustomize "$dir" | python3 -c '
import sys
docs = sys.stdin.read().split("\n---\n")
print("\n---\n".join(d for d in docs if "\nkind: Job\n" not in "\n" + d + "\n"))' |
		kubectl -n "$l2ns" apply --server-side --field-manager=k8s-e2e -f - >/dev/null
	kubectl -n "$l2ns" rollout status deployment/vllm-sim --timeout=120s >/dev/null ||
		die "level 2: the simulator did not become ready: $(pod_trouble "$l2ns") $(kubectl -n "$l2ns" logs deployment/vllm-sim --tail=5 2>&1)"
	say "level 2: the simulator Deployment is ready behind Service vllm-sim ($(kubectl -n "$l2ns" get service vllm-sim -o jsonpath='{.spec.clusterIP}'):8000)"
	out=$(apply_overlay "$dir" "$l2ns") || die "level 2: the ci overlay refused: $out"
	say "level 2: ci overlay applied (run $run_id, shards' load at $start_at)"
	t0=$SECONDS
	while :; do
		state=$(job_state "$l2ns" vllm-acceptance-merge)
		[[ -n "$state" ]] && break
		trouble=$(pod_trouble "$l2ns")
		if [[ -n "$trouble" ]]; then
			# The scheduler may still be waiting for the simulator's pod to
			# go; a pod that cannot be placed fails after 20 s of trying.
			if [[ "$trouble" != *"cannot be scheduled"* ]] || ((SECONDS - t0 > 20)); then
				die "level 2: $trouble"
			fi
		fi
		((SECONDS - t0 < 480)) || die "level 2: the merge Job did not finish within 8 minutes: $(kubectl -n "$l2ns" get pods -o wide)"
		sleep 2
	done
	kubectl -n "$l2ns" get pods -o wide
	say "level 2: the merge Job's log (kubectl logs, through the kubelet at $node_ip):"
	kubectl -n "$l2ns" logs job/vllm-acceptance-merge 2>&1 | tail -n 8 | sed 's/^/    /'
	for i in shards main; do
		[[ "$(job_state "$l2ns" "vllm-acceptance-$i")" == Complete ]] ||
			die "level 2: job vllm-acceptance-$i $(job_state "$l2ns" "vllm-acceptance-$i"): $(kubectl -n "$l2ns" logs "job/vllm-acceptance-$i" --tail=20 2>&1)"
	done
	local n got
	n=$(kubectl -n "$l2ns" get job vllm-acceptance-shards -o jsonpath='{.spec.completions}')
	got=$(kubectl -n "$l2ns" get job vllm-acceptance-shards -o jsonpath='{.status.completedIndexes}')
	[[ "$got" == "$(indexes "$n")" ]] || die "level 2: shards Job completedIndexes=$got, want $(indexes "$n")"
	say "level 2: job vllm-acceptance-shards Complete, completedIndexes=$got ($n real shard pods)"
	[[ "$state" == Complete ]] || say "level 2: the merge Job Failed: the merged run fails (its log above); reading it back"
	# The merge waited for the shards: it finished after every shard pod.
	local last_shard merge_done
	last_shard=$(kubectl -n "$l2ns" get pods -l batch.kubernetes.io/job-name=vllm-acceptance-shards -o jsonpath='{range .items[*]}{.status.containerStatuses[0].state.terminated.finishedAt}{"\n"}{end}' | sort | tail -n1)
	merge_done=$(kubectl -n "$l2ns" get pods -l batch.kubernetes.io/job-name=vllm-acceptance-merge -o jsonpath='{.items[0].status.containerStatuses[0].state.terminated.finishedAt}')
	[[ "$merge_done" > "$last_shard" || "$merge_done" == "$last_shard" ]] || die "level 2: the merge finished at $merge_done, before the last shard ($last_shard)"
	say "level 2: the last shard finished at $last_shard, the merge at $merge_done"

	say "level 2: reading the results volume back (go test -tags k8se2e ./internal/selftest -run TestKubernetesRun)"
	local rc=0
	K8S_E2E_RUN="$work/volumes/$l2ns/$run_id" K8S_E2E_SHARDS="$n" K8S_E2E_MERGE="$state" \
		go test -tags k8se2e -count=1 -run '^TestKubernetesRun$' -v ./internal/selftest >"$work/log/readback.log" 2>&1 || rc=$?
	grep -vE '^(=== (PAUSE|CONT))' "$work/log/readback.log" | sed 's/^/    /'
	((rc == 0)) || die "level 2: the merged run read back from the volume does not hold (above)"
	say "level 2: PASS"
}
