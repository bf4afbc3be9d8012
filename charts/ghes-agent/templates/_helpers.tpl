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
