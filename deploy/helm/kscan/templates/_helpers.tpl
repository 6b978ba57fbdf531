{{/* The chart name (app.kubernetes.io/name). */}}
{{- define "kscan.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the objects: the release name when it contains the chart name
(helm install kscan … gives "kscan", the names of deploy/base), else
<release>-<chart>.
*/}}
{{- define "kscan.fullname" -}}
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

{{- define "kscan.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kscan.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every object; part-of as deploy/base sets it. */}}
{{- define "kscan.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kscan.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kscan
{{- end }}

{{- define "kscan.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kscan.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, with @digest when one is given. */}}
{{- define "kscan.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- if .Values.image.digest }}
{{- $ref = printf "%s@%s" $ref .Values.image.digest }}
{{- end }}
{{- $ref }}
{{- end }}

{{/*
The arguments of `kscan scan`. With default values they are exactly those of
deploy/base's CronJob, in the same order; options follow, extraArgs last.
*/}}
{{- define "kscan.args" -}}
{{- $s := .Values.scan }}
{{- $args := list "scan" "--in-cluster" "--report=policyreport" }}
{{- if ne .Values.report.api "policyreport" }}
{{- $args = append $args (printf "--report-api=%s" .Values.report.api) }}
{{- end }}
{{- if $s.skipCustomResources }}
{{- $args = append $args "--kube-skip-custom-resources" }}
{{- end }}
{{- $args = concat $args (list "--kube-skip-secrets" "--fail-on=none" "--quiet" "--format=json" "--output=/tmp/kscan.json" (printf "--timeout=%s" $s.timeout)) }}
{{- with $s.rules }}
{{- $args = append $args (printf "--rules=%s" (join "," .)) }}
{{- end }}
{{- with $s.skipRules }}
{{- $args = append $args (printf "--skip-rules=%s" (join "," .)) }}
{{- end }}
{{- with $s.severity }}
{{- $args = append $args (printf "--severity=%s" (join "," .)) }}
{{- end }}
{{- with $s.framework }}
{{- $args = append $args (printf "--framework=%s" .) }}
{{- end }}
{{- if not $s.defaultWaivers }}
{{- $args = append $args "--no-default-waivers" }}
{{- end }}
{{- with $s.clusterName }}
{{- $args = append $args (printf "--cluster-name=%s" .) }}
{{- end }}
{{- if not .Values.snapshot.enabled }}
{{- $args = append $args "--no-snapshot" }}
{{- end }}
{{- range $args }}
- {{ . | toJson }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | toJson }}
{{- end }}
{{- end }}
