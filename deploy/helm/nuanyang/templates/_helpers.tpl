{{/*
Helpers shared by every template. Each kind of object is ONE template that ranges over `.Values.services`
through "nuanyang.workloads": the enabled services, each with `default` merged under its own block.
*/}}

{{- define "nuanyang.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "nuanyang.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <fullname>-<service>: the name of every object of one service. Args: root, name. */}}
{{- define "nuanyang.objectName" -}}
{{- printf "%s-%s" (include "nuanyang.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Recursive merge: `override` over `base`; maps merge key by key, everything else (lists, scalars, and also
false, 0 and "", which sprig's merge functions would ignore) replaces. Returns YAML. Args: base, override.
*/}}
{{- define "nuanyang.deepMerge" -}}
{{- $out := deepCopy (.base | default dict) }}
{{- range $key, $value := (.override | default dict) }}
{{- $current := get $out $key }}
{{- if and (kindIs "map" $value) (kindIs "map" $current) }}
{{- $_ := set $out $key (include "nuanyang.deepMerge" (dict "base" $current "override" $value) | fromYaml) }}
{{- else }}
{{- $_ := set $out $key $value }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
The enabled services, sorted by name, as YAML: a list of the merged configuration of each, with `name` added.
Every template does: range (include "nuanyang.workloads" $ | fromYaml).items
*/}}
{{- define "nuanyang.workloads" -}}
{{- $items := list }}
{{- range $name := keys .Values.services | sortAlpha }}
{{- $svc := get $.Values.services $name }}
{{- if $svc.enabled }}
{{- $merged := include "nuanyang.deepMerge" (dict "base" $.Values.default "override" $svc) | fromYaml }}
{{- $_ := set $merged "name" $name }}
{{- /* A disruption budget is one of two keys: a service's own block replaces the default's. */}}
{{- if hasKey $svc "podDisruptionBudget" }}
{{- $_ := set $merged "podDisruptionBudget" (deepCopy $svc.podDisruptionBudget) }}
{{- end }}
{{- /* What scales it: "keda" (autoscaling on, keda on, JetStream consumers), "hpa" (autoscaling on), "" (fixed). */}}
{{- $scaler := "" }}
{{- if $merged.autoscaling.enabled }}
{{- $scaler = ternary "keda" "hpa" (and $merged.keda.enabled (gt (len ($merged.consumers | default list)) 0)) }}
{{- end }}
{{- $_ := set $merged "scaler" $scaler }}
{{- include "nuanyang.check" (dict "root" $ "w" $merged) }}
{{- $items = append $items $merged }}
{{- end }}
{{- end }}
{{- toYaml (dict "items" $items) }}
{{- end }}

{{/* Cross-field rules the JSON schema cannot express. Args: root, w. */}}
{{- define "nuanyang.check" -}}
{{- $w := .w }}
{{- $needMs := add (mul (int $w.preStopSleepSeconds) 1000) (int $w.shutdownGraceMs) }}
{{- if le (mul (int $w.terminationGracePeriodSeconds) 1000) $needMs }}
{{- fail (printf "services.%s: terminationGracePeriodSeconds (%d s) must exceed preStopSleepSeconds + shutdownGraceMs (%d ms), or the kubelet kills the pod before it drains" $w.name (int $w.terminationGracePeriodSeconds) $needMs) }}
{{- end }}
{{- if and $w.autoscaling.enabled (gt (int $w.autoscaling.minReplicas) (int $w.autoscaling.maxReplicas)) }}
{{- fail (printf "services.%s.autoscaling: minReplicas (%d) is above maxReplicas (%d)" $w.name (int $w.autoscaling.minReplicas) (int $w.autoscaling.maxReplicas)) }}
{{- end }}
{{- range $callee := $w.calls }}
{{- if not (hasKey $.root.Values.services $callee) }}
{{- fail (printf "services.%s.calls: no service named %q" $w.name $callee) }}
{{- end }}
{{- if eq (get $.root.Values.services $callee).protocol "http" }}
{{- fail (printf "services.%s.calls: %q serves HTTP, not gRPC" $w.name $callee) }}
{{- end }}
{{- end }}
{{- end }}

{{- define "nuanyang.imageTag" -}}
{{- .image.tag | default .root.Chart.AppVersion }}
{{- end }}

{{/* Args: root, w. */}}
{{- define "nuanyang.image" -}}
{{- $image := .w.image }}
{{- $repository := $image.repository | default (printf "nuanyang-%s" .w.name) }}
{{- $ref := printf "%s/%s" ($image.registry | trimSuffix "/") $repository | trimPrefix "/" }}
{{- if $image.digest }}
{{- printf "%s@%s" $ref $image.digest }}
{{- else }}
{{- printf "%s:%s" $ref (include "nuanyang.imageTag" (dict "image" $image "root" .root)) }}
{{- end }}
{{- end }}

{{/* Selector labels of one service's pods. Args: root, name. */}}
{{- define "nuanyang.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nuanyang.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* Labels of every object of one service. Args: root, w (or name plus image for release-wide objects). */}}
{{- define "nuanyang.labels" -}}
{{- $root := .root -}}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "nuanyang.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
{{- if .w }}
app.kubernetes.io/component: {{ .w.name }}
app.kubernetes.io/version: {{ include "nuanyang.imageTag" (dict "image" .w.image "root" $root) | trunc 63 | trimSuffix "-" | quote }}
{{- else }}
app.kubernetes.io/component: {{ .component | default "platform" }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/part-of: nuanyang
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
{{- end }}

{{/* The Secret each of JWT_SECRET, MONGO_URL, NATS_URL is read from: YAML {name, key}. Args: root, var. */}}
{{- define "nuanyang.secretRef" -}}
{{- $secret := .root.Values.secret }}
{{- $ref := get $secret.refs .var | default dict }}
{{- if $ref.name }}
{{- toYaml (dict "name" $ref.name "key" ($ref.key | default .var)) }}
{{- else if $secret.existingSecret }}
{{- toYaml (dict "name" $secret.existingSecret "key" .var) }}
{{- else }}
{{- toYaml (dict "name" (include "nuanyang.fullname" .root) "key" .var) }}
{{- end }}
{{- end }}

{{/* "true" when at least one variable is read from the chart's own Secret. */}}
{{- define "nuanyang.ownSecret" -}}
{{- $own := include "nuanyang.fullname" . }}
{{- range $var := list "JWT_SECRET" "MONGO_URL" "NATS_URL" }}
{{- if eq (include "nuanyang.secretRef" (dict "root" $ "var" $var) | fromYaml).name $own }}true{{- end }}
{{- end }}
{{- end }}

{{/* Environment variable name of a service's address, as deploy/local/start.js sets it: INVENTORY_ADDRESS. */}}
{{- define "nuanyang.addressVar" -}}
{{- printf "%s_ADDRESS" (. | upper | replace "-" "_") }}
{{- end }}

{{/* NetworkPolicy port list from values ({port, protocol}). */}}
{{- define "nuanyang.ports" -}}
{{- range . }}
- port: {{ .port }}
  protocol: {{ .protocol | default "TCP" }}
{{- end }}
{{- end }}

{{/* The ConfigMap data of one service (also hashed into the pod template). Args: root, w. */}}
{{- define "nuanyang.configData" -}}
{{- $w := .w }}
{{- $root := .root -}}
{{- $data := dict }}
{{- if eq $w.protocol "http" }}
{{- $_ := set $data "HTTP_ADDRESS" (printf "0.0.0.0:%d" (int $w.port)) }}
{{- else }}
{{- $_ := set $data "GRPC_ADDRESS" (printf "0.0.0.0:%d" (int $w.port)) }}
{{- end }}
{{- $_ := set $data "MONGO_DATABASE" (printf "nuanyang_%s" ($w.name | replace "-" "_")) }}
{{- $_ := set $data "LOG_LEVEL" $w.logLevel }}
{{- $_ := set $data "SHUTDOWN_GRACE_MS" (toString (int $w.shutdownGraceMs)) }}
{{- $_ := set $data "NATS_REPLICAS" (toString (int ($root.Values.nats.streamReplicas | default 1))) }}
{{- range $callee := $w.calls }}
{{- $target := get $root.Values.services $callee }}
{{- $_ := set $data (include "nuanyang.addressVar" $callee) (printf "%s:%d" (include "nuanyang.objectName" (dict "root" $root "name" $callee)) (int $target.port)) }}
{{- end }}
{{- $otel := $root.Values.otel }}
{{- if $otel.enabled }}
{{- $_ := set $data "OTEL_TRACES_EXPORTER" "otlp" }}
{{- $_ := set $data "OTEL_EXPORTER_OTLP_ENDPOINT" $otel.endpoint }}
{{- $_ := set $data "OTEL_EXPORTER_OTLP_PROTOCOL" $otel.protocol }}
{{- $_ := set $data "OTEL_TRACES_SAMPLER" $otel.sampler }}
{{- $_ := set $data "OTEL_TRACES_SAMPLER_ARG" (toString $otel.samplerArg) }}
{{- else }}
{{- $_ := set $data "OTEL_TRACES_EXPORTER" "none" }}
{{- end }}
{{- $_ := set $data "OTEL_METRICS_EXPORTER" "none" }}
{{- $_ := set $data "OTEL_LOGS_EXPORTER" "none" }}
{{- range $key, $value := $w.env }}
{{- $_ := set $data $key (toString $value) }}
{{- end }}
{{- range $key := keys $data | sortAlpha }}
{{ $key }}: {{ get $data $key | quote }}
{{- end }}
{{- end }}

{{/* HPA resource metrics (CPU, and memory when its target is set). Arg: the workload. */}}
{{- define "nuanyang.resourceMetrics" -}}
- type: Resource
  resource:
    name: cpu
    target:
      type: Utilization
      averageUtilization: {{ .autoscaling.targetCPUUtilizationPercentage }}
{{- if gt (int .autoscaling.targetMemoryUtilizationPercentage) 0 }}
- type: Resource
  resource:
    name: memory
    target:
      type: Utilization
      averageUtilization: {{ .autoscaling.targetMemoryUtilizationPercentage }}
{{- end }}
{{- end }}

{{/* The ingress rules of one service's NetworkPolicy (empty: nothing may connect). Args: root, w, callers, viaIngress, portName. */}}
{{- define "nuanyang.ingressRules" -}}
{{- $root := .root }}
{{- $w := .w }}
{{- $callers := .callers }}
{{- $portName := .portName }}
{{- $viaIngress := .viaIngress }}
{{- if $callers }}
# Services that call {{ $w.name }}.
- from:
    - podSelector:
        matchExpressions:
          - key: app.kubernetes.io/instance
            operator: In
            values: [{{ $root.Release.Name | quote }}]
          - key: app.kubernetes.io/component
            operator: In
            values: [{{ range $i, $c := $callers }}{{ if $i }}, {{ end }}{{ $c | quote }}{{ end }}]
  ports:
    - port: {{ $portName }}
      protocol: TCP
{{- end }}
{{- if $viaIngress }}
# The ingress controller ({{ ternary "partners' gRPC" "web" (eq $w.protocol "grpc") }} ingress).
- from:
    {{- toYaml $root.Values.ingress.controllerPeers | nindent 4 }}
  ports:
    - port: {{ $portName }}
      protocol: TCP
{{- end }}
{{- with $root.Values.networkPolicy.extraIngress }}
{{ toYaml . }}
{{- end }}
{{- end }}
