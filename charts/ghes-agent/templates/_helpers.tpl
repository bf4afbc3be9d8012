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

{{/* agent.yaml: config as given. Rendered once here so the ConfigMap and the checksum agree. */}}
{{- define "ghes-agent.configYaml" -}}
{{- toYaml .Values.config }}
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
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- with .Values.extraVolumes }}
{{- toYaml . | nindent 0 }}
{{- end }}
{{- end }}
