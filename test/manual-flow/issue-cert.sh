#!/usr/bin/env bash
# The published manual flow that the cert-issuer Job replaces (Cozystack's installer and blog):
# openssl makes a key and a CSR, kubectl submits and approves it with cluster-admin rights, waits
# for the signed certificate, reads the cluster CA from kube-root-ca.crt, and stores all three in
# a Secret in every namespace that holds a HelmRepository. Like the original, it does nothing when
# the Secret already exists, sets no expirationSeconds and never renews.
#
# Kept faithful so that issue 6's bench can compare the Job with it; parametrised so the bench can
# run it repeatedly (a fresh CSR name per run, or a fresh Secret name to force a new issue).
#
# Settings, as --flag=value or environment variable (flag wins):
#   --common-name   MANUAL_FLOW_COMMON_NAME   default cozystack-assets-reader
#   --secret-name   MANUAL_FLOW_SECRET_NAME   default cozystack-assets-tls
#   --namespaces    MANUAL_FLOW_NAMESPACES    default cozy-system,cozy-public (first one: kube-root-ca.crt)
#   --csr-name      MANUAL_FLOW_CSR_NAME      default <secret-name>-<8 random hex>
#   --signer-name   MANUAL_FLOW_SIGNER_NAME   default kubernetes.io/kube-apiserver-client
#   --timeout       MANUAL_FLOW_TIMEOUT       seconds to wait for the signed certificate, default 60
#   KUBECTL (default kubectl) and KUBECONFIG choose the client and the cluster.
# Exit codes: 0 issued or already present, 1 failure, 2 bad usage.
set -euo pipefail

common_name=${MANUAL_FLOW_COMMON_NAME:-cozystack-assets-reader}
secret_name=${MANUAL_FLOW_SECRET_NAME:-cozystack-assets-tls}
namespaces=${MANUAL_FLOW_NAMESPACES:-cozy-system,cozy-public}
csr_name=${MANUAL_FLOW_CSR_NAME:-}
signer_name=${MANUAL_FLOW_SIGNER_NAME:-kubernetes.io/kube-apiserver-client}
timeout=${MANUAL_FLOW_TIMEOUT:-60}
for arg in "$@"; do
  case $arg in
    --common-name=*) common_name=${arg#*=} ;;
    --secret-name=*) secret_name=${arg#*=} ;;
    --namespaces=*) namespaces=${arg#*=} ;;
    --csr-name=*) csr_name=${arg#*=} ;;
    --signer-name=*) signer_name=${arg#*=} ;;
    --timeout=*) timeout=${arg#*=} ;;
    *) echo "manual-flow: unknown argument $arg" >&2; exit 2 ;;
  esac
done
# A random suffix, so repeated runs never collide with a CSR the signer already handled.
csr_name=${csr_name:-$secret_name-$(openssl rand -hex 4)}
IFS=, read -ra ns_list <<<"$namespaces"
kubectl() { command "${KUBECTL:-kubectl}" "$@"; }
log() { echo "manual-flow: $*" >&2; }

if kubectl get secret "$secret_name" -n "${ns_list[0]}" >/dev/null 2>&1; then
  log "secret ${ns_list[0]}/$secret_name exists, nothing to do"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT # the private key never outlives the run

openssl genrsa -out "$work/tls.key" 2048 2>/dev/null
openssl req -new -key "$work/tls.key" -subj "/CN=$common_name" -out "$work/tls.csr"

kubectl apply -f - >/dev/null <<EOF
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: $csr_name
spec:
  request: $(base64 -w0 <"$work/tls.csr")
  signerName: $signer_name
  usages: [client auth]
EOF
log "submitted CSR $csr_name"
kubectl certificate approve "$csr_name" >/dev/null
log "approved CSR $csr_name"

# The signer (kube-controller-manager) fills status.certificate asynchronously after approval.
if ! kubectl wait "csr/$csr_name" --for=jsonpath='{.status.certificate}' --timeout="${timeout}s" >/dev/null; then
  log "CSR $csr_name was not signed within ${timeout}s"
  exit 1
fi
kubectl get csr "$csr_name" -o jsonpath='{.status.certificate}' | base64 -d >"$work/tls.crt"
kubectl get configmap kube-root-ca.crt -n "${ns_list[0]}" -o jsonpath='{.data.ca\.crt}' >"$work/ca.crt"

for ns in "${ns_list[@]}"; do
  kubectl create secret generic "$secret_name" -n "$ns" \
    --from-file=tls.crt="$work/tls.crt" --from-file=tls.key="$work/tls.key" --from-file=ca.crt="$work/ca.crt" >/dev/null
  log "created secret $ns/$secret_name"
done
