{{/* Labels of every object of the chart (port of _helpers.j2). `app` is what
     the selectors match; the rest describe the object. */}}
{{- define "postgres.labels" -}}
app: {{ .Values.name }}
app.kubernetes.io/name: postgres
app.kubernetes.io/instance: {{ .Values.name }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: pgrender
{{- with .Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Metadata of a namespaced object: name, namespace and the chart's labels.
     Called with (list $ name). */}}
{{- define "postgres.metadata" -}}
{{- $root := index . 0 -}}
metadata:
  name: {{ index . 1 }}
  namespace: {{ $root.Values.namespace.name }}
  labels:
    {{- include "postgres.labels" $root | nindent 4 }}
{{- end }}

{{/* A pg_isready probe of .Values.probes.<kind>. Called with (list $ kind). */}}
{{- define "postgres.probe" -}}
{{- $root := index . 0 -}}
{{- $p := index $root.Values.probes (index . 1) -}}
exec:
  command:
  - pg_isready
  - --host=127.0.0.1
  - --port=5432
  - {{ printf "--username=%s" $root.Values.database.user | quote }}
  - {{ printf "--dbname=%s" $root.Values.database.name | quote }}
periodSeconds: {{ $p.periodSeconds }}
{{- if hasKey $p "timeoutSeconds" }}
timeoutSeconds: {{ $p.timeoutSeconds }}
{{- end }}
failureThreshold: {{ $p.failureThreshold }}
{{- end }}
