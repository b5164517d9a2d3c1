#!/usr/bin/env bash
# scripts/k8s-e2e.sh (make k8s-e2e): deploy/kubernetes on a live control
# plane of this machine, then the sharded run as real pods (docs/scaling-out.md,
# "Checked on a live cluster").
#
#   level 1  etcd, kube-apiserver, kube-controller-manager, kube-scheduler on
#            127.0.0.1 and a kwok node: the base and every overlay applied
#            server-side (dry run, then for real), every Job Complete with
#            the right completed indexes; a misspelt field and a missing
#            Secret refused in the API server's own words.
#   level 2  kubelet + containerd + runc + kube-proxy on one node: the ci
#            overlay's simulator Deployment and Service, its Indexed Job of
#            real shard pods, the main Job and the merge Job, run from an
#            image of the suite's own binaries; the merged run read back and
#            checked (internal/selftest/k8s_e2e_test.go, tag k8se2e).
#
# Usage: scripts/k8s-e2e.sh [--level1-only] [--break field|secret|cpu|command]
#   --break runs the check with the ci overlay broken on purpose (a misspelt
#   field, a wrong Secret name, shards asking for more CPU than the node has,
#   a shard command that does not exist); it must fail, quoting the API
#   server, the scheduler or the kubelet.
#
# Needs root, Go, and Debian's etcd-server, containerd, runc,
# containernetworking-plugins, nftables, openssl (installed when missing).
# Without them: one SKIP line and exit 0, except under CI=true (exit 1).
# K8S_E2E_BIN=DIR uses Kubernetes binaries built elsewhere instead.
# The Kubernetes binaries are built once per version into
# ${XDG_CACHE_HOME:-~/.cache}/vllm-acceptance/k8s/<version>/bin (cold: about
# 15-25 minutes on 2 cores; cached: seconds). Everything it starts is stopped
# on exit, even on failure; traffic stays on this machine (loopback, a node
# IP on lo, and the pods' own network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
K8S_VERSION=v1.37.2
KWOK_VERSION=v0.6.1
level1_only=0
break_kind=""
while (($#)); do
	case "$1" in
	--level1-only) level1_only=1 ;;
	--break) break_kind=${2:?--break needs field, secret, cpu or command}; shift ;;
	--break=*) break_kind=${1#--break=} ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "k8s-e2e: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case "$break_kind" in "" | field | secret | cpu | command) ;; *) echo "k8s-e2e: --break takes field, secret, cpu or command, not '$break_kind'" >&2; exit 2 ;; esac

say() { echo "k8s-e2e: $*"; }
die() { echo "k8s-e2e: FAIL: $*" >&2; exit 1; }
skip() {
	if [[ "${CI:-}" == true ]]; then die "$* (CI=true: the check must run here)"; fi
	echo "SKIP: k8s-e2e: $*"
	exit 0
}

# --- prerequisites -----------------------------------------------------
[[ "$(uname -s)" == Linux ]] || skip "needs Linux (kubelet, containerd); run it on a Linux host or see docs/scaling-out.md for kind"
[[ $EUID -eq 0 ]] || skip "needs root (the kubelet, containerd and the pods' networks); run it as root, or use kind (docs/scaling-out.md)"
command -v go >/dev/null || skip "needs Go to build the Kubernetes components"
need_pkgs=()
for p in etcd-server containerd runc containernetworking-plugins nftables openssl iproute2 python3; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
	command -v apt-get >/dev/null || skip "needs the Debian packages ${need_pkgs[*]} and apt-get to install them"
	say "installing ${need_pkgs[*]}"
	apt-get update -qq || skip "apt-get update failed; install ${need_pkgs[*]} by hand"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null ||
		skip "apt-get install ${need_pkgs[*]} failed"
fi

# --- the Kubernetes binaries, cached by version ----------------------------
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vllm-acceptance/k8s/$K8S_VERSION
bin=$cache/bin
stamp="$K8S_VERSION kwok $KWOK_VERSION $(cat tools/k8s/go.sum tools/k8s/kwok/go.sum | sha256sum | cut -c1-16)"
components=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
if [[ -n "${K8S_E2E_BIN:-}" ]]; then
	# Binaries built elsewhere (the same versions), e.g. a warm cache copied in.
	bin=$K8S_E2E_BIN
	want=(kube-apiserver kube-controller-manager kube-scheduler kwok)
	((level1_only)) || want+=(kubelet kube-proxy pause)
	for c in "${want[@]}"; do
		[[ -x "$bin/$c" ]] || die "K8S_E2E_BIN=$bin has no executable $c; unset K8S_E2E_BIN to build them here"
	done
	[[ -x "$bin/kubectl" ]] || command -v kubectl >/dev/null || die "K8S_E2E_BIN=$bin has no kubectl, nor has PATH"
	say "Kubernetes binaries from K8S_E2E_BIN=$bin"
elif [[ "$(cat "$bin/.stamp" 2>/dev/null)" != "$stamp" ]]; then
	say "building Kubernetes $K8S_VERSION and kwok $KWOK_VERSION into $bin (once per version; a cold build takes 15-25 minutes on 2 cores)"
	t0=$SECONDS
	rm -rf "$bin.tmp" && mkdir -p "$bin.tmp"
	ld="-s -w"
	minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
	done
	pkgs=()
	for c in "${components[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
	CGO_ENABLED=0 nice -n 10 go -C tools/k8s build -trimpath -ldflags "$ld" -o "$bin.tmp/" "${pkgs[@]}"
	CGO_ENABLED=0 nice -n 10 go -C tools/k8s build -trimpath -ldflags "-s -w" -o "$bin.tmp/pause" ./pause
	CGO_ENABLED=0 nice -n 10 go -C tools/k8s/kwok build -trimpath -ldflags "-s -w" -o "$bin.tmp/kwok" sigs.k8s.io/kwok/cmd/kwok
	echo "$stamp" >"$bin.tmp/.stamp"
	rm -rf "$bin" && mv "$bin.tmp" "$bin"
	say "built in $((SECONDS - t0)) s"
else
	say "Kubernetes $K8S_VERSION binaries from the cache $bin"
fi
export PATH="$bin:$PATH"

# --- the work folder and the teardown --------------------------------------
work=$(mktemp -d /tmp/k8s-e2e.XXXXXX)
pids=()
names=()
teardown() {
	local rc=$?
	set +e
	# The pods first, while the kubelet can still stop them, then the
	# processes in reverse order, then what the node left on the host.
	[[ -n "${kubelet_started:-}" ]] && level2_cleanup
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[$i]}" 2>/dev/null
		for _ in $(seq 50); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.1; done
		kill -9 "${pids[$i]}" 2>/dev/null
	done
	[[ -n "${node_up_started:-}" ]] && level2_host_cleanup
	if ((rc != 0)); then
		for n in "${names[@]}"; do
			[[ -s "$work/log/$n.log" ]] && { echo "--- last lines of $n's log"; tail -n 8 "$work/log/$n.log"; }
		done
	fi
	rm -rf "$work"
	exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/log" "$work/pki"

start() { # start NAME CMD...: run CMD in the background, logging to $work/log/NAME.log
	local n=$1
	shift
	"$@" >"$work/log/$n.log" 2>&1 &
	pids+=("$!")
	names+=("$n")
}
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
waitfor() { # waitfor WHAT SECONDS CMD...
	local what=$1 secs=$2
	shift 2
	for _ in $(seq $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
	die "$what did not come up within ${secs}s"
}

# --- certificates, keys, kubeconfig ------------------------------------------
# The node IP: kubectl logs goes from the API server to the kubelet at the
# node's address, which must not be loopback: an address of this run on lo.
node_ip=10.250.250.1
pki=$work/pki
(
	cd "$pki"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=k8s-e2e-ca 2>/dev/null
	cert() { # cert NAME SUBJECT [SAN]
		openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
		openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 1 \
			${3:+-extfile <(printf 'subjectAltName=%s' "$3")} 2>/dev/null
	}
	cert apiserver /CN=kube-apiserver "IP:127.0.0.1,IP:10.0.0.1,IP:$node_ip,DNS:localhost,DNS:kubernetes.default.svc"
	cert admin "/O=system:masters/CN=k8s-e2e-admin"
	openssl genrsa -out sa.key 2048 2>/dev/null
	openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
etcd_port=$(freeport)
etcd_peer=$(freeport)
api_port=$(freeport)
export KUBECONFIG=$work/admin.kubeconfig
cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: "https://127.0.0.1:$api_port", certificate-authority: "$pki/ca.crt"}
users:
- name: admin
  user: {client-certificate: "$pki/admin.crt", client-key: "$pki/admin.key"}
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
EOF

# --- the control plane --------------------------------------------------------
say "starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler on 127.0.0.1 (logs: $work/log)"
start etcd etcd --name e2e --data-dir "$work/etcd" \
	--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
	--listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
	--initial-cluster "e2e=http://127.0.0.1:$etcd_peer"
waitfor etcd 30 curl -fsS "http://127.0.0.1:$etcd_port/health"
start kube-apiserver kube-apiserver --etcd-servers="http://127.0.0.1:$etcd_port" \
	--bind-address=127.0.0.1 --secure-port="$api_port" --advertise-address="$node_ip" \
	--tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" --client-ca-file="$pki/ca.crt" \
	--service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
	--service-account-issuer=https://kubernetes.default.svc --service-cluster-ip-range=10.0.0.0/24 \
	--authorization-mode=Node,RBAC --kubelet-preferred-address-types=InternalIP,Hostname --kubelet-client-certificate="$pki/admin.crt" --kubelet-client-key="$pki/admin.key"
waitfor kube-apiserver 180 kubectl get --raw /readyz
start kube-controller-manager kube-controller-manager --kubeconfig="$KUBECONFIG" --leader-elect=false \
	--secure-port=0 --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
	--use-service-account-credentials=false
start kube-scheduler kube-scheduler --kubeconfig="$KUBECONFIG" --leader-elect=false --secure-port=0
waitfor "the default ServiceAccount" 120 kubectl get serviceaccount default -n default
say "control plane up: $(kubectl version -o json | python3 -c 'import json,sys; print("server", json.load(sys.stdin)["serverVersion"]["gitVersion"])')"

# --- the levels -----------------------------------------------------------------
# shellcheck source=scripts/k8s-e2e-level1.sh
source scripts/k8s-e2e-level1.sh
# shellcheck source=scripts/k8s-e2e-level2.sh
source scripts/k8s-e2e-level2.sh
level1
if ((level1_only)); then
	say "PASS (level 1 only)"
	exit 0
fi
level2
say "PASS"
