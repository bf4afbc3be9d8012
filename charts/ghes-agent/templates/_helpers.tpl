{{/* Chart name, truncated to the 63 characters DNS labels allow. */}}
{{- define "ghes-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ghes-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ghes-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ghes-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ghes-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ghes-agent.labels" -}}
helm.sh/chart: {{ include "ghes-agent.chart" . }}
{{ include "ghes-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "ghes-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ghes-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* registry/repository:tag@digest; the tag defaults to appVersion. */}}
{{- define "ghes-agent.image" -}}
{{- $repo := .Values.image.repository }}
{{- if .Values.image.registry }}{{ $repo = printf "%s/%s" .Values.image.registry $repo }}{{ end }}
{{- $ref := printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) }}
{{- if .Values.image.digest }}{{ $ref = printf "%s@%s" $ref .Values.image.digest }}{{ end }}
{{- $ref }}
{{- end }}

{{- define "ghes-agent.secretName" -}}
{{- default (printf "%s-credentials" (include "ghes-agent.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{- define "ghes-agent.caConfigMapName" -}}
{{- default (printf "%s-ca" (include "ghes-agent.fullname" .)) .Values.caBundle.existingConfigMap }}
{{- end }}

{{- define "ghes-agent.caEnabled" -}}
{{- if or .Values.caBundle.pem .Values.caBundle.existingConfigMap }}true{{ end }}
{{- end }}

{{/* The metrics/health port: the agent listens where config.server.port says. */}}
{{- define "ghes-agent.metricsPort" -}}
{{- (.Values.config.server | default dict).port | default 9090 }}
{{- end }}

{{/*
agent.yaml: config as given, plus the relay's certificate paths when the chart mounts
relay.tls.secretName (the agent reads relay.tlsCertFile/tlsKeyFile). Rendered once here so the
ConfigMap and the checksum agree.
*/}}
{{- define "ghes-agent.configYaml" -}}
{{- $config := deepCopy .Values.config }}
{{- if and (include "ghes-agent.relayEnabled" .) .Values.relay.tls.secretName }}
{{- $relay := get $config "relay" }}
{{- $_ := set $relay "tlsCertFile" (printf "%s/tls.crt" (include "ghes-agent.relayTlsDir" .)) }}
{{- $_ := set $relay "tlsKeyFile" (printf "%s/tls.key" (include "ghes-agent.relayTlsDir" .)) }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* "true" when the agent serves the relay (config.relay.enabled, docs/relay.md); empty otherwise. */}}
{{- define "ghes-agent.relayEnabled" -}}
{{- if dig "relay" "enabled" false .Values.config }}true{{ end }}
{{- end }}

{{/* The relay's listener port: config.relay.port, else the agent's default (agent/config/schema.ts). */}}
{{- define "ghes-agent.relayPort" -}}
{{- dig "relay" "port" 8443 .Values.config | int }}
{{- end }}

{{/* Where relay.tls.secretName is mounted (a kubernetes.io/tls Secret: tls.crt, tls.key). */}}
{{- define "ghes-agent.relayTlsDir" -}}
/etc/ghes-agent/relay-tls
{{- end }}

{{/* true when the pod itself serves HTTPS on the relay port. */}}
{{- define "ghes-agent.relayServesTls" -}}
{{- if or .Values.relay.tls.secretName (dig "relay" "tlsCertFile" "" .Values.config) }}true{{ end }}
{{- end }}

{{- define "ghes-agent.relayServiceName" -}}
{{- printf "%s-relay" (include "ghes-agent.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{/*
Refuses relay values that would deploy something other than what the operator meant: the
Kubernetes side without the relay itself, two sources for the certificate, a port shared with
the metrics server, a listener only the pod can reach, and workflows' OIDC tokens (bearer
credentials, docs/relay.md) crossing the network in clear without relay.allowPlainHttp.
*/}}
{{- define "ghes-agent.relayChecks" -}}
{{- $r := .Values.relay }}
{{- if not (include "ghes-agent.relayEnabled" .) }}
{{- if or $r.ingress.enabled $r.tls.secretName }}
{{- fail "relay.ingress.enabled and relay.tls.secretName need config.relay.enabled: true (the relay is off by default; docs/relay.md)" }}
{{- end }}
{{- else }}
{{- if and $r.tls.secretName (or (dig "relay" "tlsCertFile" "" .Values.config) (dig "relay" "tlsKeyFile" "" .Values.config)) }}
{{- fail "relay.tls.secretName and config.relay.tlsCertFile/tlsKeyFile: give one (the chart mounts the Secret and sets both paths itself)" }}
{{- end }}
{{- if eq (include "ghes-agent.relayPort" .) (include "ghes-agent.metricsPort" . | toString) }}
{{- fail (printf "config.relay.port (%s) must differ from config.server.port: the relay has its own listener" (include "ghes-agent.relayPort" .)) }}
{{- end }}
{{- if has (dig "relay" "host" "0.0.0.0" .Values.config | toString) (list "127.0.0.1" "localhost" "::1") }}
{{- fail "config.relay.host is a loopback address: neither runners nor the Service could reach the relay (keep 0.0.0.0)" }}
{{- end }}
{{- if and (not (include "ghes-agent.relayServesTls" .)) (not (and $r.ingress.enabled $r.ingress.tls)) (not $r.allowPlainHttp) }}
{{- fail "the relay would take workflows' OIDC tokens over plain HTTP: set relay.tls.secretName (the pod serves HTTPS), or relay.ingress.enabled with relay.ingress.tls (the Ingress terminates TLS), or relay.allowPlainHttp: true if something else encrypts the traffic (e.g. a service mesh)" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The container's env, volume mounts and the pod's volumes, shared by the Deployment and the
`helm test` pod (templates/tests/check.yaml), so `ghes-agent check` sees exactly the agent's
configuration, secrets and CA. Secrets reach the agent as file paths, never as env values.
*/}}
{{- define "ghes-agent.env" -}}
{{- $s := .Values.secrets }}
{{- $secretDir := "/etc/ghes-agent/secrets" }}
- name: GHES_AGENT_CONFIG
  value: /etc/ghes-agent/config/agent.yaml
- name: NODE_OPTIONS
  value: {{ printf "--enable-source-maps --max-old-space-size=%d --max-semi-space-size=%d" (int .Values.nodeHeap.maxOldSpaceMb) (int .Values.nodeHeap.maxSemiSpaceMb) | quote }}
# Secrets reach the agent as file paths, never as values in the environment.
- name: GHES_AGENT_PORT_CLIENT_SECRET_FILE
  value: {{ printf "%s/%s" $secretDir $s.keys.portClientSecret | quote }}
{{- if eq $s.githubAuth "app" }}
- name: GHES_AGENT_GITHUB_PRIVATE_KEY_FILE
  value: {{ printf "%s/%s" $secretDir $s.keys.githubPrivateKey | quote }}
{{- else }}
- name: GHES_AGENT_GITHUB_TOKEN_FILE
  value: {{ printf "%s/%s" $secretDir $s.keys.githubToken | quote }}
{{- end }}
{{- if $s.kafkaCredentials }}
- name: GHES_AGENT_KAFKA_PASSWORD_FILE
  value: {{ printf "%s/%s" $secretDir $s.keys.kafkaPassword | quote }}
{{- end }}
{{- if include "ghes-agent.caEnabled" . }}
- name: NODE_EXTRA_CA_CERTS
  value: {{ printf "/etc/ghes-agent/ca/%s" .Values.caBundle.key | quote }}
{{- end }}
{{- with .Values.proxy }}
{{- if .httpProxy }}
- name: HTTP_PROXY
  value: {{ .httpProxy | quote }}
- name: http_proxy
  value: {{ .httpProxy | quote }}
{{- end }}
{{- if .httpsProxy }}
- name: HTTPS_PROXY
  value: {{ .httpsProxy | quote }}
- name: https_proxy
  value: {{ .httpsProxy | quote }}
{{- end }}
{{- if .noProxy }}
- name: NO_PROXY
  value: {{ .noProxy | quote }}
- name: no_proxy
  value: {{ .noProxy | quote }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{- toYaml . | nindent 0 }}
{{- end }}
{{- end }}

{{- define "ghes-agent.volumeMounts" -}}
{{- $secretDir := "/etc/ghes-agent/secrets" }}
- name: config
  mountPath: /etc/ghes-agent/config
  readOnly: true
- name: secrets
  mountPath: {{ $secretDir }}
  readOnly: true
{{- if include "ghes-agent.caEnabled" . }}
- name: ca
  mountPath: /etc/ghes-agent/ca
  readOnly: true
{{- end }}
{{- if and (include "ghes-agent.relayEnabled" .) .Values.relay.tls.secretName }}
- name: relay-tls
  mountPath: {{ include "ghes-agent.relayTlsDir" . }}
  readOnly: true
{{- end }}
# The root filesystem is read-only; /tmp is the one writable place.
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{- toYaml . | nindent 0 }}
{{- end }}
{{- end }}

{{- define "ghes-agent.volumes" -}}
{{- $s := .Values.secrets }}
- name: config
  configMap:
    name: {{ include "ghes-agent.fullname" . }}
- name: secrets
  secret:
    secretName: {{ include "ghes-agent.secretName" . }}
    defaultMode: 0440
    # Only the keys this configuration uses, so an existing Secret may hold others.
    items:
      - key: {{ $s.keys.portClientSecret }}
        path: {{ $s.keys.portClientSecret }}
      {{- if eq $s.githubAuth "app" }}
      - key: {{ $s.keys.githubPrivateKey }}
        path: {{ $s.keys.githubPrivateKey }}
      {{- else }}
      - key: {{ $s.keys.githubToken }}
        path: {{ $s.keys.githubToken }}
      {{- end }}
      {{- if $s.kafkaCredentials }}
      - key: {{ $s.keys.kafkaPassword }}
        path: {{ $s.keys.kafkaPassword }}
      {{- end }}
{{- if include "ghes-agent.caEnabled" . }}
- name: ca
  configMap:
    name: {{ include "ghes-agent.caConfigMapName" . }}
    items:
      - key: {{ .Values.caBundle.key }}
        path: {{ .Values.caBundle.key }}
{{- end }}
{{- if and (include "ghes-agent.relayEnabled" .) .Values.relay.tls.secretName }}
# The relay's certificate and key (cert-manager's or `kubectl create secret tls`'s key names).
- name: relay-tls
  secret:
    secretName: {{ .Values.relay.tls.secretName }}
    defaultMode: 0440
    items:
      - key: tls.crt
        path: tls.crt
      - key: tls.key
        path: tls.key
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- with .Values.extraVolumes }}
{{- toYaml . | nindent 0 }}
{{- end }}
{{- end }}
