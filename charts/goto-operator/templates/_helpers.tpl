{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "goto-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name when it already contains the chart name, else release-chart. */}}
{{- define "goto-operator.fullname" -}}
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

{{- define "goto-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "goto-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "goto-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "goto-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "goto-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "goto-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "goto-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The namespaces the operator watches, comma-joined as GOTO_OPERATOR_NAMESPACE takes them, or ""
for all namespaces (watchAllNamespaces, the one mode with cluster-wide rights). Neither value set:
the release namespace alone. Both set is refused rather than one silently winning: the two ask
for different grants (a ClusterRole over every namespace, or Roles in the listed ones).
*/}}
{{- define "goto-operator.watchNamespaces" -}}
{{- if and .Values.watchAllNamespaces .Values.watchNamespaces }}
{{- fail (printf "watchAllNamespaces=true and watchNamespaces=[%s] contradict each other: set one of them (watchAllNamespaces grants a ClusterRole that reads and patches Secrets in every namespace; watchNamespaces grants Roles in the listed namespaces only)" (join ", " .Values.watchNamespaces)) }}
{{- end }}
{{- if .Values.watchAllNamespaces }}
{{- else if .Values.watchNamespaces }}
{{- uniq .Values.watchNamespaces | join "," }}
{{- else }}
{{- .Release.Namespace }}
{{- end }}
{{- end }}

{{/*
What the controllers need in the namespaces they watch, and nothing more. Each verb is used:
- the two kinds: list/watch (informers), get (re-read before reporting a failure), patch
  (add/remove the goto-operator.dev/cleanup finalizer);
- their status: patch (server-side apply of the status subresource);
- Secrets: get (the one a GoToAccount names; its data is read by nothing else), list/watch
  (metadata-only watch, so that a changed Secret re-checks its accounts at once; RBAC cannot grant
  metadata without contents), patch (the goto-operator.dev/credentials-in-use finalizer that keeps
  a referenced Secret until its account's organizers are finalized);
- events.k8s.io Events: create/patch (kube-runtime's recorder; patch aggregates repeats).
*/}}
{{- define "goto-operator.rules" -}}
- apiGroups: [goto-operator.dev]
  resources: [gotoorganizers, gotoaccounts]
  verbs: [get, list, watch, patch]
- apiGroups: [goto-operator.dev]
  resources: [gotoorganizers/status, gotoaccounts/status]
  verbs: [patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, patch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end }}

{{/*
resources.limits.memory in bytes, for the PrometheusRule's memory alert; "" without a limit.
Takes Kubernetes quantities as people write memory (268435456, 256Mi, 1Gi, 500M, 1.5Gi, 1e9) and
refuses the rest by name rather than rendering an alert that compares with the wrong number.
*/}}
{{- define "goto-operator.memoryLimitBytes" -}}
{{- $limit := dig "limits" "memory" "" (.Values.resources | default dict) | toString }}
{{- if $limit }}
{{- $units := dict "" 1.0 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?" $limit }}
{{- $unit := trimPrefix $number $limit }}
{{- if or (not $number) (not (hasKey $units $unit)) }}
{{- fail (printf "resources.limits.memory %q: expected a memory quantity such as 256Mi, 1Gi or 500M (the PrometheusRule's memory alert compares with it)" $limit) }}
{{- end }}
{{- mulf $number (get $units $unit) | int64 }}
{{- end }}
{{- end }}
